import CGPIOD
import Foundation
import GateCore
import Synchronization

/// Reads GPIO edge events from a line's event fd on a dedicated thread.
///
/// The thread `poll`s the event fd together with a stop pipe, so no blocking wait ever sits on
/// the Swift cooperative pool, and `stop()` ends it promptly and waits until it no longer touches
/// the fd (only then may the line be released). Events are parsed by libgpiod
/// (`gpiod_line_event_read_fd`), which is also why any fd carrying kernel `gpioevent_data`
/// records works — tests feed a pipe.
final class GPIOEdgeReader: Sendable {
    let events: AsyncStream<GPIOEdgeEvent>
    private let wakeReadFD: Int32
    private let wakeWriteFD: Int32
    private let finished = DispatchSemaphore(value: 0)
    private let stopped = Mutex(false)

    init(eventFD: Int32, label: String) throws(GPIOError) {
        let (events, continuation) = AsyncStream.makeStream(of: GPIOEdgeEvent.self, bufferingPolicy: .bufferingNewest(256))
        self.events = events
        var fds: [Int32] = [-1, -1]
        guard eventFD >= 0, pipe(&fds) == 0 else {
            continuation.finish()
            throw GPIOError(operation: "watch edges of", subject: label, cause: .system(errno: errno))
        }
        wakeReadFD = fds[0]
        wakeWriteFD = fds[1]
        let thread = Thread { [wakeReadFD, finished] in
            Self.readEdges(eventFD: eventFD, wakeFD: wakeReadFD, into: continuation)
            finished.signal()
        }
        thread.name = "gpio-edges \(label)"
        thread.start()
    }

    /// Ends the thread and waits for it. Idempotent.
    func stop() {
        let first = stopped.withLock { stopped in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        var byte: UInt8 = 1
        _ = write(wakeWriteFD, &byte, 1)
        finished.wait()
        close(wakeReadFD)
        close(wakeWriteFD)
    }

    deinit { stop() }

    /// The thread body: blocks in `poll` until an edge or the stop signal.
    private static func readEdges(
        eventFD: Int32, wakeFD: Int32, into continuation: AsyncStream<GPIOEdgeEvent>.Continuation
    ) {
        defer { continuation.finish() }
        var fds = [pollfd(fd: eventFD, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)]
        while true {
            fds[0].revents = 0
            fds[1].revents = 0
            if poll(&fds, 2, -1) < 0 {
                if errno == EINTR { continue }
                return
            }
            if fds[1].revents != 0 { return }
            if fds[0].revents & Int16(POLLIN) != 0 {
                var event = gpiod_line_event()
                guard gpiod_line_event_read_fd(eventFD, &event) == 0 else { return }
                let kind: GPIOEdgeKind = event.event_type == Int32(GPIOD_LINE_EVENT_RISING_EDGE) ? .rising : .falling
                let timestamp = Duration.seconds(event.ts.tv_sec) + Duration.nanoseconds(event.ts.tv_nsec)
                continuation.yield(GPIOEdgeEvent(kind: kind, timestamp: timestamp))
            } else if fds[0].revents != 0 {
                return  // POLLERR/POLLHUP: the line went away
            }
        }
    }
}
