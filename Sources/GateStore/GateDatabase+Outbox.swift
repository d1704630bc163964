import Foundation
import GateCore
import GRDB

extension GateDatabase: OutboxStore {
    @discardableResult
    public func enqueue(_ operation: OutboxOperation) async throws -> Int64 {
        let payload = String(decoding: try JSONEncoder().encode(operation), as: UTF8.self)
        return try await writer.write { db in
            let now = Date()
            try db.execute(sql: """
                INSERT INTO outbox (operation, code, reference, payload, state, attempts, next_attempt_at, created_at, updated_at)
                VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?)
                """, arguments: [operation.name, operation.code.undashed, operation.reference, payload, now, now, now])
            return db.lastInsertedRowID
        }
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

    public func hasPendingSettle(for code: VoucherCode) async throws -> Bool {
        try await writer.read { db in
            try Bool.fetchOne(db, sql: """
                SELECT EXISTS (SELECT 1 FROM outbox WHERE state = 'pending' AND operation = 'settle' AND code = ?)
                """, arguments: [code.undashed]) ?? false
        }
    }

        public func isPending(_ id: Int64) async throws -> Bool {
        try await writer.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM outbox WHERE id = ? AND state = 'pending')",
                              arguments: [id]) ?? false
        }
    }

    public func pendingEntries() async throws -> [OutboxEntry] {
        try await entries(where: "state = 'pending'")
    }

    public func openEntries() async throws -> [OutboxEntry] {
        try await entries(where: "state IN ('pending', 'dead')")
    }

    public func markDone(_ id: Int64) async throws {
        _ = try await setState(id, to: .done, where: "state = 'pending'")
    }

    public func markRetry(_ id: Int64, error: String, delay: Duration) async throws {
        let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
        try await writer.write { db in
            let now = Date()
            try db.execute(sql: """
                UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, updated_at = ?
                WHERE id = ? AND state = 'pending'
                """, arguments: [error, now.addingTimeInterval(seconds), now, id])
        }
    }

    public func markDead(_ id: Int64, error: String) async throws {
        try await writer.write { db in
            try db.execute(sql: """
                UPDATE outbox SET state = 'dead', attempts = attempts + 1, last_error = ?, updated_at = ?
                WHERE id = ? AND state = 'pending'
                """, arguments: [error, Date(), id])
        }
    }

    public func retry(_ id: Int64) async throws -> Bool {
        try await writer.write { db in
            let now = Date()
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

    private func setState(_ id: Int64, to state: OutboxEntry.State, where condition: String) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "UPDATE outbox SET state = ?, updated_at = ? WHERE id = ? AND \(condition)",
                           arguments: [state.rawValue, Date(), id])
            return db.changesCount == 1
        }
    }

    private func entries(where condition: String) async throws -> [OutboxEntry] {
        let now = Date()
        return try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM outbox WHERE \(condition) ORDER BY id").map { row in
                let payload: String = row["payload"]
                let operation = try JSONDecoder().decode(OutboxOperation.self, from: Data(payload.utf8))
                let next: Date = row["next_attempt_at"]
                let wait = next.timeIntervalSince(now)
                return OutboxEntry(id: row["id"], operation: operation,
                                   state: OutboxEntry.State(rawValue: row["state"]) ?? .pending,
                                   attempts: row["attempts"], lastError: row["last_error"],
                                   dueIn: wait > 0 ? .milliseconds(Int64(wait * 1_000)) : nil)
            }
        }
    }
}
