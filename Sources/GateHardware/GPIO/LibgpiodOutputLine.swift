import CGPIOD
import Foundation
import GateCore
import Synchronization

/// An output line requested through libgpiod, used by one owner (a relay or lights actor).
final class LibgpiodOutputLine: GPIOOutputLine, @unchecked Sendable {
    let label: String
    private let chip: LibgpiodChip
    private let line: OpaquePointer
    private let released = Mutex(false)

    init(chip: LibgpiodChip, line: OpaquePointer, label: String) {
        self.chip = chip
        self.line = line
        self.label = label
    }

    func setActive(_ active: Bool) throws(GPIOError) {
        let result: Int32? = released.withLock { released in
            released ? nil : gpiod_line_set_value(line, active ? 1 : 0)
        }
        guard let result else { throw GPIOError(operation: "set", subject: label, cause: .released) }
        guard result == 0 else { throw GPIOError(operation: "set", subject: label, cause: .system(errno: errno)) }
    }

    func release() {
        released.withLock { released in
            guard !released else { return }
            released = true
            chip.lock.withLock { _ in gpiod_line_release(line) }
        }
    }

    deinit { release() }
}
