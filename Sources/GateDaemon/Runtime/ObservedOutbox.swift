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
final class ObservedOutbox: OutboxStore {
    let database: GateDatabase
    let metrics: GateMetrics
    let logger: Logger
    private let retrying = Mutex<Set<Int64>>([])

    init(database: GateDatabase, metrics: GateMetrics, logger: Logger) {
        self.database = database; self.metrics = metrics; self.logger = logger
    }

    func enqueue(_ operation: OutboxOperation) async throws -> Int64 { try await database.enqueue(operation) }
    func queueCancel(_ order: CancelOrder) async throws -> Int64 { try await database.queueCancel(order) }
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
        try await database.markDone(id)
        if retrying.withLock({ $0.remove(id) }) != nil { logger.info("outbox entry #\(id) went through after retrying") }
    }

    func markRetry(_ id: Int64, error: String, delay: Duration) async throws {
        try await database.markRetry(id, error: error, delay: delay)
        if retrying.withLock({ $0.insert(id).inserted }) {
            logger.info("outbox entry #\(id) failed, will be retried with back-off (logged once): \(error)")
        }
    }

    func markDead(_ id: Int64, error: String) async throws {
        try await database.markDead(id, error: error)
        retrying.withLock { _ = $0.remove(id) }
        logger.warning("outbox entry #\(id) is dead (retrying cannot fix it): \(error) — see eguma-gate outbox list")
    }
}
