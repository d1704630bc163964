import Dispatch
import GateCore
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// A serial pole display (2×20 VFD/LCD customer display) opened for writing: exclusive, termios
/// raw 8N1 at the configured baud, blocking writes.
///
/// Writes run on a private serial dispatch queue, never on the Swift cooperative pool: at 9600
/// baud a full screen takes ~50 ms and a stalled USB-serial adapter can block far longer.
public final class SerialPoleDisplay: Sendable {
    public let path: String
    private let fd: Int32
    private let queue: DispatchQueue

    /// Opens `path` (see `SerialPort.open`) and switches it to blocking writes.
    public init(path: String, baud: Int) throws(DeviceError) {
        let fd = try SerialPort.open(path, baud: baud)
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0 else {
            let error = DeviceError.last("make writes blocking on", path)
            SerialPort.release(fd)
            Glibc.close(fd)
            throw error
        }
        self.fd = fd
        self.path = path
        self.queue = DispatchQueue(label: "eguma-gate.pole-display")
    }

    deinit {
        SerialPort.release(fd)
        Glibc.close(fd)
    }

    /// Writes all of `bytes` (swift-system's `writeAll`: short writes and EINTR retried).
    public func write(_ bytes: [UInt8]) async throws(DeviceError) {
        let fd = self.fd, path = self.path
        let result: Result<Void, DeviceError> = await withCheckedContinuation { continuation in
            queue.async {
                do {
                    _ = try FileDescriptor(rawValue: fd).writeAll(bytes)
                    continuation.resume(returning: .success(()))
                } catch {
                    let code = (error as? Errno)?.rawValue ?? EIO
                    continuation.resume(returning: .failure(DeviceError("write to the pole display", path, errno: code)))
                }
            }
        }
        try result.get()
    }
}
