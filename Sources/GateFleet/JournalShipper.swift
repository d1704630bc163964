import Foundation
import GateCore
import GateStore
import Logging
import PostgresNIO

/// Copies this controller's journal into the fleet's PostgreSQL, following the journal's change
/// sequence (migration v7): every row written or changed since the cursor, in order, in batches.
///
/// Idempotent: a row is keyed by (site, gate, table, local id) and an upsert keeps the copy with
/// the highest change number, so a batch sent twice is stored once and a row changed later (a
/// cancel, a replay) replaces its copy. The cursor lives in PostgreSQL, written in the same
/// transaction as the batch: a controller killed mid-batch finds the cursor where the last
/// committed batch left it and sends the rest again — nothing lost, nothing doubled. (A cursor in
/// SQLite would be written after PostgreSQL committed, and a kill in between only re-sends a
/// batch; PostgreSQL's one transaction makes rows and cursor agree without that window.)
///
/// Voucher codes never leave the controller: a `code` column becomes `code_hash` (HMAC under
/// the site's key) and `code_masked`; the outbox's payload (which holds the code) is not sent, and
/// any text naming the row's code gets the masked form instead.
///
/// Deletions follow the same sequence (migration v11): a row the local retention prune removed
/// is removed from the fleet's copy in order with everything else, and a pruned offline
/// admission's shared claim with it.
public struct JournalShipper: Sendable {
    public let database: GateDatabase
    public let client: PostgresClient
    public let settings: FleetSettings
    let hasher: CodeHasher
    /// The e-guma user of each outlet, and each lane's outlet: every row is shipped with its user.
    let outletUsers: [String: String]
    let laneOutlets: [String: String]
    public var batchSize = 500
    let logger: Logger

    public init(database: GateDatabase, client: PostgresClient, settings: FleetSettings, codeKey: [UInt8],
                outletUsers: [String: String], laneOutlets: [String: String], logger: Logger) {
        self.database = database; self.client = client; self.settings = settings; self.hasher = CodeHasher(key: codeKey)
        self.outletUsers = outletUsers; self.laneOutlets = laneOutlets; self.logger = logger
    }

    /// Where shipping resumes: the change number of the last committed batch (0: nothing yet).
    public func cursor() async throws -> Int64 {
        let rows = try await client.query(
            "SELECT change_seq FROM fleet_cursor WHERE site = \(settings.site) AND gate_id = \(settings.gateID)", logger: logger)
        for try await seq in rows.decode(Int64.self) { return seq }
        return 0
    }

    /// Ships one batch after `cursor`; returns the new cursor (unchanged: nothing to ship) and the rows sent.
    public func shipBatch(after cursor: Int64) async throws -> (cursor: Int64, rows: Int) {
        let rows = try await database.rowsToShip(after: cursor, limit: batchSize)
        guard let last = rows.last?.sequence else { return (cursor, 0) }
        var tables: [String] = [], ids: [Int64] = [], seqs: [Int64] = [], users: [String] = [], bodies: [String] = []
        var goneTables: [String] = [], goneIDs: [Int64] = [], goneSeqs: [Int64] = []
        for row in rows {
            if row.deleted {
                goneTables.append(row.table); goneIDs.append(row.rowID); goneSeqs.append(row.sequence)
                continue
            }
            let (body, user) = try shippable(row)
            tables.append(row.table); ids.append(row.rowID); seqs.append(row.sequence); users.append(user ?? ""); bodies.append(body)
        }
        let (site, gate) = (settings.site, settings.gateID)
        try await client.withTransaction(logger: logger) { c in
            if !tables.isEmpty {
                try await c.query("""
                    INSERT INTO fleet_journal (site, gate_id, tbl, local_id, change_seq, user_id, row)
                    SELECT \(site), \(gate), t.tbl, t.local_id, t.seq, NULLIF(t.user_id, ''), t.body::jsonb
                    FROM unnest(\(tables)::text[], \(ids)::int8[], \(seqs)::int8[], \(users)::text[], \(bodies)::text[])
                        AS t(tbl, local_id, seq, user_id, body)
                    ON CONFLICT (site, gate_id, tbl, local_id) DO UPDATE
                        SET change_seq = EXCLUDED.change_seq, user_id = EXCLUDED.user_id, row = EXCLUDED.row, shipped_at = now()
                        WHERE fleet_journal.change_seq < EXCLUDED.change_seq
                    """, logger: logger)
            }
            if !goneTables.isEmpty {
                // After the upserts, so a row written and pruned within one batch goes too; a
                // copy with a newer number (a local id used again) stays. A pruned offline
                // admission's memory releases this gate's claim on its code first: the claim
                // lived exactly as long as that memory (SPEC §3).
                try await c.query("""
                    DELETE FROM fleet_claim c USING fleet_journal j,
                        unnest(\(goneTables)::text[], \(goneIDs)::int8[], \(goneSeqs)::int8[]) AS d(tbl, local_id, seq)
                    WHERE d.tbl = 'offline_admitted' AND j.site = \(site) AND j.gate_id = \(gate) AND j.tbl = d.tbl
                      AND j.local_id = d.local_id AND j.change_seq < d.seq
                      AND c.site = j.site AND c.gate_id = j.gate_id AND c.admission_id = (j.row->>'admission_id')::int8
                    """, logger: logger)
                try await c.query("""
                    DELETE FROM fleet_journal j
                    USING unnest(\(goneTables)::text[], \(goneIDs)::int8[], \(goneSeqs)::int8[]) AS d(tbl, local_id, seq)
                    WHERE j.site = \(site) AND j.gate_id = \(gate) AND j.tbl = d.tbl AND j.local_id = d.local_id AND j.change_seq < d.seq
                    """, logger: logger)
            }
            try await c.query("""
                INSERT INTO fleet_cursor (site, gate_id, change_seq) VALUES (\(site), \(gate), \(last))
                ON CONFLICT (site, gate_id) DO UPDATE
                    SET change_seq = GREATEST(fleet_cursor.change_seq, EXCLUDED.change_seq), updated_at = now()
                """, logger: logger)
        }
        return (last, rows.count)
    }

    /// Ships until nothing is left; returns how many rows went.
    @discardableResult
    public func shipAll() async throws -> Int {
        var cursor = try await cursor()
        var shipped = 0
        while true {
            let batch = try await shipBatch(after: cursor)
            if batch.rows == 0 { return shipped }
            shipped += batch.rows
            cursor = batch.cursor
        }
    }

    /// Everything the journal held at `time` is shipped (the watermark a fleet reconcile needs):
    /// recorded when a batch found nothing left after the cursor.
    public func markCaughtUp(at time: Date, cursor: Int64) async throws {
        try await client.query("""
            INSERT INTO fleet_cursor (site, gate_id, change_seq, caught_up_at) VALUES (\(settings.site), \(settings.gateID), \(cursor), \(time))
            ON CONFLICT (site, gate_id) DO UPDATE SET caught_up_at = GREATEST(fleet_cursor.caught_up_at, EXCLUDED.caught_up_at)
            """, logger: logger)
    }

    /// The e-guma users whose rows this gate ships (its outlets').
    public var users: [String] { Array(Set(outletUsers.values)).sorted() }

    /// How far the copy lags: change numbers handed out locally but not yet shipped.
    public func lag() async throws -> Int64 {
        let local = try await database.changeSequence()
        return max(0, local - (try await cursor()))
    }

    /// The row as JSON without its code, and the e-guma user it belongs to.
    func shippable(_ row: GateDatabase.ShippedRow) throws -> (String, String?) {
        var columns = row.columns
        if row.table == "outbox" { columns["payload"] = nil }
        if case .text(let code)? = columns["code"] {
            columns["code"] = nil
            columns["code_hash"] = .text(hasher.hash(code))
            columns["code_masked"] = .text(hasher.masked(code))
            if code.count >= 4 {
                for (name, value) in columns {
                    if case .text(let text) = value, text.contains(code) {
                        columns[name] = .text(text.replacingOccurrences(of: code, with: hasher.masked(code)))
                    }
                }
            }
        }
        var outlet: String?
        if case .text(let o)? = columns["outlet"] { outlet = o }
        if outlet == nil, case .text(let lane)? = columns["lane"] { outlet = laneOutlets[lane] }
        let user = outlet.flatMap { outletUsers[$0] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let body = String(decoding: try encoder.encode(columns), as: UTF8.self)
        return (body, user)
    }
}
