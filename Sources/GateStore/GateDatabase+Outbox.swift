import Foundation
import GateCore
import GRDB

extension GateDatabase: OutboxStore {
    @discardableResult
    public func enqueue(_ operation: OutboxOperation) async throws -> Int64 {
        try await queue(operation)
    }

    @discardableResult
    public func queueCancel(_ order: CancelOrder) async throws -> Int64 {
        try await queue(.cancel(order)) { db, now in try Self.markCancelQueued(order, at: now, in: db) }
    }

    public func queueOfflineRedeem(_ order: OfflineRedeemOrder) async throws -> Int64 {
        try await queue(.offlineRedeem(order)) { db, now in
            try db.execute(sql: "INSERT OR IGNORE INTO offline_admitted (code, admission_id, admitted_at) VALUES (?, ?, ?)",
                           arguments: [VoucherCode(unchecked: order.code).undashed, order.admission, now])
        }
    }

    /// Queues `operation` and, in the same transaction, what `also` writes with it. Returns the entry's id.
    func queue(_ operation: OutboxOperation,
               with also: @escaping @Sendable (Database, JournalTime) throws -> Void = { _, _ in }) async throws -> Int64 {
        let payload = try Self.payload(operation)
        return try await write { db in
            let now = JournalTime.now
            let id = try Self.insert(operation, payload: payload, at: now, in: db)
            try also(db, now)
            return id
        }
    }

    /// A cancel's redemption, when known, moves from `redeemed` to `cancel_queued`.
    static func markCancelQueued(_ order: CancelOrder, at now: JournalTime, in db: Database) throws {
        if let redemption = order.redemption {
            _ = try move(redemption, from: [.redeemed], to: .cancelQueued, balanceAfter: nil, at: now, in: db)
        }
    }

    /// The operation as stored in the `payload` column.
    static func payload(_ operation: OutboxOperation) throws -> String {
        String(decoding: try JSONEncoder().encode(operation), as: UTF8.self)
    }

    static func insert(_ operation: OutboxOperation, payload: String, at now: JournalTime, in db: Database) throws -> Int64 {
        try db.execute(sql: """
            INSERT INTO outbox (operation, code, reference, redemption, payload, state, attempts, next_attempt_at, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)
            """, arguments: [operation.name, operation.code.undashed, operation.reference, operation.redemption, payload, now, now, now])
        return db.lastInsertedRowID
    }

    public func withdraw(_ id: Int64) async throws -> Bool {
        // Refused once the worker journalled a replay intent under the entry's reference: from
        // then on the redeem may reach e-guma, and only a cancel queued behind it is safe.
        try await setState(id, to: .withdrawn, where: """
            state = 'pending' AND operation = 'offline_redeem' AND NOT EXISTS (
                SELECT 1 FROM redemption r
                WHERE r.reference = outbox.reference
                  AND r.state <> 'not_redeemed')
            """)
    }

    public func hasPendingEntry(for code: VoucherCode) async throws -> Bool {
        try await writer.read { db in try Self.hasPendingEntry(for: code, in: db) }
    }

    static func hasPendingEntry(for code: VoucherCode, in db: Database) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM outbox WHERE state = 'pending' AND code = ?)"),
                          arguments: [code.undashed]) ?? false
    }

    public func otherActivity(on code: VoucherCode, after redemption: Int64) async throws -> Bool {
        try await writer.read { db in
            // Timestamps compare with >=: activity in the same millisecond counts (ambiguous is
            // an operator question, never a verdict). An unknown redemption counts as activity.
            try Bool.fetchOne(db, sql: """
                WITH me AS (SELECT id, created_at AS at, reference FROM redemption WHERE id = ?)
                SELECT NOT EXISTS (SELECT 1 FROM me)
                    OR EXISTS (SELECT 1 FROM redemption r, me
                               WHERE r.code = ? AND r.id <> me.id AND (r.created_at >= me.at OR r.updated_at >= me.at))
                    OR EXISTS (SELECT 1 FROM outbox o, me
                               WHERE o.code = ? AND (o.created_at >= me.at OR o.updated_at >= me.at)
                                 AND COALESCE(o.redemption, -1) <> me.id
                                 AND COALESCE(o.reference, '') <> me.reference)
                """, arguments: [redemption, code.undashed, code.undashed]) ?? true
        }
    }

        public func isPending(_ id: Int64) async throws -> Bool {
        try await writer.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM outbox WHERE id = ? AND state = 'pending')",
                              arguments: [id]) ?? false
        }
    }

    public func pendingEntries() async throws -> [OutboxEntry] {
        try await pendingEntriesSettingAside().entries
    }

    /// Pending entries, oldest first; a row whose payload cannot be decoded (written by another
    /// version, damaged) is set aside as dead with its error in the same transaction and returned
    /// apart, so one bad row never stops the rest of the outbox and the caller can log and count it.
    public func pendingEntriesSettingAside() async throws -> (entries: [OutboxEntry], setAside: [UndecodableOutboxRow]) {
        try await write { db in
            let (entries, bad) = try Self.decode(db, Row.fetchAll(db, sql: "SELECT * FROM outbox WHERE state = 'pending' ORDER BY id"))
            for row in bad {
                try db.execute(sql: """
                    UPDATE outbox SET state = 'dead', last_error = ?, updated_at = ? WHERE id = ? AND state = 'pending'
                    """, arguments: [row.error, JournalTime.now, row.id])
            }
            return (entries, bad)
        }
    }

    /// Open entries (pending and dead-lettered) whose payload decodes; `undecodableEntries()` lists the others.
    public func openEntries() async throws -> [OutboxEntry] {
        try await writer.read { db in
            try Self.decode(db, Row.fetchAll(db, sql: "SELECT * FROM outbox WHERE state IN ('pending', 'dead') ORDER BY id")).entries
        }
    }

    /// Open entries whose payload cannot be decoded, for `outbox list`.
    public func undecodableEntries() async throws -> [UndecodableOutboxRow] {
        try await writer.read { db in
            try Self.decode(db, Row.fetchAll(db, sql: "SELECT * FROM outbox WHERE state IN ('pending', 'dead') ORDER BY id")).undecodable
        }
    }

    public func markDone(_ id: Int64) async throws {
        _ = try await setState(id, to: .done, where: "state = 'pending'")
    }

    public func markRetry(_ id: Int64, error: String, delay: Duration) async throws {
        try await write { db in try Self.retryEntry(id, error: error, delay: delay, at: JournalTime.now, in: db) }
    }

    public func markDead(_ id: Int64, error: String) async throws {
        try await write { db in try Self.deadEntry(id, error: error, at: JournalTime.now, in: db) }
    }

    public func retry(_ id: Int64) async throws -> Bool {
        try await write { db in
            let now = JournalTime.now
            try db.execute(sql: """
                UPDATE outbox SET state = 'pending', next_attempt_at = ?, updated_at = ?
                WHERE id = ? AND state IN ('pending', 'dead')
                """, arguments: [now, now, id])
            return db.changesCount == 1
        }
    }

    public func drop(_ id: Int64) async throws -> Bool {
        try await setState(id, to: .withdrawn, where: "state IN ('pending', 'dead')")
    }

    /// Drops an open entry for good and records who dropped it and why as an `outbox_dropped`
    /// event, in one transaction (never a drop without its trace). Returns the event written, or
    /// nil when there is no such open entry.
    public func dropRecorded(_ id: Int64, user: String, reason: String) async throws -> GateEvent? {
        try await write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM outbox WHERE id = ? AND state IN ('pending', 'dead')",
                                             arguments: [id]) else { return nil }
            try db.execute(sql: "UPDATE outbox SET state = ?, updated_at = ? WHERE id = ?",
                           arguments: [OutboxEntry.State.withdrawn.rawValue, JournalTime.now, id])
            let (entries, _) = try Self.decode(db, [row])
            let summary = entries.first?.operation.summary
            let attempts: Int = row["attempts"]
            let lastError: String? = row["last_error"]
            let message = "outbox entry #\(id) (\(row["operation"] as String), \(attempts) attempt(s)"
                + (lastError.map { ", last error: \($0)" } ?? "") + ") dropped by \(user): \(reason)"
            let event = GateEvent(.outboxDropped, lane: summary?.lane ?? "gate", admission: summary?.admission,
                                  code: row["code"], amountCents: summary?.amountCents, message: message)
            try Self.insert(event, at: JournalTime.now, in: db)
            return event
        }
    }

    private func setState(_ id: Int64, to state: OutboxEntry.State, where condition: String) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "UPDATE outbox SET state = ?, updated_at = ? WHERE id = ? AND \(condition)",
                           arguments: [state.rawValue, JournalTime.now, id])
            return db.changesCount == 1
        }
    }

    private static func decode(_ db: Database, _ rows: [Row]) throws -> (entries: [OutboxEntry], undecodable: [UndecodableOutboxRow]) {
        var entries: [OutboxEntry] = []
        var undecodable: [UndecodableOutboxRow] = []
        let now = Date()
        for row in rows {
            let payload: String = row["payload"]
            let operation: OutboxOperation
            do {
                operation = try JSONDecoder().decode(OutboxOperation.self, from: Data(payload.utf8))
            } catch {
                let stored: String? = row["last_error"]
                let message = UndecodableOutboxRow.prefix + "\(error)"
                undecodable.append(UndecodableOutboxRow(
                    id: row["id"], operation: row["operation"],
                    error: stored?.hasPrefix(UndecodableOutboxRow.prefix) == true ? stored ?? message : message))
                continue
            }
            let next: Date = row["next_attempt_at"]
            let wait = next.timeIntervalSince(now)
            // A settle entry's age runs from its redemption's intent, not from when it was queued
            // (what "not applied" is judged by); looked up by the decoded id, not by a JSON path
            // into the payload's Codable layout.
            var since: Date? = row["created_at"]
            if case .settle(let order) = operation {
                since = try Date.fetchOne(db, sql: "SELECT created_at FROM redemption WHERE id = ?",
                                          arguments: [order.redemption]) ?? since
            }
            let age = since.map { max(now.timeIntervalSince($0), 0) }
            entries.append(OutboxEntry(id: row["id"], operation: operation,
                                       state: OutboxEntry.State(rawValue: row["state"]) ?? .pending,
                                       attempts: row["attempts"], lastError: row["last_error"],
                                       dueIn: wait > 0 ? .milliseconds(Int64(wait * 1_000)) : nil,
                                       age: age.map { .milliseconds(Int64($0 * 1_000)) }))
        }
        return (entries, undecodable)
    }
}

/// An outbox row whose payload cannot be decoded: set aside as dead, never sent.
public struct UndecodableOutboxRow: Sendable, Equatable {
    static let prefix = "payload cannot be decoded: "
    public let id: Int64
    /// The operation name stored beside the payload (cancel, offline_redeem, settle).
    public let operation: String
    public let error: String
}
