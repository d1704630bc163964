/// Work for e-guma that must not be lost: stored as JSON in the outbox.
public enum OutboxOperation: Sendable, Equatable, Codable {
    case cancel(CancelOrder)
    case offlineRedeem(OfflineRedeemOrder)
    /// Settle an uncertain redeem whose Balance check could not be made at the time.
    case settle(SettleOrder)

    /// The voucher the operation touches: entries of one voucher run strictly in order.
    public var code: VoucherCode {
        switch self {
        case .cancel(let o): VoucherCode(unchecked: o.code)
        case .offlineRedeem(let o): VoucherCode(unchecked: o.code)
        case .settle(let o): VoucherCode(unchecked: o.code)
        }
    }

    /// The `reference_number` the operation is about — a cancel's, an offline replay's, or the
    /// replay a settle checks (nil for a settle of an online redeem): stored in the outbox's own
    /// `reference` column, so SQL never reads the JSON payload's layout.
    public var reference: String? {
        switch self {
        case .cancel(let o): o.reference
        case .offlineRedeem(let o): o.reference
        case .settle(let o): o.replay?.reference
        }
    }

    /// The journal redemption a cancel or settle is about (nil for an offline replay, and for a
    /// cancel of a replay that had not happened when it was queued): the outbox's `redemption`
    /// column.
    public var redemption: Int64? {
        switch self {
        case .cancel(let o): o.redemption
        case .offlineRedeem: nil
        case .settle(let o): o.redemption
        }
    }

    /// A settle only reads (Balance), so it need not wait for earlier entries of its voucher.
    public var onlyReads: Bool {
        if case .settle = self { return true }
        return false
    }

    /// `cancel`, `offline_redeem` or `settle`, the operation column.
    public var name: String {
        switch self {
        case .cancel: "cancel"
        case .offlineRedeem: "offline_redeem"
        case .settle: "settle"
        }
    }

    /// Lane, admission and amount of any operation, for listings and operator events.
    public var summary: (lane: String, admission: Int64, amountCents: Int64) {
        switch self {
        case .cancel(let o): (o.lane, o.admission, o.amountCents)
        case .offlineRedeem(let o): (o.lane, o.admission, o.amountCents)
        case .settle(let o): (o.lane, o.admission, o.amountCents)
        }
    }
}

/// Cancel a redemption. `token` is nil when the redemption is an offline replay that had not
/// happened when the cancel was queued: the worker takes the token from the journal then.
public struct CancelOrder: Sendable, Equatable, Codable {
    public var lane: String
    public var outlet: String
    public var admission: Int64
    public var redemption: Int64?
    public var code: String
    public var token: String?
    public var reference: String
    public var amountCents: Int64
    /// The voucher's balance right after the redeem: when e-guma refuses a retried cancel (the
    /// first try was applied but its answer lost), Balance = this + amount proves it is
    /// cancelled. Nil in entries queued before this field existed (then read from the journal).
    public var balanceAfterRedeemCents: Int64?

    public init(lane: String, outlet: String, admission: Int64, redemption: Int64?, code: String,
                token: String?, reference: String, amountCents: Int64, balanceAfterRedeemCents: Int64? = nil) {
        self.lane = lane; self.outlet = outlet; self.admission = admission; self.redemption = redemption
        self.code = code; self.token = token; self.reference = reference; self.amountCents = amountCents
        self.balanceAfterRedeemCents = balanceAfterRedeemCents
    }
}

/// Redeem the lane price of a guest let in while e-guma was unreachable.
public struct OfflineRedeemOrder: Sendable, Equatable, Codable {
    public var lane: String
    public var outlet: String
    public var admission: Int64
    public var code: String
    public var reference: String
    public var amountCents: Int64

    public init(lane: String, outlet: String, admission: Int64, code: String, reference: String, amountCents: Int64) {
        self.lane = lane; self.outlet = outlet; self.admission = admission; self.code = code
        self.reference = reference; self.amountCents = amountCents
    }
}

/// An outbox row.
public struct OutboxEntry: Sendable, Equatable {
    /// pending → done | dead | withdrawn
    public enum State: String, Sendable, Equatable, Codable {
        case pending, done, dead, withdrawn
    }

    public var id: Int64
    public var operation: OutboxOperation
    public var state: State
    public var attempts: Int
    public var lastError: String?
    /// How long until the next try is due, as the store last recorded it (nil: due now). The
    /// worker honours it only for `settle` entries, so a restart never brings a settle check —
    /// and with it the "not applied" verdict — forward; other entries are due at once.
    public var dueIn: Duration?
    /// How long ago the entry's subject began, as the store reads it: for a `settle` entry the
    /// time since its redemption's intent was journalled (what "not applied" is judged by),
    /// otherwise since the entry was queued. Nil when the store keeps no time.
    public var age: Duration?

    public init(id: Int64, operation: OutboxOperation, state: State, attempts: Int, lastError: String?,
                dueIn: Duration? = nil, age: Duration? = nil) {
        self.id = id; self.operation = operation; self.state = state; self.attempts = attempts; self.lastError = lastError
        self.dueIn = dueIn; self.age = age
    }
}

/// An uncertain redeem to settle by Balance checks at growing delays (`SettleSchedule`): the
/// balance seen before the redeem is what each answer is judged against (SPEC §3).
public struct SettleOrder: Sendable, Equatable, Codable {
    public var lane: String
    public var outlet: String
    public var admission: Int64
    public var redemption: Int64
    public var code: String
    public var amountCents: Int64
    public var balanceBeforeCents: Int64
    /// The guest went in (an offline replay): a late-applied redeem is then simply paid, not a
    /// refund. Nil (older entries) = denied.
    public var guestEntered: Bool?
    /// An offline replay whose redeem was uncertain: queued again when the checks prove it was
    /// not applied (the guest is in and still owes the price).
    public var replay: OfflineRedeemOrder?

    public init(lane: String, outlet: String, admission: Int64, redemption: Int64, code: String,
                amountCents: Int64, balanceBeforeCents: Int64, guestEntered: Bool? = nil,
                replay: OfflineRedeemOrder? = nil) {
        self.lane = lane; self.outlet = outlet; self.admission = admission; self.redemption = redemption
        self.code = code; self.amountCents = amountCents; self.balanceBeforeCents = balanceBeforeCents
        self.guestEntered = guestEntered; self.replay = replay
    }

    /// The order for a redemption journalled as `intent`.
    public init(_ r: StoredRedemption, guestEntered: Bool, replay: OfflineRedeemOrder? = nil) {
        self.init(lane: r.intent.lane, outlet: r.intent.outlet, admission: r.intent.admission, redemption: r.id,
                  code: r.intent.code.text, amountCents: r.intent.amount.cents,
                  balanceBeforeCents: r.intent.balanceBefore.cents, guestEntered: guestEntered, replay: replay)
    }
}
