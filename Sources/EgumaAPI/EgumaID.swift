import Foundation

/// An identifier whose JSON type e-guma's documentation leaves open — the redemption list's
/// `user.id` above all: a number in some accounts, text in others (EGUMA-API.md documents
/// `user` as `{id, name}` without a type).
///
/// Read as either, compared as **canonical text** so that `501`, `"501"` and `" 0501 "` are one
/// user: surrounding white space is dropped, and a text of decimal digits only loses its leading
/// zeros (the same number written as text). Any other text is kept as it is ("u-501" ≠ "U-501").
/// Whether the id came as a number is remembered only to write it back the same way.
public struct EgumaID: Sendable, Hashable, Codable, CustomStringConvertible,
    ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
    /// The canonical text: what comparisons, the `user_id=` query and the config use.
    public let text: String
    /// True when it was (and is written back as) a JSON/TOML number.
    public let isNumber: Bool

    public init(_ number: Int64) { text = String(number); isNumber = true }

    /// Nil for text that is empty after trimming or holds control characters.
    public init?(text raw: String) {
        guard let canonical = Self.canonical(raw) else { return nil }
        text = canonical; isNumber = false
    }

    public init(integerLiteral value: Int64) { self.init(value) }

    /// For tests and constants; an unusable literal keeps its raw text.
    public init(stringLiteral value: String) { text = Self.canonical(value) ?? value; isNumber = false }

    /// What the id says as a number, when it is one (for a JSON number in `--json` output).
    public var number: Int64? { Int64(text) }

    public var description: String { text }

    public static func == (lhs: EgumaID, rhs: EgumaID) -> Bool { lhs.text == rhs.text }
    public func hash(into hasher: inout Hasher) { hasher.combine(text) }

    static func canonical(_ raw: String) -> String? {
        let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            return nil
        }
        guard trimmed.allSatisfy({ $0.isASCII && $0.isNumber }) else { return trimmed }
        let digits = trimmed.drop { $0 == "0" }
        return digits.isEmpty ? "0" : String(digits)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let number = try? c.decode(Int64.self) {
            self.init(number)
        } else if let raw = try? c.decode(String.self), let id = EgumaID(text: raw) {
            self = id
        } else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "expected an id: a whole number or non-empty text"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        if isNumber, let number { try c.encode(number) } else { try c.encode(text) }
    }
}
