/// A port: the durable queue of work that must reach e-guma eventually (cancels, offline redeems).
public protocol Outbox: Sendable {
    /// Queues `operation`; durable when this returns. Returns the entry's id.
    @discardableResult
    func enqueue(_ operation: OutboxOperation) async throws -> Int64
    /// Withdraws a still-pending entry (an offline admission whose guest never walked through).
    /// Returns false when the entry was already processed or its replay has begun (a redeem
    /// intent with its reference exists): the caller then queues a cancel behind it.
    func withdraw(_ id: Int64) async throws -> Bool
    /// Whether an uncertain redeem of `code` is still being re-checked (a pending `settle`
    /// entry): the lane then refuses the voucher, since a new redeem would blur the evidence
    /// (the balance) and might charge the guest twice.
    func hasPendingSettle(for code: VoucherCode) async throws -> Bool
}

/// The outbox as the worker and the operator tools see it: list, settle, retry, drop.
public protocol OutboxStore: Outbox {
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
}
