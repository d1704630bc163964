import Foundation
import GateCore
import GRDB

/// One admission as `admission list` / `admission show` read it: the row, its redemptions (with
/// their tokens: what a refund needs), and for an offline admission the redeem it queued.
public struct AdmissionRecord: Sendable, Equatable {
    public struct Redemption: Sendable, Equatable {
        public var id: Int64
        public var outlet: String
        public var code: String
        public var amountCents: Int64
        public var reference: String
        public var token: String?
        public var balanceBeforeCents: Int64
        public var balanceAfterCents: Int64?
        public var state: RedemptionState
        public var createdAt: Date
    }

    /// The offline redeem an offline admission queued (its outbox entry), while it is open or
    /// after it ended.
    public struct QueuedRedeem: Sendable, Equatable {
        public var entry: Int64
        public var state: OutboxEntry.State
        public var amountCents: Int64
    }

    public var id: Int64
    public var lane: String
    public var startedAt: Date
    public var closedAt: Date?
    /// Raw outcome (`entered`, `cancelled`, `denied`, `offline_entered`); nil while open.
    public var outcome: String?
    /// Admitted while e-guma was unreachable (SPEC §3 "Offline").
    public var offline: Bool
    public var redemptions: [Redemption]
    public var queuedRedeem: QueuedRedeem?

    /// What the admission took and still holds at e-guma: redemptions not cancelled nor refused.
    public var chargedCents: Int64 {
        redemptions.filter { [.redeemed, .tokenUnknown, .cancelQueued, .intent, .uncertain].contains($0.state) }
            .reduce(0) { $0 + $1.amountCents }
    }
}

/// Reads for `admission list|show` (issue 25), straight from the journal: they work whether or
/// not the daemon runs.
extension GateDatabase {
    /// Admissions started in [`from`, `to`), of one lane or all, oldest first, each with its
    /// redemptions. Through the indexes `admission_started` and `redemption_admission`.
    public func admissionRecords(from: Date, to: Date, lane: String? = nil) async throws -> [AdmissionRecord] {
        try await writer.read { db in
            var sql = "SELECT * FROM admission WHERE started_at >= ? AND started_at < ?"
            var arguments: StatementArguments = [JournalTime(from), JournalTime(to)]
            if let lane { sql += " AND lane = ?"; arguments += [lane] }
            return try Row.fetchAll(db, sql: sql + " ORDER BY started_at, id", arguments: arguments).map { try Self.record($0, in: db) }
        }
    }

    /// Admission `id` with its redemptions; nil when the journal holds no such admission.
    public func admissionRecord(_ id: Int64) async throws -> AdmissionRecord? {
        try await writer.read { db in try Self.record(id, in: db) }
    }

    static func record(_ id: Int64, in db: Database) throws -> AdmissionRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM admission WHERE id = ?", arguments: [id]).map { try record($0, in: db) }
    }

    static func record(_ row: Row, in db: Database) throws -> AdmissionRecord {
        let id: Int64 = row["id"]
        let redemptions = try Row.fetchAll(db, sql: "SELECT * FROM redemption WHERE admission_id = ? ORDER BY id", arguments: [id]).map { r in
            AdmissionRecord.Redemption(
                id: r["id"], outlet: r["outlet"], code: r["code"], amountCents: r["amount_cents"], reference: r["reference"],
                token: r["token"], balanceBeforeCents: r["balance_before_cents"], balanceAfterCents: r["balance_after_cents"],
                state: RedemptionState(rawValue: r["state"]) ?? .intent, createdAt: r["created_at"])
        }
        let offlineCode = try String.fetchOne(db, sql: "SELECT code FROM offline_admitted WHERE admission_id = ?", arguments: [id])
        let outcome: String? = row["outcome"]
        return AdmissionRecord(id: id, lane: row["lane"], startedAt: row["started_at"], closedAt: row["closed_at"],
                               outcome: outcome, offline: offlineCode != nil || outcome == AdmissionOutcome.offlineEntered.rawValue,
                               redemptions: redemptions,
                               queuedRedeem: try offlineCode.flatMap { try queuedRedeem(of: id, code: $0, in: db) })
    }

    /// The offline redeem entry admission `id` queued for `code` (the newest, when a settle
    /// queued it again). Its admission lives in the payload: decoded here, never read by a JSON path.
    static func queuedRedeem(of id: Int64, code: String, in db: Database) throws -> AdmissionRecord.QueuedRedeem? {
        let rows = try Row.fetchAll(db, sql: "SELECT id, state, payload FROM outbox WHERE operation = 'offline_redeem' AND code = ? ORDER BY id DESC",
                                    arguments: [VoucherCode(unchecked: code).undashed])
        for row in rows {
            guard case .offlineRedeem(let order)? = try? JSONDecoder().decode(OutboxOperation.self, from: Data((row["payload"] as String).utf8)),
                  order.admission == id else { continue }
            return AdmissionRecord.QueuedRedeem(entry: row["id"], state: OutboxEntry.State(rawValue: row["state"]) ?? .pending,
                                                amountCents: order.amountCents)
        }
        return nil
    }
}

extension GateDatabase {
    /// Where an outbox entry stands: its state and last error.
    public struct EntryStanding: Sendable, Equatable {
        public var state: OutboxEntry.State
        public var lastError: String?
    }

    /// The standing of each of `ids` that exists.
    public func entryStandings(_ ids: [Int64]) async throws -> [Int64: EntryStanding] {
        try await writer.read { db in
            var standings: [Int64: EntryStanding] = [:]
            for id in ids {
                if let row = try Row.fetchOne(db, sql: "SELECT state, last_error FROM outbox WHERE id = ?", arguments: [id]) {
                    standings[id] = EntryStanding(state: OutboxEntry.State(rawValue: row["state"]) ?? .pending, lastError: row["last_error"])
                }
            }
            return standings
        }
    }
}
