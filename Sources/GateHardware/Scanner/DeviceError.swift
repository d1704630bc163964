#if canImport(Glibc)
import Glibc
#endif

/// A failed system call on a device, said so that an operator knows what to do
/// ("open /dev/ttyACM0: Permission denied — is the service user in group eguma-gate?").
public struct DeviceError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What was attempted, e.g. "open", "configure (termios)", "grab (EVIOCGRAB)".
    public let operation: String
    public let device: String
    public let errno: Int32

    public init(_ operation: String, _ device: String, errno: Int32) {
        self.operation = operation
        self.device = device
        self.errno = errno
    }

    /// Captures the current `errno` right after a failed call.
    static func last(_ operation: String, _ device: String) -> DeviceError {
        DeviceError(operation, device, errno: Glibc.errno)
    }

    public var description: String {
        let text = String(cString: strerror(errno))
        let hint: String? = switch errno {
        case EACCES, EPERM: "is the service user in group eguma-gate? (see udev-rules/70-eguma-gate.rules)"
        case EBUSY: "another program holds it (ModemManager, a getty, another eguma-gate?)"
        case ENOENT: "is the scanner plugged in, and is the path right?"
        case ENODEV, ENXIO, EIO: "the device went away"
        case ENOTTY, EINVAL: "this node is not of the configured scanner kind; check `kind`"
        default: nil
        }
        return "\(operation) \(device): \(text)" + (hint.map { " — \($0)" } ?? "")
    }
}
