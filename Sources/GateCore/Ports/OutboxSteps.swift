/// The outbox worker's money steps (issue 24): each step that moves money or its evidence is one
/// named method, one transaction, guarded by the state it expects, with a result the caller must
/// switch over. A step either happens whole or not at all: where its write fails nothing of it is
/// on disk, the entry stays pending and the worker tries it again — no redemption is ever left
/// in `intent` or `uncertain` with nothing that revisits it.
///
/// What happens outside the store (the e-guma call) comes between two steps, never inside one.

/// What a guarded step found.
public enum StepResult: Sendable, Equatable {
    /// The state it expected was there: everything the step names was written in one transaction.
    case applied
    /// The redemption was no longer in the state the step expects (another worker, an earlier
    /// run or an operator settled it first): its own change and event were not written; the
    /// outbox entry the step closes is closed all the same (there is nothing left for it to do).
    case stale
}

/// How `beginReplay` ended.
public enum ReplayStart: Sendable, Equatable {
    /// The redeem intent is durable: the Redeem may go out.
    case begun(redemption: Int64)
    /// The entry is no longer pending (withdrawn: the guest never walked through; or dropped):
    /// no intent was written and nothing may be taken.
    case notPending
}

/// What becomes of an outbox entry after a step that did not finish it.
public enum EntryNext: Sendable, Equatable {
    /// Tried again after `delay` (`markRetry`).
    case retry(error: String, delay: Duration)
    /// Retrying cannot fix it: the entry stops with an operator event (`deadLetter`).
    case dead(error: String, event: GateEvent)
}

/// The steps, on the worker's port. `GateDatabase` makes each one SQLite transaction; the
/// in-memory test store makes each one actor call.
public protocol OutboxSteps: Sendable {
    /// A cancel e-guma confirmed (or proved applied): the redemption (when known) moves from
    /// `redeemed`/`cancel_queued` to `cancelled` with `balanceAfter`, `event` is appended, the
    /// entry is done. `stale` when the redemption was in another state (its event is still
    /// appended: the money did come back).
    func completeCancel(entry: Int64, redemption: Int64?, balanceAfter: Money, event: GateEvent) async throws -> StepResult
    /// An entry retrying cannot fix: dead, with the operator event that says what to do, in one
    /// transaction (never a dead entry without its event, nor the other way round).
    func deadLetter(entry: Int64, error: String, event: GateEvent) async throws
    /// An offline replay starts: its redeem intent, written only while the entry is pending (a
    /// lane's `withdraw` refuses once the intent exists, so exactly one of the two wins).
    func beginReplay(entry: Int64, intent: RedemptionIntent) async throws -> ReplayStart
    /// The replay's Redeem answered: token and new balance (only from `intent`), `events` (its
    /// "redeemed", and an `offline_shortfall` when it took less than the price), entry done.
    /// `stale`: the redemption was settled meanwhile; nothing but the entry's closing written.
    func completeReplay(entry: Int64, redemption: Int64, token: String, balanceAfter: Money,
                        events: [GateEvent]) async throws -> StepResult
    /// The replay's Redeem certainly did not take effect (refused, not sent): the redemption
    /// moves from `intent` to `not_redeemed` and the entry is retried or dead, as `next` says.
    func replayNotApplied(entry: Int64, redemption: Int64, then next: EntryNext) async throws
    /// A settle's verdict "applied" (the token is lost): the redemption moves from `intent` or
    /// `uncertain` to `token_unknown` with the operator `event`; `entry`, when given, done.
    func settleApplied(entry: Int64?, redemption: Int64, balanceAfter: Money?, event: GateEvent) async throws -> StepResult
    /// A settle's verdict "not applied": the redemption moves from `intent` or `uncertain` to
    /// `not_redeemed`, the offline replay it stood for (if any) is queued again, the entry done.
    /// `stale`: no replay is queued (the redemption was settled otherwise).
    func settleNotApplied(entry: Int64, redemption: Int64, balanceAfter: Money?,
                          replay: OfflineRedeemOrder?) async throws -> StepResult
    /// Start-up recovery of an admission cut short after its redeem: the cancel queued (its
    /// redemption `redeemed` → `cancel_queued`), `event` appended and the admission closed as
    /// cancelled once nothing else of it is `intent` or `redeemed`, in one transaction. Returns
    /// the entry's id.
    @discardableResult
    func queueInterruptedCancel(_ order: CancelOrder, event: GateEvent) async throws -> Int64
}
