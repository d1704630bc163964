import CUmockdev
import Foundation

/// A thin Swift face on umockdev's testbed (libumockdev): fake sysfs devices, their /dev nodes
/// (a PTY for tty devices, a plain file otherwise), and uevents to the udev monitor.
///
/// Only one testbed may exist at a time in a process (umockdev keeps it in `UMOCKDEV_DIR`), so
/// suites using it must be `.serialized` and not overlap with other umockdev suites.
public final class UmockdevTestbed: @unchecked Sendable {
    let testbed: UnsafeMutablePointer<UMockdevTestbed>

    /// Creates an empty testbed. Requires the preload (see `UmockdevEnvironment`).
    public init() throws {
        try UmockdevEnvironment.require()
        try DeviceTestLock.require("a umockdev testbed")
        guard let testbed = umockdev_testbed_new() else { throw TestbedError(description: "umockdev_testbed_new failed") }
        self.testbed = testbed
    }

    deinit {
        g_object_unref(testbed)
    }

    /// A failure reported by libumockdev.
    public struct TestbedError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The testbed's root directory (its `/dev` and `/sys` live below).
    public var rootDirectory: String {
        take(umockdev_testbed_get_root_dir(testbed)) ?? ""
    }

    /// Adds a device and announces it with an "add" uevent; returns its syspath
    /// (`/sys/devices/…`). A `DEVNAME` property creates the device node.
    @discardableResult
    public func addDevice(
        subsystem: String, name: String, parent: String? = nil,
        attributes: [(String, String)] = [], properties: [(String, String)] = []
    ) throws -> String {
        let syspath = withCStringArray(attributes.flatMap { [$0.0, $0.1] }) { attrs in
            withCStringArray(properties.flatMap { [$0.0, $0.1] }) { props in
                take(umockdev_testbed_add_devicev(testbed, subsystem, name, parent, attrs, props))
            }
        }
        guard let syspath else { throw TestbedError(description: "add \(subsystem) device \(name) failed") }
        return syspath
    }

    /// Adds devices from umockdev's record format (`P:` path, `N:` node, `E:` property, `A:`
    /// attribute) and announces them with "add" uevents. Unlike `addDevice`, an `N:` line creates
    /// the device node: a PTY for tty devices (its master is `deviceFD`), a plain file otherwise.
    public func addFromString(_ description: String) throws {
        var error: UnsafeMutablePointer<GError>?
        guard umockdev_testbed_add_from_string(testbed, description, &error) != 0 else {
            let message = error.map { String(cString: $0.pointee.message) } ?? "unknown error"
            g_clear_error(&error)
            throw TestbedError(description: "add devices: \(message)")
        }
    }

    /// Adds a tty device `/dev/<name>` backed by a PTY, with udev properties; returns its syspath.
    /// Write the scanner's bytes to `deviceFD("/dev/<name>")`.
    @discardableResult
    public func addSerialDevice(name: String, parent: String = "/devices/pci0000:00/usb1/1-1/1-1:1.0/tty",
                                properties: [(String, String)] = [], major: Int = 166, minor: Int = 0) throws -> String {
        var text = "P: \(parent)/\(name)\nN: \(name)\nE: SUBSYSTEM=tty\nE: DEVNAME=/dev/\(name)\n"
        for (key, value) in properties { text += "E: \(key)=\(value)\n" }
        text += "A: dev=\(major):\(minor)\n"
        try addFromString(text)
        return "/sys\(parent)/\(name)"
    }

    /// Unplugs a device the way the kernel reports it: a "remove" uevent, then it is gone
    /// (umockdev's `remove_device` sends no uevent by itself).
    public func unplug(_ syspath: String) {
        uevent(syspath, action: "remove")
        removeDevice(syspath)
    }

    /// Removes a device (and its node) without a uevent.
    public func removeDevice(_ syspath: String) {
        umockdev_testbed_remove_device(testbed, syspath)
    }

    /// Sends a uevent (`add`, `remove`, `change`) for `syspath` to udev monitors.
    public func uevent(_ syspath: String, action: String) {
        umockdev_testbed_uevent(testbed, syspath, action)
    }

    /// Sets a udev property on an existing device.
    public func setProperty(_ syspath: String, _ name: String, _ value: String) {
        umockdev_testbed_set_property(testbed, syspath, name, value)
    }

    /// The other end of a device node: the PTY master of a tty device. Owned by the testbed.
    public func deviceFD(_ devnode: String) -> Int32 {
        umockdev_testbed_get_dev_fd(testbed, devnode)
    }

    /// Replays an evemu events file on an input device node.
    public func loadEvemuEvents(devnode: String, file: String) throws {
        var error: UnsafeMutablePointer<GError>?
        guard umockdev_testbed_load_evemu_events(testbed, devnode, file, &error) != 0 else {
            let message = error.map { String(cString: $0.pointee.message) } ?? "unknown error"
            g_clear_error(&error)
            throw TestbedError(description: "load evemu events \(file) for \(devnode): \(message)")
        }
    }

    private func take(_ string: UnsafeMutablePointer<gchar>?) -> String? {
        guard let string else { return nil }
        defer { g_free(string) }
        return String(cString: string)
    }
}

/// Calls `body` with a NULL-terminated `gchar**` built from `strings`.
private func withCStringArray<R>(_ strings: [String], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<gchar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<gchar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for p in pointers { free(p) } }
    return pointers.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
}
