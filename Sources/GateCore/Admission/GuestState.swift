/// What a lane shows its guest. Every display (kiosk page, pole display, LEDs) renders these.
public enum GuestState: Sendable, Equatable {
    case idle
    /// A code was read and is being checked with e-guma.
    case checking
    /// Paid; `newBalance` is what is left on the (last) voucher, nil when unknown (offline);
    /// `vouchers` lists every voucher the admission took (both of a split payment), for the
    /// guest to read each one's amount and new balance — empty where no balance is shown.
    case accepted(newBalance: Money?, vouchers: [VoucherPaid] = [])
    case denied(DenyReason)
    /// Split payment: this much is still to pay, scan the next voucher.
    case awaitingMore(remaining: Money)
    /// The turnstile is released: walk through.
    case walkThrough
    /// The guest did not walk through (or the relay failed): the payment was cancelled.
    case cancelled
    /// e-guma is unreachable and the lane denies (offline = "deny").
    case offline
    /// The emergency contact holds every lane open.
    case emergency
    /// A balance-check lane's answer: redeemable or not (with e-guma's message), balance, total.
    case balance(BalanceCheck)
}

/// One voucher an admission took, as the guest sees it: the code masked (`VoucherCode.masked`),
/// the amount taken and what the voucher holds now (nil when unknown).
public struct VoucherPaid: Sendable, Equatable {
    public var code: String
    public var amount: Money
    public var newBalance: Money?

    public init(code: String, amount: Money, newBalance: Money?) {
        self.code = code; self.amount = amount; self.newBalance = newBalance
    }
}

/// Why a guest was turned away.
public enum DenyReason: Sendable, Equatable {
    /// The scanner delivered nothing usable.
    case emptyCode
    /// Not a voucher code (wrong characters, too long).
    case unreadableCode
    /// e-guma's own text, shown verbatim ("already redeemed", "not found" …); nil (or blank) when
    /// e-guma sent none: the guest then reads the lane language's own "not redeemable" text.
    case eguma(message: String?)
    /// The product is not admitted at this lane (`accept_products` / `service_products`).
    case notValidHere
    /// The voucher has no money left.
    case noBalance
    /// The voucher does not cover the price and split payment is off.
    case insufficientBalance(balance: Money)
    /// Split payment: no further voucher came in time.
    case splitTimeout
    /// The redeem did not go through; nothing is charged.
    case redeemFailed
    /// The turnstile could not be released; the payment was cancelled.
    case relayFailure
    /// Offline admission refused: this code was already admitted offline, or needs e-guma (ShortCode).
    case offlineNotPossible
    /// The gate cannot record the admission (database problem): nothing is charged.
    case outOfOrder
    /// The redeem went out but its outcome is unknown (timeout, lost answer), or an earlier such
    /// redeem of this voucher is still being checked: the guest is not known to have paid.
    case paymentUnconfirmed
    /// Earlier work on this voucher still waits in the outbox (a check, a cancel, an offline
    /// redeem): a new redeem now would make its evidence ambiguous. Staff can look it up.
    case voucherBeingChecked
    /// e-guma answered with an error (5xx, unreadable answer): it is reachable, so offline
    /// admission does not apply; nothing is charged.
    case egumaError
    /// Too many unknown or unredeemable codes: the lane pauses (code-guessing guard); staff unlock it.
    case lanePaused
    /// A ShortCode the lane does not take now (`accept_short_codes = false`, or its budget is spent).
    case shortCodeNotAccepted
}

/// The end of an admission, as journalled.
public enum AdmissionOutcome: String, Sendable, Equatable, Codable {
    case entered, cancelled, denied
    /// Let in offline; the redeem waits in the outbox.
    case offlineEntered = "offline_entered"
}
