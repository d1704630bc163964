import Foundation

// Request and response bodies of the e-guma REST API v1, as documented (see EGUMA-API.md).
// Field names follow the wire (snake_case) through explicit CodingKeys so nothing depends on a
// decoder strategy. Unknown fields are ignored; optional fields that e-guma may leave out are
// optional here.

/// `GET vouchers/{code}/balance.json`
public struct BalanceResponse: Codable, Sendable, Equatable {
    /// The real 12-character code; for a ShortCode this differs from what was entered.
    public var code: String
    public var isRedeemable: Bool
    public var balanceInCents: Cents
    public var totalAmountInCents: Cents
    public var currency: String?
    public var productId: String?
    /// Why the voucher is not redeemable, in the account's language; or a back-office note.
    public var message: String?

    public init(code: String, isRedeemable: Bool, balanceInCents: Cents, totalAmountInCents: Cents,
                currency: String?, productId: String?, message: String?) {
        self.code = code; self.isRedeemable = isRedeemable; self.balanceInCents = balanceInCents
        self.totalAmountInCents = totalAmountInCents; self.currency = currency
        self.productId = productId; self.message = message
    }

    enum CodingKeys: String, CodingKey {
        case code, currency, message
        case isRedeemable = "is_redeemable"
        case balanceInCents = "balance_in_cents"
        case totalAmountInCents = "total_amount_in_cents"
        case productId = "product_id"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        code = try c.decode(String.self, forKey: .code)
        isRedeemable = try c.decode(Bool.self, forKey: .isRedeemable)
        balanceInCents = try c.decode(Cents.self, forKey: .balanceInCents)
        totalAmountInCents = try c.decodeIfPresent(Cents.self, forKey: .totalAmountInCents) ?? 0
        currency = try c.decodeIfPresent(String.self, forKey: .currency)
        // product_id is an integer in some accounts and a string in others: keep it as text.
        if let s = try? c.decodeIfPresent(String.self, forKey: .productId) {
            productId = s
        } else if let n = try? c.decodeIfPresent(Int64.self, forKey: .productId) {
            productId = String(n)
        } else {
            productId = nil
        }
        message = try c.decodeIfPresent(String.self, forKey: .message)
    }
}

/// `GET vouchers/{code}/info.json` (display only).
public struct InfoResponse: Codable, Sendable, Equatable {
    public var code: String
    public var name: String?
    public var description: String?
    public var balanceInCents: Cents?
    public var isRedeemed: Bool?
    /// ISO 8601 as sent.
    public var validUntil: String?

    public init(code: String, name: String?, description: String?, balanceInCents: Cents?,
                isRedeemed: Bool?, validUntil: String?) {
        self.code = code; self.name = name; self.description = description
        self.balanceInCents = balanceInCents; self.isRedeemed = isRedeemed; self.validUntil = validUntil
    }

    enum CodingKeys: String, CodingKey {
        case code, name, description
        case balanceInCents = "balance_in_cents"
        case isRedeemed = "is_redeemed"
        case validUntil = "valid_until"
    }
}

/// `POST vouchers/{code}/redeem.json` body.
public struct RedeemRequest: Codable, Sendable, Equatable {
    public var amountInCents: Cents
    /// Shown in e-guma's back office; at most 1024 characters.
    public var referenceNumber: String?

    public init(amountInCents: Cents, referenceNumber: String?) {
        self.amountInCents = amountInCents; self.referenceNumber = referenceNumber
    }

    enum CodingKeys: String, CodingKey {
        case amountInCents = "amount_in_cents"
        case referenceNumber = "reference_number"
    }
}

/// `POST vouchers/{code}/redeem.json` answer.
public struct RedeemResponse: Codable, Sendable, Equatable {
    public var code: String
    public var balanceInCents: Cents
    /// The only handle to cancel this redemption later. Store it.
    public var redeemToken: String

    public init(code: String, balanceInCents: Cents, redeemToken: String) {
        self.code = code; self.balanceInCents = balanceInCents; self.redeemToken = redeemToken
    }

    enum CodingKeys: String, CodingKey {
        case code
        case balanceInCents = "balance_in_cents"
        case redeemToken = "redeem_token"
    }
}

/// `POST vouchers/{code}/cancel_redemption.json` body.
public struct CancelRedemptionRequest: Codable, Sendable, Equatable {
    public var redeemToken: String
    /// At most the redeemed amount; partial cancels add up.
    public var amountInCents: Cents

    public init(redeemToken: String, amountInCents: Cents) {
        self.redeemToken = redeemToken; self.amountInCents = amountInCents
    }

    enum CodingKeys: String, CodingKey {
        case redeemToken = "redeem_token"
        case amountInCents = "amount_in_cents"
    }
}

/// Answer of cancel redemption, depot activate, charge status … : a code and a balance.
public struct CodeBalanceResponse: Codable, Sendable, Equatable {
    public var code: String
    public var balanceInCents: Cents

    public init(code: String, balanceInCents: Cents) { self.code = code; self.balanceInCents = balanceInCents }

    enum CodingKeys: String, CodingKey {
        case code
        case balanceInCents = "balance_in_cents"
    }
}

/// `GET depot_vouchers/{code}/activate_status.json`
public struct ActivateStatusResponse: Codable, Sendable, Equatable {
    public var code: String
    public var canBeActivated: Bool
    /// True when the seller chooses the amount (then `activate` needs `amount_in_cents`).
    public var freeAmount: Bool
    public var amountInCents: Cents?
    public var message: String?

    public init(code: String, canBeActivated: Bool, freeAmount: Bool, amountInCents: Cents?, message: String?) {
        self.code = code; self.canBeActivated = canBeActivated; self.freeAmount = freeAmount
        self.amountInCents = amountInCents; self.message = message
    }

    enum CodingKeys: String, CodingKey {
        case code, message
        case canBeActivated = "can_be_activated"
        case freeAmount = "free_amount"
        case amountInCents = "amount_in_cents"
    }
}

/// `POST depot_vouchers/{code}/activate.json` body (amount only for free-amount vouchers).
public struct ActivateRequest: Codable, Sendable, Equatable {
    public var amountInCents: Cents?

    public init(amountInCents: Cents?) { self.amountInCents = amountInCents }

    enum CodingKeys: String, CodingKey { case amountInCents = "amount_in_cents" }
}

/// `GET depot_vouchers/{code}/deactivate_status.json`
public struct DeactivateStatusResponse: Codable, Sendable, Equatable {
    public var code: String
    public var canBeDeactivated: Bool
    public var amountInCents: Cents?
    public var message: String?

    public init(code: String, canBeDeactivated: Bool, amountInCents: Cents?, message: String?) {
        self.code = code; self.canBeDeactivated = canBeDeactivated
        self.amountInCents = amountInCents; self.message = message
    }

    enum CodingKeys: String, CodingKey {
        case code, message
        case canBeDeactivated = "can_be_deactivated"
        case amountInCents = "amount_in_cents"
    }
}

/// `POST depot_vouchers/{code}/deactivate.json` body.
public struct DeactivateRequest: Codable, Sendable, Equatable {
    public var deactivateReason: String?

    public init(deactivateReason: String?) { self.deactivateReason = deactivateReason }

    enum CodingKeys: String, CodingKey { case deactivateReason = "deactivate_reason" }
}

/// `POST depot_vouchers/{code}/deactivate.json` answer.
public struct DeactivateResponse: Codable, Sendable, Equatable {
    public var code: String
    public var amountInCents: Cents

    public init(code: String, amountInCents: Cents) { self.code = code; self.amountInCents = amountInCents }

    enum CodingKeys: String, CodingKey {
        case code
        case amountInCents = "amount_in_cents"
    }
}

/// `GET vouchers/{code}/charge_status.json`
public struct ChargeStatusResponse: Codable, Sendable, Equatable {
    public var code: String
    public var balanceInCents: Cents
    public var canBeCharged: Bool
    public var message: String?

    public init(code: String, balanceInCents: Cents, canBeCharged: Bool, message: String?) {
        self.code = code; self.balanceInCents = balanceInCents; self.canBeCharged = canBeCharged
        self.message = message
    }

    enum CodingKeys: String, CodingKey {
        case code, message
        case balanceInCents = "balance_in_cents"
        case canBeCharged = "can_be_charged"
    }
}

/// `POST vouchers/{code}/charge.json` body.
public struct ChargeRequest: Codable, Sendable, Equatable {
    public var amountInCents: Cents
    public var paymentId: String?
    public var freeCreditInPercentage: Int?
    /// At most 256 characters.
    public var reference: String?

    public init(amountInCents: Cents, paymentId: String? = nil, freeCreditInPercentage: Int? = nil,
                reference: String? = nil) {
        self.amountInCents = amountInCents; self.paymentId = paymentId
        self.freeCreditInPercentage = freeCreditInPercentage; self.reference = reference
    }

    enum CodingKeys: String, CodingKey {
        case reference
        case amountInCents = "amount_in_cents"
        case paymentId = "payment_id"
        case freeCreditInPercentage = "free_credit_in_percentage"
    }
}

/// `POST vouchers/{code}/charge.json` answer.
public struct ChargeResponse: Codable, Sendable, Equatable {
    /// Present with e-guma's new charge procedure; needed to cancel the charge.
    public var chargeToken: String?
    public var code: String
    public var balanceInCents: Cents
    public var freeCreditAmountInCents: Cents?

    public init(chargeToken: String?, code: String, balanceInCents: Cents, freeCreditAmountInCents: Cents?) {
        self.chargeToken = chargeToken; self.code = code; self.balanceInCents = balanceInCents
        self.freeCreditAmountInCents = freeCreditAmountInCents
    }

    enum CodingKeys: String, CodingKey {
        case code
        case chargeToken = "charge_token"
        case balanceInCents = "balance_in_cents"
        case freeCreditAmountInCents = "free_credit_amount_in_cents"
    }
}

/// `POST vouchers/{code}/cancel_charge.json` body: by token, or the legacy amount + payment id.
public struct CancelChargeRequest: Codable, Sendable, Equatable {
    public var chargeToken: String?
    public var cancelReason: String?
    public var amountInCents: Cents?
    public var paymentId: String?

    public init(chargeToken: String?, cancelReason: String? = nil, amountInCents: Cents? = nil,
                paymentId: String? = nil) {
        self.chargeToken = chargeToken; self.cancelReason = cancelReason
        self.amountInCents = amountInCents; self.paymentId = paymentId
    }

    enum CodingKeys: String, CodingKey {
        case chargeToken = "charge_token"
        case cancelReason = "cancel_reason"
        case amountInCents = "amount_in_cents"
        case paymentId = "payment_id"
    }
}
