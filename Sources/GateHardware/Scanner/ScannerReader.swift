import GateCore
import SystemPackage

/// Reads one open scanner node on its own `FDReaderThread` (never on the Swift cooperative
/// pool): bytes through the lane's decoder, frames out.
///
/// The device going away (EOF, EIO, ENODEV, POLLHUP/POLLERR) ends the loop with one `detached`
/// event; a stopped reader sends nothing more. Either way the fd is released through `release`
/// (ungrab, drop the exclusive lock) and closed on the thread before `stop()` returns.
public final class ScannerReader: Sendable {
    /// The node being read, e.g. `/dev/ttyACM0`.
    public let device: String
    private let thread: FDReaderThread

    /// Starts reading `fd` (already opened and configured, non-blocking) on a new thread.
    /// `release` runs on the reader thread just before `fd` is closed; `closeFD` is false for
    /// descriptors the reader does not own (stdin).
    public init(
        fd: Int32, device: String, decoder: any ScannerDecoder, closeFD: Bool = true,
        release: @escaping @Sendable (Int32) -> Void = { _ in },
        sink: @escaping @Sendable (ScannerEvent) -> Void
    ) throws(DeviceError) {
        self.device = device
        let descriptor = FileDescriptor(rawValue: fd)
        do {
            thread = try FDReaderThread(
                fd: descriptor, name: "scanner \(device)", initial: decoder,
                timeout: { $0.idleTimeoutMs },
                body: { decoder, readiness in Self.step(descriptor, device: device, &decoder, readiness, sink: sink) },
                cleanup: { _ in
                    release(fd)
                    if closeFD { try? descriptor.close() }
                })
        } catch {
            throw DeviceError("start a reader thread for", device, errno: error.rawValue)
        }
    }

    /// Stops reading and waits until the device is released and closed. Safe after the reader
    /// ended by itself, and more than once.
    public func stop() async {
        await thread.stop()
    }

    /// Asks the reader to stop without waiting (a stream's `onTermination`); `stop()` waits.
    public func requestStop() {
        thread.requestStop()
    }

    /// Waits until the reader ended by itself (device gone) or was stopped.
    public func finished() async {
        await thread.finished()
    }

    /// Reads until the calling task is cancelled, then stops and returns once the device is
    /// closed: `CodeSource.run(into:)` of a source with one fixed device. A device that ended by
    /// itself has sent `detached`; the lane shows its scanner missing until the run is cancelled.
    public func readUntilCancelled() async {
        await WakeSignal().wait()  // signalled by nobody: returns when the task is cancelled
        await stop()
    }

    private static func step(
        _ fd: FileDescriptor, device: String, _ decoder: inout any ScannerDecoder,
        _ readiness: FDReaderThread.Readiness, sink: @Sendable (ScannerEvent) -> Void
    ) -> FDReaderThread.Next {
        switch readiness {
        case .idle:
            if let frame = decoder.idle() { sink(.frame(frame)) }
            return .keepReading
        case .failed(let error):
            sink(.detached(device: device, reason: DeviceError("poll", device, errno: error.rawValue).description))
            return .finish
        case .hangUp:
            // No data left and the other side is gone: a detach, never a spin on POLLHUP.
            sink(.detached(device: device, reason: "\(device): hang-up"))
            return .finish
        case .readable:
            var buffer = [UInt8](repeating: 0, count: 4096)
            let result = buffer.withUnsafeMutableBytes { fd.readAvailable(into: $0) }
            switch result {
            case .success(nil):
                return .keepReading
            case .success(0?):
                sink(.detached(device: device, reason: "\(device): end of input (hang-up)"))
                return .finish
            case .success(let n?):
                let frames = buffer.withUnsafeBytes { decoder.consume(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                for frame in frames { sink(.frame(frame)) }
                return .keepReading
            case .failure(let error):
                sink(.detached(device: device, reason: DeviceError("read", device, errno: error.rawValue).description))
                return .finish
            }
        }
    }
}
