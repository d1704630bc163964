/// A port: the durable queue of work that must reach e-guma eventually (cancels, offline redeems).
public protocol Outbox: Sendable {
    /// Queues `operation`; durable when this returns. Returns the entry's id.
    @discardableResult
    func enqueue(_ operation: OutboxOperation) async throws -> Int64
    /// Queues a cancel and marks its redemption (`order.redemption`, when known) `cancel_queued`
    /// in one durable write: after a crash the journal never says "redeemed" about a redemption
    /// whose cancel waits, nor the other way round. Only a `redeemed` redemption changes state.
    @discardableResult
    func queueCancel(_ order: CancelOrder) async throws -> Int64
    /// A redeem whose outcome is unknown goes to a settle entry: `order` queued and its
    /// redemption moved from `intent` to `uncertain`; `closing` (the replay entry that sent it),
    /// when given, done. `stale` when the redemption was not in `intent`: nothing is queued.
    func deferToSettle(_ order: SettleOrder, closing entry: Int64?) async throws -> StepResult
    /// An offline admission's redeem, queued for replay, and its code remembered as admitted
    /// offline (never admitted offline twice), in one durable write. Returns the entry's id.
    func queueOfflineRedeem(_ order: OfflineRedeemOrder) async throws -> Int64
    /// Withdraws a still-pending entry (an offline admission whose guest never walked through).
    /// Returns false when the entry was already processed or its replay has begun (a redeem
    /// intent with its reference exists): the caller then queues a cancel behind it.
    func withdraw(_ id: Int64) async throws -> Bool
    /// Whether any entry of `code` is still pending (a settle check, a cancel, an offline
    /// redeem): the lane then refuses the voucher. A new redeem next to pending work of the same
    /// voucher blurs the evidence every settle and refused-cancel check reads (the balance, the
    /// list), and might charge the guest twice.
    func hasPendingEntry(for code: VoucherCode) async throws -> Bool
}

/// The outbox as the worker and the operator tools see it: list, settle, retry, drop.
public protocol OutboxStore: Outbox, OutboxSteps {
    /// Pending entries, oldest first.
    func pendingEntries() async throws -> [OutboxEntry]
    /// Every entry not yet done (pending and dead-lettered), for `outbox list`.
    func openEntries() async throws -> [OutboxEntry]
    /// Whether the entry is still pending. The worker asks this *after* journalling a replay's
    /// intent: with `withdraw` refusing once that intent exists, exactly one of the two wins.
    func isPending(_ id: Int64) async throws -> Bool
    /// e-guma confirmed the entry.
    func markDone(_ id: Int64) async throws
    /// An attempt failed and will be retried after `delay`.
    func markRetry(_ id: Int64, error: String, delay: Duration) async throws
    /// An attempt failed in a way retrying cannot fix: the entry stops, an operator looks at it.
    func markDead(_ id: Int64, error: String) async throws
    /// Operator: make a dead or waiting entry due again now. False if there is no such open entry.
    func retry(_ id: Int64) async throws -> Bool
    /// Operator: drop an entry for good (it was settled by hand). False if there is no such open entry.
    func drop(_ id: Int64) async throws -> Bool
    /// Whether voucher `code` saw other activity after the intent of `redemption` was journalled:
    /// another redemption of it created or changed since, or an outbox entry of it created or
    /// changed since that is not about `redemption` itself (its settle, its cancel, its replay).
    /// Evidence about `redemption` (balance, list) is then ambiguous: the answer is an operator
    /// question, never a verdict.
    func otherActivity(on code: VoucherCode, after redemption: Int64) async throws -> Bool
}
