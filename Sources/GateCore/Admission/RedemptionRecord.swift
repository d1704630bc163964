/// A redeem about to be sent, journalled before the call (SPEC §3.4).
public struct RedemptionIntent: Sendable, Equatable {
    public var admission: Int64
    public var lane: String
    public var outlet: String
    public var code: VoucherCode
    public var amount: Money
    public var reference: String
    /// The balance seen just before (step 2, or the replay's snapshot): what an uncertain outcome
    /// is judged against.
    public var balanceBefore: Money

    public init(admission: Int64, lane: String, outlet: String, code: VoucherCode, amount: Money,
                reference: String, balanceBefore: Money) {
        self.admission = admission; self.lane = lane; self.outlet = outlet; self.code = code
        self.amount = amount; self.reference = reference; self.balanceBefore = balanceBefore
    }
}

/// Where a redemption stands.
public enum RedemptionState: String, Sendable, Equatable, Codable {
    /// Intent recorded, no outcome yet (in flight, or the process died during the call).
    case intent
    /// Redeemed, token stored.
    case redeemed
    /// Certainly not redeemed (refused, not sent, or resolved as not applied).
    case notRedeemed = "not_redeemed"
    /// Redeemed according to the balance, but the token was lost: cannot be cancelled by API.
    case tokenUnknown = "token_unknown"
    /// Sent without a usable answer and not (yet) proven either way: a `settle` entry in the
    /// outbox re-checks it by Balance at growing delays (`SettleSchedule`). Never re-sent.
    case uncertain
    /// Its cancel waits in the outbox.
    case cancelQueued = "cancel_queued"
    /// e-guma confirmed the cancel.
    case cancelled
}

/// A redemption as read back from the journal.
public struct StoredRedemption: Sendable, Equatable {
    public var id: Int64
    public var intent: RedemptionIntent
    public var state: RedemptionState
    public var token: String?
    public var balanceAfter: Money?

    public init(id: Int64, intent: RedemptionIntent, state: RedemptionState, token: String?, balanceAfter: Money?) {
        self.id = id; self.intent = intent; self.state = state; self.token = token; self.balanceAfter = balanceAfter
    }
}
