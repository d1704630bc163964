import Crypto
import GateCore

/// What a controller ships instead of a voucher code: HMAC-SHA256 under the site's code key of
/// the code's canonical form, plus the masked form people read. A full code never leaves the
/// controller; two gates of one site (one key) hash one code alike, so claims and reconciliation
/// match on the hash. Canonical: dashes dropped, letters upper-cased — e-guma prints codes both
/// with and without dashes, and its list may show either.
public struct CodeHasher: Sendable {
    /// The key's bytes; `SymmetricKey` is not `Sendable`, so one is made per hash.
    private let key: [UInt8]

    public init(key: [UInt8]) { self.key = key }

    public static func canonical(_ code: String) -> String {
        String(code.filter { $0 != "-" }).uppercased()
    }

    /// Lower-case hex of HMAC-SHA256(key, canonical code).
    public func hash(_ code: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(Self.canonical(code).utf8), using: SymmetricKey(data: key))
        return mac.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    public func masked(_ code: String) -> String { VoucherCode.mask(code) }
}
