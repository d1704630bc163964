import GateCore
import GateStore
import Logging
import Synchronization

/// The outbox as the worker sees it: every call goes to the database, and what an operator
/// must hear about is logged and counted here, so the worker stays free of logging.
///
/// - A failed attempt that will be retried is logged at info once per entry (its first
///   failure), not once per retry; a later success or dead letter ends that entry's story.
/// - A dead letter is logged at warning (its `cancel_failed` / `offline_redeem_failed` event
///   follows from the worker).
/// - A row whose payload cannot be decoded is set aside as dead by the store; it is logged at
///   warning and counted (`outbox_undecodable_total`), and the rest of the outbox goes on.
///
/// The money steps (`OutboxSteps`) go through the journal's `writing`, so a refused step is
/// logged and counted like any refused journal write, and the events a step writes in its own
/// transaction are logged, counted and broadcast once it committed.
final class ObservedOutbox: OutboxStore {
    let database: GateDatabase
    let metrics: GateMetrics
    let logger: Logger
    /// The journal the worker writes through: its failure accounting and its event observers.
    let journal: ObservedJournal
    private let retrying = Mutex<Set<Int64>>([])

    init(journal: ObservedJournal, metrics: GateMetrics, logger: Logger) {
        self.database = journal.database; self.journal = journal; self.metrics = metrics; self.logger = logger
    }

    func enqueue(_ operation: OutboxOperation) async throws -> Int64 { try await database.enqueue(operation) }
    func queueCancel(_ order: CancelOrder) async throws -> Int64 { try await database.queueCancel(order) }
    func queueOfflineRedeem(_ order: OfflineRedeemOrder) async throws -> Int64 {
        try await journal.writing("queue the offline redeem of admission #\(order.admission)") { try await database.queueOfflineRedeem(order) }
    }
    func withdraw(_ id: Int64) async throws -> Bool { try await database.withdraw(id) }
    func isPending(_ id: Int64) async throws -> Bool { try await database.isPending(id) }
    func hasPendingEntry(for code: VoucherCode) async throws -> Bool { try await database.hasPendingEntry(for: code) }
    func otherActivity(on code: VoucherCode, after redemption: Int64) async throws -> Bool {
        try await database.otherActivity(on: code, after: redemption)
    }
    func openEntries() async throws -> [OutboxEntry] { try await database.openEntries() }
    func retry(_ id: Int64) async throws -> Bool { try await database.retry(id) }
    func drop(_ id: Int64) async throws -> Bool { try await database.drop(id) }

    func pendingEntries() async throws -> [OutboxEntry] {
        let (entries, setAside) = try await database.pendingEntriesSettingAside()
        for row in setAside {
            metrics.outboxUndecodable()
            logger.warning("outbox entry #\(row.id) (\(row.operation)) set aside as dead: \(row.error) — settle it by hand in e-guma's back office, then eguma-gate outbox drop \(row.id) --reason …")
        }
        return entries
    }

    func markDone(_ id: Int64) async throws {
        try await journal.writing("close outbox entry #\(id)") { try await database.markDone(id) }
        done(id)
    }

    func markRetry(_ id: Int64, error: String, delay: Duration) async throws {
        try await journal.writing("record a retry of outbox entry #\(id)") { try await database.markRetry(id, error: error, delay: delay) }
        retried(id, error)
    }

    func markDead(_ id: Int64, error: String) async throws {
        try await journal.writing("dead-letter outbox entry #\(id)") { try await database.markDead(id, error: error) }
        deadLettered(id, error)
    }

    // MARK: Money steps

    func completeCancel(entry: Int64, redemption: Int64?, balanceAfter: Money, event: GateEvent) async throws -> StepResult {
        try await step("record the cancel of outbox entry #\(entry)", entry: entry, events: [event]) {
            try await database.completeCancel(entry: entry, redemption: redemption, balanceAfter: balanceAfter, event: event)
        }
    }

    func deadLetter(entry: Int64, error: String, event: GateEvent) async throws {
        try await journal.writing("dead-letter outbox entry #\(entry)") {
            try await database.deadLetter(entry: entry, error: error, event: event)
        }
        deadLettered(entry, error)
        journal.observe(event)
    }

    func beginReplay(entry: Int64, intent: RedemptionIntent) async throws -> ReplayStart {
        try await journal.writing("record the replay intent of outbox entry #\(entry)") {
            try await database.beginReplay(entry: entry, intent: intent)
        }
    }

    func completeReplay(entry: Int64, redemption: Int64, token: String, balanceAfter: Money, events: [GateEvent]) async throws -> StepResult {
        try await step("record the replay token of outbox entry #\(entry)", entry: entry, events: events) {
            try await database.completeReplay(entry: entry, redemption: redemption, token: token, balanceAfter: balanceAfter, events: events)
        }
    }

    func replayNotApplied(entry: Int64, redemption: Int64, then next: EntryNext) async throws {
        try await journal.writing("record the failed replay of outbox entry #\(entry)") {
            try await database.replayNotApplied(entry: entry, redemption: redemption, then: next)
        }
        switch next {
        case .retry(let error, _): retried(entry, error)
        case .dead(let error, let event):
            deadLettered(entry, error)
            journal.observe(event)
        }
    }

    func deferToSettle(_ order: SettleOrder, closing entry: Int64?) async throws -> StepResult {
        let result = try await journal.writing("queue the settle check of redemption #\(order.redemption)") {
            try await database.deferToSettle(order, closing: entry)
        }
        if let entry { done(entry) }
        return result
    }

    func settleApplied(entry: Int64?, redemption: Int64, balanceAfter: Money?, event: GateEvent) async throws -> StepResult {
        let result = try await journal.writing("settle redemption #\(redemption)") {
            try await database.settleApplied(entry: entry, redemption: redemption, balanceAfter: balanceAfter, event: event)
        }
        if let entry { done(entry) }
        if result == .applied { journal.observe(event) }
        return result
    }

    func settleNotApplied(entry: Int64, redemption: Int64, balanceAfter: Money?, replay: OfflineRedeemOrder?) async throws -> StepResult {
        try await step("settle redemption #\(redemption)", entry: entry, events: []) {
            try await database.settleNotApplied(entry: entry, redemption: redemption, balanceAfter: balanceAfter, replay: replay)
        }
    }

    func queueInterruptedCancel(_ order: CancelOrder, event: GateEvent) async throws -> Int64 {
        let id = try await journal.writing("queue the cancel of interrupted admission #\(order.admission)") {
            try await database.queueInterruptedCancel(order, event: event)
        }
        journal.observe(event)
        return id
    }

    /// A step that ends `entry`: written through the journal, then its events observed (a
    /// `completeReplay` or `completeCancel` whose redemption was stale still wrote its cancel event).
    private func step(_ operation: String, entry: Int64, events: [GateEvent],
                      _ write: () async throws -> StepResult) async throws -> StepResult {
        let result = try await journal.writing(operation, write)
        done(entry)
        for event in events { journal.observe(event) }
        return result
    }

    private func done(_ id: Int64) {
        if retrying.withLock({ $0.remove(id) }) != nil { logger.info("outbox entry #\(id) went through after retrying") }
    }

    private func retried(_ id: Int64, _ error: String) {
        if retrying.withLock({ $0.insert(id).inserted }) {
            logger.info("outbox entry #\(id) failed, will be retried with back-off (logged once): \(error)")
        }
    }

    private func deadLettered(_ id: Int64, _ error: String) {
        retrying.withLock { _ = $0.remove(id) }
        logger.warning("outbox entry #\(id) is dead (retrying cannot fix it): \(error) — see eguma-gate outbox list")
    }
}
