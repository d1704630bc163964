import Foundation

/// A GPIO failure with what was attempted, on which chip or line, and what to do about it.
public struct GPIOError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Why it failed.
    public enum Cause: Equatable, Sendable {
        /// No such chip; `available` lists the chips that exist (name and label).
        case chipNotFound(available: [String])
        /// The path exists but is not a GPIO chip.
        case notAGPIOChip
        /// The chip has no line with this offset or name.
        case lineNotFound(lineCount: Int?)
        /// Someone else holds the line.
        case lineBusy(consumer: String?)
        /// The service user may not open the chip.
        case permissionDenied(path: String)
        /// `chip = "sim"` without a simulated chip (only the demo and tests provide one).
        case simulatedChipUnavailable
        /// The line was released (daemon stopping).
        case released
        /// Any other errno.
        case system(errno: Int32)
    }

    public var operation: String
    public var subject: String
    public var cause: Cause

    public init(operation: String, subject: String, cause: Cause) {
        self.operation = operation
        self.subject = subject
        self.cause = cause
    }

    /// Failures the technician fixes in the configuration or the system setup (exit code 2),
    /// as opposed to runtime I/O failures.
    public var isConfigurationError: Bool {
        switch cause {
        case .chipNotFound, .notAGPIOChip, .lineNotFound, .lineBusy, .permissionDenied, .simulatedChipUnavailable:
            true
        case .released, .system:
            false
        }
    }

    public var description: String {
        let head = "\(operation) \(subject)"
        switch cause {
        case .chipNotFound(let available):
            let list = available.isEmpty
                ? "this machine has no GPIO chips (no /dev/gpiochip*) — is this the right machine, and is the GPIO driver loaded?"
                : "chips present: \(available.joined(separator: ", "))"
            return "\(head): no such GPIO chip — \(list)"
        case .notAGPIOChip:
            return "\(head): not a GPIO character device — name a chip like gpiochip0, /dev/gpiochip0 or its label"
        case .lineNotFound(let count):
            let range = count.map { " (this chip has lines 0–\($0 - 1))" } ?? ""
            return "\(head): no such line\(range) — check the offset or the line name with `gpioinfo`"
        case .lineBusy(let consumer):
            let who = consumer.map { "held by \"\($0)\"" } ?? "held by another consumer"
            return "\(head): line busy, \(who) — stop that program or the kernel driver using it, or pick another line"
        case .permissionDenied(let path):
            return "\(head): permission denied on \(path) — add the service user to group eguma-gate and install "
                + "the rule from udev-rules/ (SUBSYSTEM==\"gpio\", KERNEL==\"gpiochip*\", GROUP=\"eguma-gate\", MODE=\"0660\"), "
                + "then `udevadm trigger`"
        case .simulatedChipUnavailable:
            return "\(head): chip \"sim\" exists only in `eguma-gate demo` and tests — name a real chip"
        case .released:
            return "\(head): the line was already released (stopping)"
        case .system(let code):
            return "\(head): \(String(cString: strerror(code))) (errno \(code))"
        }
    }
}
