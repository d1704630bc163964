import Foundation

/// One row of `GET vouchers/redemptions.json` (List of Voucher Redemptions), as e-guma sends it.
///
/// `redeemed_at` is local time without offset; `EgumaClient.redemptions` turns it into
/// `redeemedAt` with the configured time zone, so no caller handles the raw text.
public struct RedemptionListItem: Codable, Sendable, Equatable {
    public struct User: Codable, Sendable, Equatable {
        /// A number in some accounts, text in others (e-guma documents no type): compare `id`s,
        /// never their raw JSON.
        public var id: EgumaID
        public var name: String?
        public init(id: EgumaID, name: String?) { self.id = id; self.name = name }
    }

    public struct Product: Codable, Sendable, Equatable {
        /// Text: e-guma sends an integer in some accounts and a string in others.
        public var id: String?
        public var name: String?
        public init(id: String?, name: String?) { self.id = id; self.name = name }

        enum CodingKeys: String, CodingKey { case id, name }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            if let s = try? c.decodeIfPresent(String.self, forKey: .id) { id = s }
            else if let n = try? c.decodeIfPresent(Int64.self, forKey: .id) { id = String(n) }
            else { id = nil }
            name = try c.decodeIfPresent(String.self, forKey: .name)
        }
    }

    public struct Issuer: Codable, Sendable, Equatable {
        public var name: String?
        public var isThirdParty: Bool?
        public init(name: String?, isThirdParty: Bool?) { self.name = name; self.isThirdParty = isThirdParty }
        enum CodingKeys: String, CodingKey {
            case name
            case isThirdParty = "is_third_party"
        }
    }

    /// With dashes, e.g. `C2UV-WD75-7M75`.
    public var code: String
    /// `code` without dashes or spaces, upper case: how the gate's journal stores codes.
    public var canonicalCode: String { code.filter { $0 != "-" && $0 != " " }.uppercased() }
    /// e-guma's local time text, e.g. `2025-05-21T16:28:17`.
    public var redeemedAtLocal: String
    public var redeemedAmountInCents: Cents
    /// True when e-guma no longer counts the redemption (cancelled).
    public var derecognized: Bool
    public var isComplimentary: Bool
    public var user: User?
    public var product: Product?
    public var issuer: Issuer?

    public init(code: String, redeemedAtLocal: String, redeemedAmountInCents: Cents, derecognized: Bool,
                isComplimentary: Bool, user: User?, product: Product? = nil, issuer: Issuer? = nil) {
        self.code = code; self.redeemedAtLocal = redeemedAtLocal; self.redeemedAmountInCents = redeemedAmountInCents
        self.derecognized = derecognized; self.isComplimentary = isComplimentary; self.user = user
        self.product = product; self.issuer = issuer
    }

    enum CodingKeys: String, CodingKey {
        case code, derecognized, user, product, issuer
        case redeemedAtLocal = "redeemed_at"
        case redeemedAmountInCents = "redeemed_amount_in_cents"
        case isComplimentary = "is_complimentary"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        code = try c.decode(String.self, forKey: .code)
        redeemedAtLocal = try c.decode(String.self, forKey: .redeemedAtLocal)
        redeemedAmountInCents = try c.decode(Cents.self, forKey: .redeemedAmountInCents)
        derecognized = try c.decodeIfPresent(Bool.self, forKey: .derecognized) ?? false
        isComplimentary = try c.decodeIfPresent(Bool.self, forKey: .isComplimentary) ?? false
        user = try c.decodeIfPresent(User.self, forKey: .user)
        product = try c.decodeIfPresent(Product.self, forKey: .product)
        issuer = try c.decodeIfPresent(Issuer.self, forKey: .issuer)
    }
}

/// A redemption from e-guma's list with its time as an absolute instant.
public struct EgumaRedemption: Sendable, Equatable {
    public var item: RedemptionListItem
    public var redeemedAt: Date
    public init(item: RedemptionListItem, redeemedAt: Date) { self.item = item; self.redeemedAt = redeemedAt }
}

/// `complimentary=` of the redemption list.
public enum ComplimentaryFilter: String, Sendable, CaseIterable {
    case included, excluded, only
}
