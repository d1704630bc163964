import CGPIOD
import Foundation
import GateCore
import SystemPackage

/// Reads GPIO edge events from a line's event fd on an `FDReaderThread`.
///
/// No blocking wait ever sits on the Swift cooperative pool, and `stop()` ends the thread
/// promptly and waits until it no longer touches the fd (only then may the line be released).
/// Events are parsed by libgpiod (`gpiod_line_event_read_fd`), which is also why any fd carrying
/// kernel `gpioevent_data` records works — tests feed a pipe.
final class GPIOEdgeReader: Sendable {
    let events: AsyncStream<GPIOEdgeEvent>
    private let thread: FDReaderThread

    init(eventFD: Int32, label: String) throws(GPIOError) {
        let (events, continuation) = AsyncStream.makeStream(of: GPIOEdgeEvent.self, bufferingPolicy: .bufferingNewest(256))
        self.events = events
        guard eventFD >= 0 else {
            continuation.finish()
            throw GPIOError(operation: "watch edges of", subject: label, cause: .system(errno: EBADF))
        }
        do {
            thread = try FDReaderThread(
                fd: FileDescriptor(rawValue: eventFD), name: "gpio-edges \(label)", initial: (),
                body: { _, readiness in
                    // POLLERR/POLLHUP or an unreadable record: the line went away.
                    guard readiness == .readable, let event = Self.read(eventFD) else { return .finish }
                    continuation.yield(event)
                    return .keepReading
                },
                cleanup: { _ in continuation.finish() })
        } catch {
            continuation.finish()
            throw GPIOError(operation: "watch edges of", subject: label, cause: .system(errno: error.rawValue))
        }
    }

    /// Ends the thread and waits for it. Idempotent.
    func stop() {
        thread.stopAndWait()
    }

    private static func read(_ eventFD: Int32) -> GPIOEdgeEvent? {
        var event = gpiod_line_event()
        guard gpiod_line_event_read_fd(eventFD, &event) == 0 else { return nil }
        let kind: GPIOEdgeKind = event.event_type == Int32(GPIOD_LINE_EVENT_RISING_EDGE) ? .rising : .falling
        let timestamp = Duration.seconds(event.ts.tv_sec) + Duration.nanoseconds(event.ts.tv_nsec)
        return GPIOEdgeEvent(kind: kind, timestamp: timestamp)
    }
}
