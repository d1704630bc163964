import Foundation
import GateCore
import GRDB

extension GateDatabase: AdmissionJournal {
    public func closeAdmission(_ id: Int64, outcome: AdmissionOutcome) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE admission SET outcome = ?, closed_at = ? WHERE id = ?",
                           arguments: [outcome.rawValue, JournalTime.now, id])
        }
    }

    public func settleRedemption(_ redemption: Int64, from: Set<RedemptionState>, to state: RedemptionState,
                                 balanceAfter: Money?, event: GateEvent?) async throws -> Bool {
        try await write { db in
            let now = JournalTime.now
            guard try Self.move(redemption, from: from.sorted { $0.rawValue < $1.rawValue }, to: state,
                                balanceAfter: balanceAfter, at: now, in: db) == .applied else { return false }
            if let event { try Self.insert(event, at: now, in: db) }
            return true
        }
    }

    public func redemption(id: Int64) async throws -> StoredRedemption? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM redemption WHERE id = ?", arguments: [id]).map(StoredRedemption.init(row:))
        }
    }

    public func rememberVoucherBalance(_ code: VoucherCode, balance: Money) async throws {
        try await write { db in
            try db.execute(sql: """
                INSERT INTO known_voucher (code, balance_cents, seen_at) VALUES (?, ?, ?)
                ON CONFLICT(code) DO UPDATE SET balance_cents = excluded.balance_cents, seen_at = excluded.seen_at
                """, arguments: [code.undashed, balance.cents, JournalTime.now])
        }
    }

    public func knownBalance(of code: VoucherCode, withinDays days: Int) async throws -> Money? {
        let since = JournalTime.now.adding(seconds: -Double(days) * 86_400)
        return try await writer.read { db in
            try Int64.fetchOne(db, sql: "SELECT balance_cents FROM known_voucher WHERE code = ? AND seen_at >= ?",
                               arguments: [code.undashed, since]).map(Money.init(cents:))
        }
    }

    public func redemption(reference: String) async throws -> StoredRedemption? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM redemption WHERE reference = ? ORDER BY id DESC LIMIT 1",
                             arguments: [reference]).map(StoredRedemption.init(row:))
        }
    }

    public func unsettledRedemptions() async throws -> [StoredRedemption] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT r.* FROM redemption r JOIN admission a ON a.id = r.admission_id
                WHERE r.state = 'intent' OR (r.state = 'redeemed' AND a.outcome IS NULL)
                ORDER BY r.id
                """).map(StoredRedemption.init(row:))
        }
    }

    public func append(_ event: GateEvent) async throws {
        try await write { db in try Self.insert(event, at: JournalTime.now, in: db) }
    }

    /// Writes `count` events with times of their own in one transaction: `make(i)` gives the
    /// i-th. For the journal benchmark (a year of a busy gate in seconds) and import tools;
    /// the gate itself appends one event at a time.
    public func appendHistory(count: Int, _ make: @escaping @Sendable (Int) -> (at: Date, event: GateEvent)) async throws {
        try await write { db in
            for i in 0..<count {
                let (time, event) = make(i)
                try Self.insert(event, at: JournalTime(time), in: db)
            }
        }
    }

    /// One event row; the statement is prepared once per connection (GRDB's statement cache).
    static func insert(_ event: GateEvent, at time: JournalTime, in db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO event (ts, lane, type, admission_id, code, amount_cents, balance_cents, message, source)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [time, event.lane, event.type.rawValue, event.admission, event.code,
                                     event.amountCents, event.balanceCents, event.message, event.source?.rawValue])
    }

    public func wasOfflineAdmitted(_ code: VoucherCode) async throws -> Bool {
        try await writer.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM offline_admitted WHERE code = ?)",
                              arguments: [code.undashed]) ?? false
        }
    }

    public func isOfflineAdmission(_ id: Int64) async throws -> Bool {
        try await writer.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM offline_admitted WHERE admission_id = ?)",
                              arguments: [id]) ?? false
        }
    }

    // MARK: Reading the journal (events command, tests)

    /// Events after `afterID`, oldest first, at most `limit` (tests and small reads). Operator
    /// commands read the newest rows first instead: `latestEvents` and `events(after:_:limit:)`.
    public func events(afterID: Int64 = 0, lane: String? = nil, since: Date? = nil, limit: Int = 10_000) async throws -> [JournalEvent] {
        try await writer.read { db in
            var sql = "SELECT * FROM event WHERE id > ?"
            var arguments: StatementArguments = [afterID]
            if let lane { sql += " AND lane = ?"; arguments += [lane] }
            if let since { sql += " AND ts >= ?"; arguments += [JournalTime(since)] }
            sql += " ORDER BY id LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).compactMap(JournalEvent.init(row:))
        }
    }

    /// Every redemption of the journal, oldest first (operator reports, tests).
    public func redemptions() async throws -> [StoredRedemption] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM redemption ORDER BY id").map(StoredRedemption.init(row:))
        }
    }

    /// How admission `id` ended, nil while open.
    public func outcome(ofAdmission id: Int64) async throws -> AdmissionOutcome? {
        try await writer.read { db in
            try String.fetchOne(db, sql: "SELECT outcome FROM admission WHERE id = ?", arguments: [id])
                .flatMap(AdmissionOutcome.init(rawValue:))
        }
    }
}

/// An event as stored, with its row id and time.
public struct JournalEvent: Sendable, Equatable {
    public var id: Int64
    public var timestamp: Date
    public var event: GateEvent

    init?(row: Row) {
        guard let type = GateEventType(rawValue: row["type"]) else { return nil }
        id = row["id"]
        timestamp = row["ts"]
        event = GateEvent(type, lane: row["lane"], admission: row["admission_id"], code: row["code"],
                          amountCents: row["amount_cents"], balanceCents: row["balance_cents"], message: row["message"],
                          source: (row["source"] as String?).flatMap(EntrySource.init(rawValue:)))
    }
}

extension StoredRedemption {
    init(row: Row) {
        let intent = RedemptionIntent(
            admission: row["admission_id"], lane: row["lane"], outlet: row["outlet"],
            code: VoucherCode(unchecked: row["code"]), amount: Money(cents: row["amount_cents"]),
            reference: row["reference"], balanceBefore: Money(cents: row["balance_before_cents"]))
        let after: Int64? = row["balance_after_cents"]
        self.init(id: row["id"], intent: intent,
                  state: RedemptionState(rawValue: row["state"]) ?? .intent,
                  token: row["token"], balanceAfter: after.map(Money.init(cents:)))
    }
}

/// Single writes outside the lane's path (which writes them together: `beginRedemption`,
/// `recordRedeemed(_:token:balanceAfter:event:)`): the benchmarks and tests lay out journals with them.
extension GateDatabase {
    public func openAdmission(lane: String) async throws -> Int64 {
        let id = admissionIDs.next()  // one allocator for every admission id (AdmissionIDs)
        try await openAdmission(id, lane: lane, scanned: nil)
        return id
    }

    public func recordIntent(_ intent: RedemptionIntent) async throws -> Int64 {
        try await write { db in try Self.insertIntent(intent, at: JournalTime.now, in: db) }
    }

    public func recordRedeemed(_ redemption: Int64, token: String, balanceAfter: Money) async throws {
        try await write { db in
            try db.execute(sql: """
                UPDATE redemption SET token = ?, balance_after_cents = ?, state = 'redeemed', updated_at = ?
                WHERE id = ?
                """, arguments: [token, balanceAfter.cents, JournalTime.now, redemption])
        }
    }
}
