import CGPIOD
import Foundation
import GateCore
import Synchronization

/// An input line with edge events, requested through libgpiod; its edges come from a
/// `GPIOEdgeReader` thread, never from a blocking call on the cooperative pool.
final class LibgpiodInputLine: GPIOInputLine, @unchecked Sendable {
    let label: String
    var events: AsyncStream<GPIOEdgeEvent> { reader.events }
    private let chip: LibgpiodChip
    private let line: OpaquePointer
    private let reader: GPIOEdgeReader
    private let released = Mutex(false)

    init(chip: LibgpiodChip, line: OpaquePointer, label: String) throws(GPIOError) {
        do {
            reader = try GPIOEdgeReader(eventFD: gpiod_line_event_get_fd(line), label: label)
        } catch {
            chip.lock.withLock { _ in gpiod_line_release(line) }
            throw error
        }
        self.chip = chip
        self.line = line
        self.label = label
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
            reader.stop()  // the thread no longer touches the event fd
            chip.lock.withLock { _ in gpiod_line_release(line) }
        }
    }

    deinit { release() }
}
