import Foundation
import GateCore
import GRDB

/// The writes on the path from scan to relay (issue 13): at most two durable commits before the
/// relay opens, each one transaction that keeps the journal's invariants on its own.
///
/// 1. `beginRedemption`: the admission, its "scanned" event and the redeem intent, before Redeem.
/// 2. `recordRedeemed(_:token:balanceAfter:event:)`: the token and its "redeemed" event, right after.
///
/// A split payment adds one commit per further voucher, not two: the token of voucher k and the
/// intent of voucher k + 1 share one (`recordRedeemed(_:token:balanceAfter:event:thenBegin:)`).
///
/// Everything else an admission writes (opened, entered, closing) comes after the relay energised.
/// Neither of the two checkpoints the WAL (`CheckpointDeferral`): the next ordinary commit does.
extension GateDatabase {
    /// An id for a new admission on `lane`; nothing is written until
    /// `openAdmission(_:lane:scanned:)` or `beginRedemption(_:scanned:)` writes the row.
    public func reserveAdmission(lane: String) -> Int64 { admissionIDs.next() }

    /// Writes a reserved admission and its "scanned" event in one transaction (a scan that ends
    /// without a redeem: denied, offline, waiting for a second voucher).
    public func openAdmission(_ id: Int64, lane: String, scanned: GateEvent?) async throws {
        try await write { db in
            let now = JournalTime.now
            try db.cachedStatement(sql: "INSERT INTO admission (id, lane, started_at) VALUES (?, ?, ?)").execute(arguments: [id, lane, now])
            if let scanned { try Self.insert(scanned, at: now, in: db) }
        }
    }

    /// The first durable fact of a paying admission, before Redeem: when `scanned` is given, the
    /// admission `intent.admission` (reserved) and its "scanned" event are written with the intent
    /// in one transaction; without it (a later voucher of a split payment) only the intent.
    /// Returns the redemption's id.
    public func beginRedemption(_ intent: RedemptionIntent, scanned: GateEvent?) async throws -> Int64 {
        try await write(critical: true) { db in try Self.begin(intent, scanned: scanned, at: JournalTime.now, in: db) }
    }

    /// A split payment's next voucher (issue 24): the token of the voucher that just answered,
    /// with its "redeemed" event, and the next voucher's intent, in one transaction — one commit
    /// where two would follow each other with nothing between them. All or nothing: when the
    /// next voucher has pending outbox work this throws `VoucherBusy` and writes nothing, and the
    /// caller writes the token on its own.
    public func recordRedeemed(_ redemption: Int64, token: String, balanceAfter: Money, event: GateEvent,
                               thenBegin next: RedemptionIntent) async throws -> Int64 {
        try await write(critical: true) { db in
            let now = JournalTime.now
            try Self.storeToken(redemption, token: token, balanceAfter: balanceAfter, event: event, at: now, in: db)
            return try Self.begin(next, scanned: nil, at: now, in: db)
        }
    }

    static func begin(_ intent: RedemptionIntent, scanned: GateEvent?, at now: JournalTime, in db: Database) throws -> Int64 {
        // Inside the transaction: nothing can be queued for the code between this and the intent.
        if try hasPendingEntry(for: intent.code, in: db) { throw VoucherBusy(code: intent.code.text) }
        if let scanned {
            try db.cachedStatement(sql: "INSERT INTO admission (id, lane, started_at) VALUES (?, ?, ?)")
                .execute(arguments: [intent.admission, intent.lane, now])
            try insert(scanned, at: now, in: db)
        }
        return try insertIntent(intent, at: now, in: db)
    }

    /// A redemption in state `intent`; returns its id.
    static func insertIntent(_ intent: RedemptionIntent, at now: JournalTime, in db: Database) throws -> Int64 {
        try db.cachedStatement(sql: """
            INSERT INTO redemption (admission_id, lane, outlet, code, amount_cents, reference,
                balance_before_cents, state, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, 'intent', ?, ?)
            """).execute(arguments: [intent.admission, intent.lane, intent.outlet, intent.code.text, intent.amount.cents,
                             intent.reference, intent.balanceBefore.cents, now, now])
        return db.lastInsertedRowID
    }

    /// The token and new balance of a redeem that succeeded, with its "redeemed" event, in one
    /// transaction. Guarded: only a redemption still in `intent` takes a token; anything else
    /// (settled meanwhile by someone else) writes nothing and throws.
    public func recordRedeemed(_ redemption: Int64, token: String, balanceAfter: Money, event: GateEvent) async throws {
        try await write(critical: true) { db in
            try Self.storeToken(redemption, token: token, balanceAfter: balanceAfter, event: event, at: JournalTime.now, in: db)
        }
    }

    static func storeToken(_ redemption: Int64, token: String, balanceAfter: Money, event: GateEvent,
                           at now: JournalTime, in db: Database) throws {
        try db.cachedStatement(sql: """
            UPDATE redemption SET token = ?, balance_after_cents = ?, state = 'redeemed', updated_at = ?
            WHERE id = ? AND state = 'intent'
            """).execute(arguments: [token, balanceAfter.cents, now, redemption])
        guard db.changesCount == 1 else {
            throw GateStoreError(operation: "record the redeem token of redemption #\(redemption)",
                                 reason: "it is no longer in state intent (or does not exist)",
                                 hint: "another path settled it meanwhile — check `eguma-gate events` for this admission")
        }
        try insert(event, at: now, in: db)
    }

    /// Closes admission `id` with its last events ("opened" and "entered" of a lane without a
    /// sensor, "entered" of one with) in one transaction, after the relay.
    public func closeAdmission(_ id: Int64, outcome: AdmissionOutcome, events: [GateEvent]) async throws {
        try await write { db in
            let now = JournalTime.now
            try db.cachedStatement(sql: "UPDATE admission SET outcome = ?, closed_at = ? WHERE id = ?")
                .execute(arguments: [outcome.rawValue, now, id])
            for event in events { try Self.insert(event, at: now, in: db) }
        }
    }
}
