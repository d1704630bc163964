import Foundation
import Synchronization
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// A file descriptor read on its own thread, woken and stopped safely — the one place the
/// gate's readers (serial, evdev, hidraw, stdin, udev monitor, GPIO edges) wait on a device.
///
/// The thread `poll`s the device together with a wake pipe. `stop()` writes the pipe and waits
/// (joins) until the thread has run its cleanup; only then are both ends of the pipe closed. The
/// earlier readers closed the read end on the thread, so a `stop()` after the reader ended by
/// itself (stdin at EOF, a scanner unplugged) wrote into a pipe without reader: SIGPIPE killed
/// the daemon. Here the read end outlives the thread, so that write can never raise SIGPIPE.
///
/// Blocking waits never run on the Swift cooperative pool: the loop is a plain `Thread`.
public final class FDReaderThread: Sendable {
    /// Why the body is called.
    public enum Readiness: Sendable, Equatable {
        /// The device has data (or EOF, which `read` returns as 0).
        case readable
        /// The body's timeout passed without data.
        case idle
        /// POLLHUP/POLLERR/POLLNVAL without data: the other side is gone.
        case hangUp
        /// `poll` itself failed (not EINTR, which is retried).
        case failed(Errno)
    }

    /// What the loop does after the body ran.
    public enum Next: Sendable { case keepReading, finish }

    /// The device (for logs and thread names).
    public let name: String
    private let wake: (readEnd: FileDescriptor, writeEnd: FileDescriptor)
    private let done = DispatchGroup()
    private let loopThread = LoopThread()
    /// (stop requested, wake fd closed)
    private let state = Mutex<(stopping: Bool, closed: Bool)>((false, false))

    /// Starts reading `fd` on a new thread.
    /// - Parameters:
    ///   - initial: the loop's own state (a decoder …), owned by the thread.
    ///   - timeout: milliseconds to wait for data before the body gets `.idle`; nil waits forever.
    ///   - body: called on the thread for each readiness; `.finish` ends the loop (EOF, error).
    ///   - cleanup: runs on the thread once the loop ended (stopped or finished), before `stop()`
    ///     returns — release and close the device here.
    public init<State: Sendable>(
        fd: FileDescriptor, name: String, initial: State,
        timeout: @escaping @Sendable (State) -> Int32? = { _ in nil },
        body: @escaping @Sendable (inout State, Readiness) -> Next,
        cleanup: @escaping @Sendable (State) -> Void = { _ in }
    ) throws(Errno) {
        self.name = name
        let wake = try Self.makeWakePipe()
        self.wake = wake
        let done = done
        let loopThread = loopThread
        done.enter()
        let thread = Thread {
            loopThread.id.withLock { $0 = pthread_self() }
            var state = initial
            Self.loop(fd: fd, wake: wake.readEnd, state: &state, timeout: timeout, body: body)
            cleanup(state)
            done.leave()
        }
        thread.name = name
        thread.start()
    }

    deinit {
        // Nobody stopped it: stop now (the thread holds no reference to self, so this can run
        // while it still polls) and close the wake pipe only after it has exited. Dropped on the
        // loop's own thread (from a callback), waiting would never end: wake it, leave the pipe.
        if let id = loopThread.id.withLock({ $0 }), pthread_equal(id, pthread_self()) != 0 {
            requestStop()
            return
        }
        stopAndWait()
    }

    /// True once the loop ended (by itself or stopped) and its cleanup ran.
    public var hasEnded: Bool { done.wait(timeout: .now()) == .success }

    /// Wakes the thread and waits until it ended and ran its cleanup. Safe to call any number of
    /// times, before or after the loop ended by itself.
    public func stop() async {
        requestStop()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            done.notify(queue: .global()) { continuation.resume() }
        }
        closeWake()
    }

    /// `stop()` for callers outside async code (deinit, GPIO line release); blocks this thread.
    public func stopAndWait() {
        requestStop()
        done.wait()
        closeWake()
    }

    /// Waits until the loop ended by itself or was stopped.
    public func finished() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            done.notify(queue: .global()) { continuation.resume() }
        }
    }

    /// Asks the thread to stop and returns at once (for synchronous callbacks such as a stream's
    /// `onTermination`); the thread closes its device as it ends. `stop()` also waits for that.
    public func requestStop() {
        let write = state.withLock { s -> Bool in
            guard !s.closed else { return false }
            s.stopping = true
            return true
        }
        guard write else { return }
        // Non-blocking: a full pipe (woken many times) already wakes the thread.
        _ = try? [UInt8(1)].withUnsafeBytes { try wake.writeEnd.write($0) }
    }

    private func closeWake() {
        let close = state.withLock { s -> Bool in
            defer { s.closed = true }
            return !s.closed
        }
        if close {
            try? wake.readEnd.close()
            try? wake.writeEnd.close()
        }
    }

    /// A close-on-exec pipe whose ends never block (swift-system's `pipe()` sets neither flag).
    private static func makeWakePipe() throws(Errno) -> (readEnd: FileDescriptor, writeEnd: FileDescriptor) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw Errno(rawValue: errno) }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        return (FileDescriptor(rawValue: fds[0]), FileDescriptor(rawValue: fds[1]))
    }

    private static func loop<State>(
        fd: FileDescriptor, wake: FileDescriptor, state: inout State,
        timeout: (State) -> Int32?, body: (inout State, Readiness) -> Next
    ) {
        var pfds = [pollfd(fd: fd.rawValue, events: Int16(POLLIN), revents: 0),
                    pollfd(fd: wake.rawValue, events: Int16(POLLIN), revents: 0)]
        while true {
            pfds[0].revents = 0
            pfds[1].revents = 0
            let rc = poll(&pfds, 2, timeout(state) ?? -1)
            if rc < 0 {
                let error = Errno(rawValue: errno)
                if error == .interrupted { continue }
                if body(&state, .failed(error)) == .finish { return }
                continue
            }
            if pfds[1].revents != 0 { return }  // stopped
            let readiness: Readiness
            if rc == 0 {
                readiness = .idle
            } else if Int32(pfds[0].revents) & Int32(POLLIN) != 0 {
                readiness = .readable
            } else {
                readiness = .hangUp
            }
            if body(&state, readiness) == .finish { return }
        }
    }
}

/// Which thread runs the loop, shared with it before it starts.
private final class LoopThread: Sendable {
    let id = Mutex<pthread_t?>(nil)
}

extension FileDescriptor {
    /// One `read` into `buffer`: the byte count (0 at end of input), nil when nothing is there
    /// yet (EAGAIN), or the error. EINTR is retried by swift-system.
    public func readAvailable(into buffer: UnsafeMutableRawBufferPointer) -> Result<Int?, Errno> {
        do {
            return .success(try read(into: buffer))
        } catch {
            let errno = (error as? Errno) ?? .ioError
            if errno == .resourceTemporarilyUnavailable || errno == .interrupted { return .success(nil) }
            return .failure(errno)
        }
    }
}
