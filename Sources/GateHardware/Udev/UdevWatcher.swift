import CUdev
import Foundation
import GateCore
import Synchronization
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Follows scanner-capable device nodes (subsystems tty, input, hidraw) through libudev.
///
/// The monitor on the "udev" netlink source (events after udev's rules ran, so our tags and
/// symlinks are there) is enabled *before* enumerating, so a scanner plugged in during start-up
/// is never missed. The monitor fd is watched by an `FDReaderThread`, off the cooperative pool.
/// Every subscriber first gets the devices present, then changes, in order.
public final class UdevWatcher: Sendable {
    /// A device appeared (or changed its properties) or went away.
    public enum Change: Sendable, Equatable {
        case added(ScannerDevice)
        case removed(ScannerDevice)
    }

    private struct State {
        var devices: [String: ScannerDevice] = [:]  // by syspath
        /// Sent to and subscribed under this state's lock: a new subscriber's snapshot of
        /// `devices` and the changes after it never overlap or leave a gap.
        let published = Broadcast<Change>()
    }

    /// The lock-protected state, in a class so the monitor thread can share it.
    private final class Shared: Sendable {
        let state = Mutex(State())
    }

    private let shared: Shared
    private let thread: FDReaderThread

    /// One-shot listing for `eguma-gate scanners`: what udev sees now.
    public static func enumerate() throws(DeviceError) -> [ScannerDevice] {
        guard let udev = udev_new() else { throw DeviceError.last("open", "libudev") }
        defer { udev_unref(udev) }
        return try UdevDeviceReader.enumerate(udev, device: "udev")
    }

    /// Sets up the monitor, enumerates, and starts following changes.
    public init() throws(DeviceError) {
        guard let udev = udev_new() else { throw DeviceError.last("open", "libudev") }
        guard let monitor = udev_monitor_new_from_netlink(udev, "udev") else {
            let error = DeviceError.last("open the udev monitor of", "libudev")
            udev_unref(udev)
            throw error
        }
        for subsystem in UdevDeviceReader.subsystems {
            udev_monitor_filter_add_match_subsystem_devtype(monitor, subsystem, nil)
        }
        guard udev_monitor_enable_receiving(monitor) >= 0 else {
            let error = DeviceError.last("listen to", "the udev monitor")
            udev_monitor_unref(monitor)
            udev_unref(udev)
            throw error
        }
        let present: [ScannerDevice]
        do {
            present = try UdevDeviceReader.enumerate(udev, device: "udev")
        } catch {
            udev_monitor_unref(monitor)
            udev_unref(udev)
            throw error
        }
        let shared = Shared()
        self.shared = shared
        shared.state.withLock { s in
            for device in present { s.devices[device.syspath] = device }
        }
        let handles = UdevHandles(udev: udev, monitor: monitor)
        do {
            thread = try FDReaderThread(
                fd: FileDescriptor(rawValue: udev_monitor_get_fd(monitor)), name: "udev monitor", initial: handles,
                body: { handles, readiness in
                    guard readiness == .readable else { return .finish }  // the monitor socket failed
                    Self.drain(handles: handles, shared: shared)
                    return .keepReading
                },
                cleanup: { handles in
                    udev_monitor_unref(handles.monitor)
                    udev_unref(handles.udev)
                    shared.state.withLock { $0.published }.finish()
                })
        } catch {
            udev_monitor_unref(monitor)
            udev_unref(udev)
            throw DeviceError("start a thread for", "the udev monitor", errno: error.rawValue)
        }
    }

    /// The devices present now.
    public var devices: [ScannerDevice] {
        shared.state.withLock { Array($0.devices.values) }.sorted { $0.devnode < $1.devnode }
    }

    /// Present devices as `.added`, then every change, until the watcher stops or the consumer
    /// goes away.
    public func changes() -> AsyncStream<Change> {
        shared.state.withLock { s in
            // Snapshot and registration under one lock: nothing falls between them. Unbounded,
            // as a subscriber that missed a removal would keep a scanner that is gone.
            let present = s.devices.values.sorted { $0.devnode < $1.devnode }.map(Change.added)
            return s.published.subscribe(buffer: .max, startingWith: present)
        }
    }

    /// Stops following udev; every `changes()` stream finishes.
    public func stop() async {
        await thread.stop()
    }

    /// Everything queued: one poll wake-up can stand for several uevents.
    private static func drain(handles: UdevHandles, shared: Shared) {
        while let dev = udev_monitor_receive_device(handles.monitor) {
            let action = udev_device_get_action(dev).map { String(cString: $0) } ?? "change"
            let device = UdevDeviceReader.device(dev)
            let syspath = udev_device_get_syspath(dev).map { String(cString: $0) }
            udev_device_unref(dev)
            apply(action: action, device: device, syspath: syspath, shared: shared)
        }
    }

    private static func apply(action: String, device: ScannerDevice?, syspath: String?, shared: Shared) {
        shared.state.withLock { s in
            let change: Change?
            if action == "remove" {
                change = syspath.flatMap { s.devices.removeValue(forKey: $0) }.map(Change.removed)
            } else if let device {
                if s.devices[device.syspath] == device {
                    change = nil
                } else {
                    s.devices[device.syspath] = device
                    change = .added(device)
                }
            } else {
                change = nil
            }
            if let change { s.published.send(change) }
        }
    }
}

/// libudev handles moved once from `init` to the monitor thread, which alone uses them after.
private final class UdevHandles: @unchecked Sendable {
    let udev: OpaquePointer
    let monitor: OpaquePointer
    init(udev: OpaquePointer, monitor: OpaquePointer) {
        self.udev = udev
        self.monitor = monitor
    }
}
