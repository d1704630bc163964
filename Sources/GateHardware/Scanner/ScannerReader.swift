import Foundation
import GateCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Reads one open scanner node on a dedicated thread (never on the Swift cooperative pool):
/// `poll` on the device and a wake-up pipe, bytes through the lane's decoder, frames out.
///
/// The device going away (EOF, EIO, ENODEV, POLLHUP/POLLERR) ends the loop with one `detached`
/// event; a stopped reader sends nothing more. Either way the fd is released through `release`
/// (ungrab, drop the exclusive lock) and closed on the thread before `stop()` returns.
public final class ScannerReader: Sendable {
    /// The node being read, e.g. `/dev/ttyACM0`.
    public let device: String

    private struct State {
        var finished = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    /// The lock-protected state, in a class so the reader thread can share it.
    private final class Shared: Sendable {
        let state = Mutex(State())
    }

    private let wakeWrite: Int32
    private let shared = Shared()

    /// Starts reading `fd` (already opened and configured, non-blocking) on a new thread.
    /// `release` runs on the reader thread just before `fd` is closed; `closeFD` is false for
    /// descriptors the reader does not own (stdin).
    public init(
        fd: Int32, device: String, decoder: any ScannerDecoder, closeFD: Bool = true,
        release: @escaping @Sendable (Int32) -> Void = { _ in },
        sink: @escaping @Sendable (ScannerEvent) -> Void
    ) throws(DeviceError) {
        self.device = device
        guard let fds = makeWakePipe() else { throw DeviceError.last("create wake-up pipe for", device) }
        wakeWrite = fds.1
        let wakeRead = fds.0
        let shared = shared
        let thread = Thread {
            Self.loop(fd: fd, wake: wakeRead, device: device, decoder: decoder, sink: sink)
            release(fd)
            if closeFD { close(fd) }
            close(wakeRead)
            let waiters = shared.state.withLock { s in
                s.finished = true
                defer { s.waiters = [] }
                return s.waiters
            }
            for waiter in waiters { waiter.resume() }
        }
        thread.name = "scanner \(device)"
        thread.start()
    }

    deinit {
        close(wakeWrite)
    }

    /// Stops reading and waits until the device is released and closed.
    public func stop() async {
        var one: UInt8 = 1
        _ = write(wakeWrite, &one, 1)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = shared.state.withLock { s in
                if s.finished { return true }
                s.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Waits until the reader ended by itself (device gone) or was stopped.
    public func finished() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = shared.state.withLock { s in
                if s.finished { return true }
                s.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    private static func loop(
        fd: Int32, wake: Int32, device: String, decoder: any ScannerDecoder,
        sink: @Sendable (ScannerEvent) -> Void
    ) {
        var decoder = decoder
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { buffer.deallocate() }
        var pfds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                    pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
        while true {
            pfds[0].revents = 0
            pfds[1].revents = 0
            let rc = poll(&pfds, 2, decoder.idleTimeoutMs ?? -1)
            if rc < 0 {
                if errno == EINTR { continue }
                sink(.detached(device: device, reason: DeviceError.last("poll", device).description))
                return
            }
            if pfds[1].revents != 0 { return }  // stopped
            if rc == 0 {
                if let frame = decoder.idle() { sink(.frame(frame)) }
                continue
            }
            let revents = Int32(pfds[0].revents)
            if revents & Int32(POLLIN) != 0 {
                let n = read(fd, buffer.baseAddress, buffer.count)
                if n > 0 {
                    for frame in decoder.consume(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) {
                        sink(.frame(frame))
                    }
                    continue
                }
                if n == 0 {
                    sink(.detached(device: device, reason: "\(device): end of input (hang-up)"))
                    return
                }
                let err = errno
                if err == EINTR || err == EAGAIN { continue }
                sink(.detached(device: device, reason: DeviceError("read", device, errno: err).description))
                return
            }
            if revents & Int32(POLLHUP | POLLERR | POLLNVAL) != 0 {
                // No data left and the other side is gone: a detach, never a spin on POLLHUP.
                sink(.detached(device: device, reason: "\(device): hang-up"))
                return
            }
        }
    }
}

/// A non-blocking, close-on-exec pipe whose write end wakes a reader thread's `poll`.
func makeWakePipe() -> (Int32, Int32)? {
    var fds: [Int32] = [-1, -1]
    guard pipe(&fds) == 0 else { return nil }
    for fd in fds {
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }
    return (fds[0], fds[1])
}
