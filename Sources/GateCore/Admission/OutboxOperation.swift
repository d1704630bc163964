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

    /// `cancel` or `offline_redeem`, the operation column.
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

    public init(lane: String, outlet: String, admission: Int64, redemption: Int64?, code: String,
                token: String?, reference: String, amountCents: Int64) {
        self.lane = lane; self.outlet = outlet; self.admission = admission; self.redemption = redemption
        self.code = code; self.token = token; self.reference = reference; self.amountCents = amountCents
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

    public init(id: Int64, operation: OutboxOperation, state: State, attempts: Int, lastError: String?) {
        self.id = id; self.operation = operation; self.state = state; self.attempts = attempts; self.lastError = lastError
    }
}

/// An uncertain redeem to settle by Balance later (the Balance right after failed too): the
/// balance seen before the redeem is what the answer is judged against (SPEC §3).
public struct SettleOrder: Sendable, Equatable, Codable {
    public var lane: String
    public var outlet: String
    public var admission: Int64
    public var redemption: Int64
    public var code: String
    public var amountCents: Int64
    public var balanceBeforeCents: Int64

    public init(lane: String, outlet: String, admission: Int64, redemption: Int64, code: String,
                amountCents: Int64, balanceBeforeCents: Int64) {
        self.lane = lane; self.outlet = outlet; self.admission = admission; self.redemption = redemption
        self.code = code; self.amountCents = amountCents; self.balanceBeforeCents = balanceBeforeCents
    }
}
