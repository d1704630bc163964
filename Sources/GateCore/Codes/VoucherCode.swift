/// A voucher code as read at the gate, normalised per SPEC §3.1.
///
/// Normalising strips CR/LF, white space and control bytes (scanners add them as suffixes and
/// prefixes), then accepts only `[A-Za-z0-9.-]`, 1–64 characters. Anything else never reaches
/// e-guma. Case is kept: e-guma accepts codes as printed and ShortCodes are digits.
public struct VoucherCode: Hashable, Sendable, CustomStringConvertible {
    public let text: String

    public static let maxLength = 64

    /// Why a read was not accepted as a code. Each case has a guest-facing message.
    public enum Rejection: Error, Equatable, Sendable {
        /// Nothing was left after stripping (an empty read, only CR/LF, only spaces).
        case empty
        /// Characters outside the allowed alphabet (binary garbage, umlauts from a wrong layout …).
        case invalidCharacters
        /// More than 64 characters.
        case tooLong(Int)
    }

    /// Normalises a raw scanner frame. Bytes are taken as ASCII; any non-ASCII byte is invalid.
    public static func normalise(_ raw: [UInt8]) -> Result<VoucherCode, Rejection> {
        var kept: [UInt8] = []
        kept.reserveCapacity(min(raw.count, maxLength + 1))
        var invalid = false
        for byte in raw {
            switch byte {
            case 0x00...0x20, 0x7F: continue  // control bytes, space, DEL: stripped
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"):
                kept.append(byte)
            default:
                invalid = true
                kept.append(byte)
            }
        }
        if kept.isEmpty { return .failure(.empty) }
        if kept.count > maxLength { return .failure(.tooLong(kept.count)) }
        if invalid { return .failure(.invalidCharacters) }
        return .success(VoucherCode(unchecked: String(decoding: kept, as: UTF8.self)))
    }

    /// Normalises typed or pasted text (stdin scanner, CLI).
    public static func normalise(_ text: String) -> Result<VoucherCode, Rejection> {
        normalise(Array(text.utf8))
    }

    /// For codes that came back from e-guma (already canonical). No validation.
    public init(unchecked text: String) { self.text = text }

    /// The 12-character form without dashes if this is a dashed 14-character voucher code.
    public var undashed: String { text.replacingDashes() }

    /// True for a 12-character alphanumeric voucher code (dashes ignored): the only codes that
    /// `offline = "admit"` lets in, since ShortCodes need e-guma to resolve.
    public var isFullVoucherCode: Bool {
        let u = undashed
        return u.utf8.count == 12 && u.utf8.allSatisfy { isAlphanumeric($0) }
    }

    /// True for what a guest types from the voucher2mobile app: a ShortCode of 1–4 digits (e-guma
    /// issues two). So few exist that they get their own guessing budget (`GuessGuard`).
    public var isShortCode: Bool {
        (1...4).contains(text.utf8.count) && text.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// The code masked for logs: `••••-••••-KJR3` (only the last four characters are shown).
    public var masked: String { VoucherCode.mask(text) }

    /// Masks any code-like string for logs. Short codes (ShortCodes) are fully masked.
    public static func mask(_ code: String) -> String {
        let chars = Array(code.replacingDashes())
        guard chars.count > 6 else { return String(repeating: "•", count: max(chars.count, 2)) }
        return "••••-••••-" + String(chars.suffix(4))
    }

    public var description: String { masked }
}

private func isAlphanumeric(_ b: UInt8) -> Bool {
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
}

extension String {
    fileprivate func replacingDashes() -> String { String(self.filter { $0 != "-" }) }
}
