import EgumaAPI
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

    /// A JSON string, escaped by Foundation's encoder (a bare string cannot fail to encode).
    static func quote(_ text: String) -> String {
        String(decoding: (try? encoder.encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()
}

extension Optional where Wrapped == String {
    var wire: WireValue { map(WireValue.string) ?? .null }
}

extension Optional where Wrapped == Int64 {
    var wire: WireValue { map(WireValue.int) ?? .null }
}

extension EgumaID {
    /// As the account sends it: a JSON number for a numeric id, a JSON string for a text one.
    var wire: WireValue { isNumber ? number.wire : .string(text) }
}
