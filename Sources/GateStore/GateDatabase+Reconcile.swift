import Foundation
import GateCore
import GRDB

/// Journal reads by time window for `reconcile` and `report` (issue 14). Every query uses an
/// index of migration `v3-reconcile` (or `event_ts`); `GateDatabaseTests` checks the plans.
extension GateDatabase {
    /// Redemptions whose intent was written in [`from`, `to`), of one outlet or all, oldest first.
    public func redemptions(from: Date, to: Date, outlet: String? = nil) async throws -> [JournalRedemptionRow] {
        try await writer.read { db in
            var sql = "SELECT * FROM redemption WHERE created_at >= ? AND created_at < ?"
            var arguments: StatementArguments = [JournalTime(from), JournalTime(to)]
            if let outlet { sql = "SELECT * FROM redemption WHERE outlet = ? AND created_at >= ? AND created_at < ?"; arguments = [outlet, JournalTime(from), JournalTime(to)] }
            return try Row.fetchAll(db, sql: sql + " ORDER BY created_at, id", arguments: arguments).map(Self.row)
        }
    }

    /// Admissions started in [`from`, `to`), oldest first.
    public func admissions(from: Date, to: Date) async throws -> [ReportAdmission] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT id, lane, outcome FROM admission WHERE started_at >= ? AND started_at < ? ORDER BY started_at, id",
                             arguments: [JournalTime(from), JournalTime(to)]).map { row in
                ReportAdmission(id: row["id"], lane: row["lane"], outcome: (row["outcome"] as String?).flatMap(AdmissionOutcome.init(rawValue:)))
            }
        }
    }

    /// Events written in [`from`, `to`), oldest first.
    public func reportEvents(from: Date, to: Date) async throws -> [ReportEvent] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT type, lane, admission_id, message, amount_cents FROM event WHERE ts >= ? AND ts < ? ORDER BY ts, id",
                             arguments: [JournalTime(from), JournalTime(to)]).compactMap { row in
                GateEventType(rawValue: row["type"]).map {
                    ReportEvent(type: $0, lane: row["lane"], admission: row["admission_id"], message: row["message"],
                                amountCents: row["amount_cents"])
                }
            }
        }
    }

    /// Whether anything was journalled before `date` (the gate already ran then).
    public func hasEvents(before date: Date) async throws -> Bool {
        try await writer.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM event WHERE ts < ?)", arguments: [JournalTime(date)]) ?? false
        }
    }

    /// When the intent of redemption `id` was written (the earliest e-guma can list it).
    public func intentTime(ofRedemption id: Int64) async throws -> Date? {
        try await writer.read { db in
            try Date.fetchOne(db, sql: "SELECT created_at FROM redemption WHERE id = ?", arguments: [id])
        }
    }

    /// The query plan of a window query (tests check that it uses an index).
    public func explainWindowQueries() async throws -> [String] {
        try await writer.read { db in
            let now = JournalTime.now
            return try [
                "SELECT * FROM redemption WHERE outlet = ? AND created_at >= ? AND created_at < ? ORDER BY created_at, id",
                "SELECT * FROM redemption WHERE created_at >= ? AND created_at < ? ORDER BY created_at, id",
                "SELECT id, lane, outcome FROM admission WHERE started_at >= ? AND started_at < ? ORDER BY started_at, id",
                "SELECT type, lane, admission_id, message, amount_cents FROM event WHERE ts >= ? AND ts < ? ORDER BY ts, id",
            ].map { sql in
                let arguments: StatementArguments = sql.contains("outlet = ?") ? ["x", now, now] : [now, now]
                return try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments)
                    .map { $0["detail"] as String? ?? "" }.joined(separator: "; ")
            }
        }
    }

    private static func row(_ row: Row) -> JournalRedemptionRow {
        JournalRedemptionRow(id: row["id"], admission: row["admission_id"], lane: row["lane"], outlet: row["outlet"],
                             code: VoucherCode(unchecked: row["code"]).undashed, amountCents: row["amount_cents"],
                             state: RedemptionState(rawValue: row["state"]) ?? .intent, at: row["created_at"],
                             balanceAfterCents: row["balance_after_cents"])
    }
}
