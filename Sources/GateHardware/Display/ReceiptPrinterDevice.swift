import GateCore
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// One receipt sent to an ESC/POS printer: a USB printer node (`/dev/usb/lp0`, kernel `usblp`)
/// or a serial port (termios raw 8N1 via `SerialPort.open`). Opened for each receipt and closed
/// after it, so a printer unplugged and plugged back in just works with the next guest.
///
/// Before printing, the paper sensor is asked (`DLE EOT 4`); a printer that answers "paper end"
/// is a failure, one that does not answer within `statusTimeout` (many usblp printers are
/// write-only) is printed to all the same. Blocking: call it off the admission path.
public enum ReceiptPrinterDevice {
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// The node cannot be opened or written (missing, unplugged, no permission, offline).
        case offline(DeviceError)
        /// The printer answered that its paper is out.
        case paperOut(device: String)

        public var description: String {
            switch self {
            case .offline(let error):
                let hint = switch error.errno {
                case EACCES, EPERM: "is the service user in group lp (USB) or eguma-gate (serial)?"
                case ENOENT, ENODEV, ENXIO: "is the printer switched on and plugged in, and is printer.path right?"
                default: "is the printer switched on and online (cover closed)?"
                }
                return "printer \(error.operation) \(error.device): \(String(cString: strerror(error.errno))) — \(hint)"
            case .paperOut(let device):
                return "printer \(device): paper out — put in a new roll"
            }
        }
    }

    /// Prints `bytes`. `baud` nil: a USB printer node; else a serial port at that rate.
    public static func print(_ bytes: [UInt8], path: String, baud: Int?, statusTimeout: Duration = .seconds(1)) throws(Failure) {
        let fd: Int32
        if let baud {
            do { fd = try SerialPort.open(path, baud: baud) } catch { throw .offline(error) }
        } else {
            fd = Glibc.open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
            guard fd >= 0 else { throw .offline(DeviceError.last("open", path)) }
        }
        defer {
            if baud != nil { SerialPort.release(fd) }
            Glibc.close(fd)
        }
        try write(ReceiptLayout.paperStatusQuery, fd: fd, path: path)
        if let status = readByte(fd: fd, timeout: statusTimeout), ReceiptLayout.paperOut(status: status) {
            throw .paperOut(device: path)
        }
        try write(bytes, fd: fd, path: path)
        if baud != nil { _ = tcdrain(fd) }
    }

    private static func write(_ bytes: [UInt8], fd: Int32, path: String) throws(Failure) {
        let descriptor = FileDescriptor(rawValue: fd)
        var offset = 0
        var waited = 0
        while offset < bytes.count {
            do {
                offset += try bytes[offset...].withUnsafeBytes { try descriptor.write($0) }  // EINTR retried
            } catch let error as Errno where error == .resourceTemporarilyUnavailable && waited < 100 {
                // A full buffer: wait for room, at most ~10 s in all.
                var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&pfd, 1, 100)
                waited += 1
            } catch {
                throw .offline(DeviceError("write to", path, errno: (error as? Errno)?.rawValue ?? EIO))
            }
        }
    }

    /// One status byte, if the device answers within `timeout`.
    private static func readByte(fd: Int32, timeout: Duration) -> UInt8? {
        let ms = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, ms) > 0, pfd.revents & Int16(POLLIN) != 0 else { return nil }
        var byte: UInt8 = 0
        return Glibc.read(fd, &byte, 1) == 1 ? byte : nil
    }
}
