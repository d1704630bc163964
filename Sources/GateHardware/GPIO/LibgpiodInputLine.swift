import CGPIOD
import Foundation
import GateCore
import Synchronization

/// An input line with edge events, requested through libgpiod.
///
/// Edges are read on a dedicated thread that `poll`s the line's event fd together with a
/// pipe used to stop it, so no blocking wait ever sits on the Swift cooperative pool.
final class LibgpiodInputLine: GPIOInputLine, @unchecked Sendable {
    let label: String
    let events: AsyncStream<GPIOEdgeEvent>
    private let chip: LibgpiodChip
    private let line: OpaquePointer
    /// Read end (polled by the thread) and write end (written by `release`) of the stop pipe.
    private let wakeFD: Int32
    private let wakeWriteFD: Int32
    private let continuation: AsyncStream<GPIOEdgeEvent>.Continuation
    private let stopped = DispatchSemaphore(value: 0)
    private let released = Mutex(false)

    init(chip: LibgpiodChip, line: OpaquePointer, label: String) throws(GPIOError) {
        self.chip = chip
        self.line = line
        self.label = label
        (events, continuation) = AsyncStream.makeStream(of: GPIOEdgeEvent.self, bufferingPolicy: .bufferingNewest(256))
        let eventFD = gpiod_line_event_get_fd(line)
        var pipeFDs: [Int32] = [-1, -1]
        let piped = pipe(&pipeFDs) == 0
        wakeFD = pipeFDs[0]
        wakeWriteFD = pipeFDs[1]
        guard eventFD >= 0, piped else {
            let code = errno
            if piped {
                close(wakeFD)
                close(wakeWriteFD)
            }
            chip.lock.withLock { _ in gpiod_line_release(line) }
            released.withLock { $0 = true }  // no thread to stop: deinit must not wait for one
            continuation.finish()
            throw GPIOError(operation: "watch edges of", subject: label, cause: .system(errno: code))
        }
        let thread = Thread { [continuation, wakeFD, stopped] in
            Self.readEdges(eventFD: eventFD, wakeFD: wakeFD, into: continuation)
            stopped.signal()
        }
        thread.name = "gpio-edges \(label)"
        thread.start()
    }

    /// The thread body: blocks in `poll` until an edge or the stop signal.
    private static func readEdges(
        eventFD: Int32, wakeFD: Int32, into continuation: AsyncStream<GPIOEdgeEvent>.Continuation
    ) {
        var fds = [pollfd(fd: eventFD, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)]
        while true {
            fds[0].revents = 0
            fds[1].revents = 0
            let ready = poll(&fds, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            if fds[1].revents != 0 { break }
            if fds[0].revents & Int16(POLLIN) != 0 {
                var event = gpiod_line_event()
                guard gpiod_line_event_read_fd(eventFD, &event) == 0 else { break }
                let kind: GPIOEdgeKind = event.event_type == Int32(GPIOD_LINE_EVENT_RISING_EDGE) ? .rising : .falling
                let timestamp = Duration.seconds(event.ts.tv_sec) + Duration.nanoseconds(event.ts.tv_nsec)
                continuation.yield(GPIOEdgeEvent(kind: kind, timestamp: timestamp))
            } else if fds[0].revents != 0 {
                break  // POLLERR/POLLHUP: the line went away
            }
        }
        continuation.finish()
    }

    func isActive() throws(GPIOError) -> Bool {
        let value: Int32? = released.withLock { released in released ? nil : gpiod_line_get_value(line) }
        guard let value else { throw GPIOError(operation: "read", subject: label, cause: .released) }
        guard value >= 0 else { throw GPIOError(operation: "read", subject: label, cause: .system(errno: errno)) }
        return value == 1
    }

    func release() {
        released.withLock { released in
            guard !released else { return }
            released = true
            var byte: UInt8 = 1
            _ = write(wakeWriteFD, &byte, 1)
            stopped.wait()  // the thread no longer touches the event fd
            close(wakeFD)
            close(wakeWriteFD)
            chip.lock.withLock { _ in gpiod_line_release(line) }
        }
    }

    deinit { release() }
}
