/// One GPIO line as configured for a relay, sensor, LED, buzzer or emergency contact
/// (SPEC §5: `{ chip = "gpiochip0", line = 17, active_low = false, … }`).
///
/// `chip` is a chip name (`gpiochip0`), a path (`/dev/gpiochip0`), a label (`pinctrl-bcm2711`)
/// or `sim` for the simulated chip. Input-only fields (`edge`, `bias`, `debounce`) are ignored
/// for outputs.
public struct GPIOLineConfig: Hashable, Sendable {
    /// The chip name that selects the simulated chip.
    public static let simulatedChip = "sim"

    public var chip: String
    public var line: GPIOLineID
    public var activeLow: Bool
    public var edge: GPIOEdge
    public var bias: GPIOBias
    public var debounce: Duration

    public init(
        chip: String, line: GPIOLineID, activeLow: Bool = false,
        edge: GPIOEdge = .falling, bias: GPIOBias = .asIs, debounce: Duration = .milliseconds(20)
    ) {
        self.chip = chip
        self.line = line
        self.activeLow = activeLow
        self.edge = edge
        self.bias = bias
        self.debounce = debounce
    }

    public var isSimulated: Bool { chip == Self.simulatedChip }
}

extension GPIOLineConfig: CustomStringConvertible {
    public var description: String { "\(chip) \(line)" }
}
