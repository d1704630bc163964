/// An amount in integer cents as e-guma sends it (`*_in_cents`).
///
/// Decodes from a JSON number or from a numeric JSON string: one of e-guma's own examples sends
/// `"amount_in_cents": "15000"`. Always encodes as a number.
public struct Cents: Hashable, Comparable, Sendable, Codable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    public var value: Int64

    public init(_ value: Int64) { self.value = value }
    public init(integerLiteral value: Int64) { self.value = value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int64.self) {
            value = number
        } else if let text = try? container.decode(String.self),
                  let number = Int64(text.trimmingCharacters(in: .whitespaces)) {
            value = number
        } else if let double = try? container.decode(Double.self), double == double.rounded(),
                  abs(double) < 9e15 {
            value = Int64(double)  // "15000.0" from a sloppy encoder: still exact
        } else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected an integer number of cents or a numeric string")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }

    public static func < (lhs: Cents, rhs: Cents) -> Bool { lhs.value < rhs.value }
    public static func + (lhs: Cents, rhs: Cents) -> Cents { Cents(lhs.value + rhs.value) }
    public static func - (lhs: Cents, rhs: Cents) -> Cents { Cents(lhs.value - rhs.value) }

    /// `12.50` style, for people.
    public var description: String {
        let sign = value < 0 ? "-" : ""
        let m = value.magnitude
        let f = m % 100
        return "\(sign)\(m / 100).\(f < 10 ? "0" : "")\(f)"
    }
}

import Foundation
