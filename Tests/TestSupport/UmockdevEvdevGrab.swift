import CUmockdev
import Synchronization

/// Emulates the kernel's evdev grab (`EVIOCGRAB`) on a umockdev input node, for machines without
/// `/dev/uinput`: one client may hold the grab, others get EBUSY; only the holder releases it.
///
/// Unlike the kernel, closing the fd does *not* release the grab here, so a test proves that a
/// reader ungrabs explicitly on stop.
public final class UmockdevEvdevGrab: @unchecked Sendable {
    static let EVIOCGRAB: UInt = 0x4004_4590

    final class State: Sendable {
        struct Value {
            var holder: UInt?  // the client's address
            var grabs = 0
            var releases = 0
        }
        let value = Mutex(Value())
    }

    private let handler: UnsafeMutablePointer<UMockdevIoctlBase>
    private let state = State()
    private let unmanaged: Unmanaged<State>

    /// Attaches the emulation to `devnode` (a node the testbed created, e.g. `/dev/input/event5`).
    public init(testbed: UmockdevTestbed, devnode: String) throws {
        guard let handler = umockdev_ioctl_base_new() else { throw UmockdevTestbed.TestbedError(description: "ioctl_base_new failed") }
        self.handler = handler
        unmanaged = Unmanaged.passRetained(state)
        let callback: @convention(c) (
            UnsafeMutablePointer<UMockdevIoctlBase>?, UnsafeMutablePointer<UMockdevIoctlClient>?, gpointer?
        ) -> gboolean = { _, client, user in
            guard let client, let user else { return 0 }
            guard umockdev_ioctl_client_get_request(client) == UmockdevEvdevGrab.EVIOCGRAB,
                  let arg = umockdev_ioctl_client_get_arg(client), let data = arg.pointee.data else { return 0 }
            let grab = UnsafeRawPointer(data).loadUnaligned(as: Int.self) != 0
            let me = UInt(bitPattern: client)
            let state = Unmanaged<State>.fromOpaque(user).takeUnretainedValue()
            let errno: Int32 = state.value.withLock { v in
                if grab {
                    if v.holder != nil { return EBUSY }
                    v.holder = me
                    v.grabs += 1
                } else {
                    guard v.holder == me else { return EINVAL }
                    v.holder = nil
                    v.releases += 1
                }
                return 0
            }
            umockdev_ioctl_client_complete(client, errno == 0 ? 0 : -1, errno)
            return 1
        }
        g_signal_connect_data(
            handler, "handle-ioctl", unsafeBitCast(callback, to: GCallback.self), unmanaged.toOpaque(), nil,
            GConnectFlags(rawValue: 0))
        var error: UnsafeMutablePointer<GError>?
        guard umockdev_testbed_attach_ioctl(testbed.testbed, devnode, handler, &error) != 0 else {
            let message = error.map { String(cString: $0.pointee.message) } ?? "unknown error"
            g_clear_error(&error)
            throw UmockdevTestbed.TestbedError(description: "attach ioctl handler to \(devnode): \(message)")
        }
    }

    deinit {
        g_object_unref(handler)
        unmanaged.release()
    }

    /// Whether some client holds the grab now.
    public var isGrabbed: Bool { state.value.withLock { $0.holder != nil } }
    /// Successful grabs and explicit releases so far.
    public var counts: (grabs: Int, releases: Int) { state.value.withLock { ($0.grabs, $0.releases) } }
}
