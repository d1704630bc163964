import GateCore

/// One recorded event on the simulated chip: a line requested, driven, moved by an injected
/// input, or released. Tests read these; `eguma-gate demo` prints them.
public struct SimulatedLineChange: Hashable, Sendable, CustomStringConvertible {
    /// What happened to the line.
    public enum Kind: String, Hashable, Sendable {
        case requestedOutput = "requested output"
        case requestedInput = "requested input"
        case driven
        case input
        case released
    }

    /// Time since the chip was created, on its clock.
    public var timestamp: Duration
    public var offset: Int
    public var kind: Kind
    /// The electrical level on the pin.
    public var physicalHigh: Bool
    /// The logical value (after `active_low`): true = relay energised, LED lit, contact active.
    public var active: Bool
    public var consumer: String?

    public var description: String {
        let tenths = Int((timestamp / .milliseconds(1) * 10).rounded())
        let time = "\(tenths / 10).\(tenths % 10)"
        return "+\(time) ms sim line \(offset) \(kind.rawValue): \(active ? "active" : "inactive") (\(physicalHigh ? "high" : "low"))"
    }
}
