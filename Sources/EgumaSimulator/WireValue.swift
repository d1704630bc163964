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
    /// A nested object (keys sorted on the wire).
    case fields([String: WireValue])
    /// An array (the redemption list).
    case list([WireValue])

    /// Serialises an object with its keys sorted, so answers are stable byte for byte.
    static func object(_ fields: [String: WireValue]) -> Data {
        Data(WireValue.fields(fields).json.utf8)
    }

    var json: String {
        switch self {
        case .string(let s): WireValue.quote(s)
        case .int(let n): String(n)
        case .bool(let b): b ? "true" : "false"
        case .null: "null"
        case .fields(let fields):
            "{" + fields.keys.sorted().map { WireValue.quote($0) + ":" + (fields[$0] ?? .null).json }.joined(separator: ",") + "}"
        case .list(let items): "[" + items.map(\.json).joined(separator: ",") + "]"
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
