import Foundation

/// One voucher as the simulator starts with it; also one entry of a `--vouchers` file.
///
/// File form (snake_case, see docs/simulator.md):
/// `{"code": "L4FU-5LQT-KJR3", "kind": "value", "balance_in_cents": 5000, "product_id": "p-50"}`.
/// Only `code` and `kind` are required; the rest has defaults that fit the kind.
public struct SimulatedVoucher: Codable, Sendable, Equatable {
    /// What kind of voucher this is; decides what balance answers and what redeem does.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// A value voucher: redeemable until its balance is used up.
        case value
        /// A service ("Maison") voucher: redeemable once, balance and total 0.
        case service
        /// Ordered but not paid: not redeemable.
        case unpaid
        /// A proforma voucher: not redeemable.
        case proforma
        /// Fully redeemed: balance 0, not redeemable.
        case redeemed
        /// A depot voucher not yet sold (activated); fixed or free amount.
        case depot
        /// A value voucher that can also be topped up (charge / cancel charge).
        case chargeable
    }

    /// 12 alphanumerics, with or without the two dashes.
    public var code: String
    public var kind: Kind
    /// Current balance; for `redeemed` and `service` it is 0 whatever the file says.
    public var balanceInCents: Int64
    /// Original value; defaults to the balance (value) or 0 (service).
    public var totalAmountInCents: Int64?
    public var productId: String?
    public var name: String?
    public var description: String?
    /// ISO 8601 date, shown by `info`.
    public var validUntil: String?
    /// A back-office note that balance shows even when the voucher is redeemable.
    public var message: String?
    /// Depot vouchers: true when the seller chooses the amount at activation.
    public var freeAmount: Bool
    /// Depot vouchers with a fixed amount: the amount activation loads.
    public var depotAmountInCents: Int64?
    /// A free (complimentary) voucher: its redemptions are `is_complimentary` in the list.
    public var complimentary: Bool = false

    public init(code: String, kind: Kind, balanceInCents: Int64 = 0, totalAmountInCents: Int64? = nil,
                productId: String? = nil, name: String? = nil, description: String? = nil,
                validUntil: String? = nil, message: String? = nil, freeAmount: Bool = false,
                depotAmountInCents: Int64? = nil) {
        self.code = code; self.kind = kind; self.balanceInCents = balanceInCents
        self.totalAmountInCents = totalAmountInCents; self.productId = productId; self.name = name
        self.description = description; self.validUntil = validUntil; self.message = message
        self.freeAmount = freeAmount; self.depotAmountInCents = depotAmountInCents
    }

    enum CodingKeys: String, CodingKey {
        case code, kind, name, description, message
        case balanceInCents = "balance_in_cents"
        case totalAmountInCents = "total_amount_in_cents"
        case productId = "product_id"
        case validUntil = "valid_until"
        case freeAmount = "free_amount"
        case depotAmountInCents = "depot_amount_in_cents"
        case complimentary
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        code = try c.decode(String.self, forKey: .code)
        kind = try c.decode(Kind.self, forKey: .kind)
        balanceInCents = try c.decodeIfPresent(Int64.self, forKey: .balanceInCents) ?? 0
        totalAmountInCents = try c.decodeIfPresent(Int64.self, forKey: .totalAmountInCents)
        productId = try c.decodeIfPresent(String.self, forKey: .productId)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        validUntil = try c.decodeIfPresent(String.self, forKey: .validUntil)
        message = try c.decodeIfPresent(String.self, forKey: .message)
        freeAmount = try c.decodeIfPresent(Bool.self, forKey: .freeAmount) ?? false
        depotAmountInCents = try c.decodeIfPresent(Int64.self, forKey: .depotAmountInCents)
        complimentary = try c.decodeIfPresent(Bool.self, forKey: .complimentary) ?? false
    }

    /// The code as the simulator stores and answers it: dashes and spaces removed, upper case.
    ///
    /// e-guma prints codes in upper case and its API accepts the printed form with dashes; the
    /// simulator also accepts lower case, because keyboard-wedge scanners with the wrong layout
    /// or caps-lock state deliver it.
    public static func canonical(_ code: String) -> String {
        String(code.filter { $0 != "-" && $0 != " " }).uppercased()
    }

    /// Whether `code` has the shape of a real voucher code (12 ASCII letters or digits).
    public static func isWellFormed(_ code: String) -> Bool {
        let c = canonical(code)
        return c.count == 12 && c.unicodeScalars.allSatisfy { ($0.isASCII) && CharacterSet.alphanumerics.contains($0) }
    }
}

/// A voucher file: `{"currency": "CHF", "vouchers": [...], "short_codes": [...]}` or a bare array.
public struct SimulatedVoucherFile: Codable, Sendable, Equatable {
    /// One voucher2mobile ShortCode: two digits standing for a real code.
    public struct ShortCode: Codable, Sendable, Equatable {
        public var shortCode: String
        public var code: String
        public init(shortCode: String, code: String) { self.shortCode = shortCode; self.code = code }
        enum CodingKeys: String, CodingKey {
            case code
            case shortCode = "short_code"
        }
    }

    public var currency: String
    public var vouchers: [SimulatedVoucher]
    public var shortCodes: [ShortCode]

    public init(currency: String = "CHF", vouchers: [SimulatedVoucher], shortCodes: [ShortCode] = []) {
        self.currency = currency; self.vouchers = vouchers; self.shortCodes = shortCodes
    }

    enum CodingKeys: String, CodingKey {
        case currency, vouchers
        case shortCodes = "short_codes"
    }

    public init(from decoder: any Decoder) throws {
        do {
            self.init(vouchers: try decoder.singleValueContainer().decode([SimulatedVoucher].self))
            return
        } catch DecodingError.typeMismatch(_, let context) where context.codingPath.isEmpty {
            // Not an array at the top: the object form below.
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(currency: try c.decodeIfPresent(String.self, forKey: .currency) ?? "CHF",
                  vouchers: try c.decode([SimulatedVoucher].self, forKey: .vouchers),
                  shortCodes: try c.decodeIfPresent([ShortCode].self, forKey: .shortCodes) ?? [])
    }

    /// Reads and checks a voucher file; the error names the file and what is wrong with it.
    public static func load(path: String) throws -> SimulatedVoucherFile {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SimulatorSetupError("voucher file \(path): cannot read it (\(error.localizedDescription))")
        }
        let file: SimulatedVoucherFile
        do {
            file = try JSONDecoder().decode(SimulatedVoucherFile.self, from: data)
        } catch {
            throw SimulatorSetupError("voucher file \(path): not a voucher list (\(describe(error))) — see docs/simulator.md")
        }
        try file.validate(source: "voucher file \(path)")
        return file
    }

    /// Refuses malformed or duplicate codes and ShortCodes that point nowhere.
    public func validate(source: String) throws {
        var seen = Set<String>()
        for voucher in vouchers {
            guard SimulatedVoucher.isWellFormed(voucher.code) else {
                throw SimulatorSetupError("\(source): code \"\(voucher.code)\" is not 12 letters or digits")
            }
            guard seen.insert(SimulatedVoucher.canonical(voucher.code)).inserted else {
                throw SimulatorSetupError("\(source): code \(voucher.code) appears twice")
            }
            if voucher.balanceInCents < 0 || (voucher.totalAmountInCents ?? 0) < 0 {
                throw SimulatorSetupError("\(source): code \(voucher.code) has a negative amount")
            }
        }
        for short in shortCodes {
            guard short.shortCode.count == 2, short.shortCode.allSatisfy(\.isASCIIDigitCharacter) else {
                throw SimulatorSetupError("\(source): short code \"\(short.shortCode)\" is not two digits")
            }
            guard seen.contains(SimulatedVoucher.canonical(short.code)) else {
                throw SimulatorSetupError("\(source): short code \(short.shortCode) points to unknown code \(short.code)")
            }
        }
    }
}

private func describe(_ error: any Error) -> String {
    guard let e = error as? DecodingError else { return "not JSON" }
    switch e {
    case .keyNotFound(let key, let ctx):
        return "field \((ctx.codingPath + [key]).map(name).joined(separator: ".")) is missing"
    case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx), .dataCorrupted(let ctx):
        let path = ctx.codingPath.map(name).joined(separator: ".")
        let hint = ctx.codingPath.last?.stringValue == "kind"
            ? " (one of \(SimulatedVoucher.Kind.allCases.map(\.rawValue).joined(separator: ", ")))" : ""
        return path.isEmpty ? "not valid JSON" : "field \(path): \(ctx.debugDescription)\(hint)"
    @unknown default:
        return "not valid JSON"
    }
}

/// `vouchers.3.kind` rather than `vouchers.Index 3.kind`.
private func name(_ key: any CodingKey) -> String {
    key.intValue.map(String.init) ?? key.stringValue
}

extension Character {
    var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}

