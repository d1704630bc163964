import Foundation

/// A JSON value as the simulator writes it on the wire.
///
/// The simulator builds its answers from EGUMA-API.md field by field instead of reusing the
/// client's `Codable` models: if both sides shared the models, a wrong `CodingKey` in the client
/// would go unnoticed by every client↔simulator test.
enum WireValue: Sendable, Equatable {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case null

    /// Serialises an object with its keys sorted, so answers are stable byte for byte.
    static func object(_ fields: [String: WireValue]) -> Data {
        var out = "{"
        for (index, key) in fields.keys.sorted().enumerated() {
            if index > 0 { out += "," }
            out += quote(key) + ":" + (fields[key] ?? .null).json
        }
        out += "}"
        return Data(out.utf8)
    }

    var json: String {
        switch self {
        case .string(let s): WireValue.quote(s)
        case .int(let n): String(n)
        case .bool(let b): b ? "true" : "false"
        case .null: "null"
        }
    }

    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension Optional where Wrapped == String {
    var wire: WireValue { map(WireValue.string) ?? .null }
}

extension Optional where Wrapped == Int64 {
    var wire: WireValue { map(WireValue.int) ?? .null }
}
