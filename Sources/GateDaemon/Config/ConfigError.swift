/// A configuration problem: which file, which key (dotted path), which line where known, and why.
///
/// Printed as `eguma-gate.toml:14: lanes.main.price: "25,00" is not an amount — write it like "25.00"`.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var key: String?
    public var line: Int?
    public var reason: String

    public init(file: String, key: String?, line: Int?, reason: String) {
        self.file = file; self.key = key; self.line = line; self.reason = reason
    }

    public var description: String {
        var out = file
        if let line { out += ":\(line)" }
        if let key { out += ": \(key)" }
        return out + ": " + reason
    }
}

/// Several problems at once: `config check` shows them all, not only the first.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ConfigError]
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
