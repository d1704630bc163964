/// How a configuration names a GPIO line: by its offset on the chip or by its line name
/// (`gpio-line-names` in the device tree, e.g. "GPIO17" on a Raspberry Pi).
public enum GPIOLineID: Hashable, Sendable, CustomStringConvertible {
    case offset(Int)
    case name(String)

    /// Parses a command-line or configuration value: digits are an offset, anything else a name.
    public init?(parsing text: String) {
        let trimmed = String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
        guard !trimmed.isEmpty else { return nil }
        if let offset = Int(trimmed) {
            guard offset >= 0 else { return nil }
            self = .offset(offset)
        } else {
            self = .name(trimmed)
        }
    }

    public var description: String {
        switch self {
        case .offset(let offset): "line \(offset)"
        case .name(let name): "line \"\(name)\""
        }
    }
}
