import Foundation
import GRDB

extension GateDatabase {
    /// What one pruning run removed.
    public struct PruneResult: Sendable, Equatable {
        public var events = 0
        public var redemptions = 0
        public var admissions = 0
        public var outboxEntries = 0
    }

    /// Removes journal rows older than `retentionDays` (SPEC §8, default 400). Never touches
    /// pending work: open admissions, redemptions still in `intent` or waiting for a cancel,
    /// pending or dead-lettered outbox entries, nor anything those refer to.
    @discardableResult
    public func prune(retentionDays: Int, now: Date = Date()) async throws -> PruneResult {
        let cutoff = JournalTime(now).adding(seconds: -Double(retentionDays) * 86_400)
        return try await write { db in
            var result = PruneResult()
            // What was deleted a whole period ago: shipped long since (or no fleet to ship to).
            // First, so this run's own deletions are never among them.
            try db.execute(sql: "DELETE FROM deleted_row WHERE deleted_at < ?", arguments: [cutoff])
            try db.execute(sql: "DELETE FROM event WHERE ts < ?", arguments: [cutoff])
            result.events = db.changesCount
            try db.execute(sql: """
                DELETE FROM outbox WHERE updated_at < ? AND state IN ('done', 'withdrawn')
                """, arguments: [cutoff])
            result.outboxEntries = db.changesCount
            try db.execute(sql: """
                DELETE FROM redemption WHERE updated_at < ?
                  AND state IN ('redeemed', 'not_redeemed', 'token_unknown', 'cancelled')
                  AND admission_id IN (SELECT id FROM admission WHERE outcome IS NOT NULL)
                  AND reference NOT IN (SELECT reference FROM outbox WHERE state IN ('pending', 'dead')
                                        AND operation = 'cancel' AND reference IS NOT NULL)
                """, arguments: [cutoff])
            result.redemptions = db.changesCount
            try db.execute(sql: """
                DELETE FROM admission WHERE started_at < ? AND outcome IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM redemption r WHERE r.admission_id = admission.id)
                """, arguments: [cutoff])
            result.admissions = db.changesCount
            try db.execute(sql: "DELETE FROM known_voucher WHERE seen_at < ?", arguments: [cutoff])
            try db.execute(sql: """
                DELETE FROM offline_admitted WHERE admitted_at < ?
                  AND admission_id NOT IN (SELECT id FROM admission)
                """, arguments: [cutoff])
            return result
        }
    }
}
