import GateCore

/// A GPIO chip whose lines can be requested. The real implementation talks to libgpiod; the
/// simulated chip implements the same protocols, so relay, sensor, lights and emergency logic is one code path for both.
public protocol GPIOChip: Sendable {
    /// The chip's name (`gpiochip0`, `sim`), for messages.
    var name: String { get }
    /// Requests `line` as an output whose *logical* value starts inactive (0), so a relay can
    /// never be energised by the request itself. `activeLow` inverts logical to physical.
    func requestOutput(_ line: GPIOLineID, activeLow: Bool, consumer: String) throws(GPIOError)
        -> any GPIOOutputLine
    /// Requests `line` as an input reporting `edge` transitions, with `bias`.
    func requestInput(_ line: GPIOLineID, edge: GPIOEdge, bias: GPIOBias, activeLow: Bool, consumer: String)
        throws(GPIOError) -> any GPIOInputLine
}

/// A requested output line, held until `release()`.
public protocol GPIOOutputLine: Sendable {
    /// Human-readable "chip line", for messages and logs.
    var label: String { get }
    /// Sets the logical value (true = active).
    func setActive(_ active: Bool) throws(GPIOError)
    /// Gives the line back to the kernel. Callers drive it inactive first.
    func release()
}

/// A requested input line with edge events, held until `release()`.
public protocol GPIOInputLine: Sendable {
    var label: String { get }
    /// The logical level now.
    func isActive() throws(GPIOError) -> Bool
    /// The line's edges. One consumer; the stream ends when the line is released.
    var events: AsyncStream<GPIOEdgeEvent> { get }
    func release()
}

/// Opens a chip by its configured name: `sim` gives the simulated chip, anything else libgpiod.
public struct GPIOChipOpener: Sendable {
    /// The consumer name every line is requested with (shown by `gpioinfo`).
    public static let consumer = "eguma-gate"

    public let simulated: SimulatedGPIOChip?

    /// - Parameter simulated: the chip that `chip = "sim"` selects; without one, "sim" is refused.
    public init(simulated: SimulatedGPIOChip? = nil) {
        self.simulated = simulated
    }

    public func open(_ chip: String) throws(GPIOError) -> any GPIOChip {
        if chip == GPIOLineConfig.simulatedChip {
            guard let simulated else {
                throw GPIOError(operation: "open GPIO chip", subject: chip, cause: .simulatedChipUnavailable)
            }
            return simulated
        }
        return try LibgpiodChip.open(chip)
    }
}
