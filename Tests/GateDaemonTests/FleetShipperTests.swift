import Foundation
import GateCore
import GateFleet
import GateStore
import Logging
import PostgresNIO
import Testing
import TestSupport

/// The shipper alone, on a real SQLite journal and a real PostgreSQL: a batch that dies inside its
/// transaction leaves nothing behind, the next shipper resumes from the cursor, every row is
/// stored once, and a row changed later replaces its copy.
@Suite("Fleet shipper", .enabled(if: PostgresServer.shouldRun))
struct FleetShipperTests {
    static let code = "K7QM-2XPA-9HTD"

    /// A journal with `count` admissions, each closed, with a scanned event naming the code.
    static func journal(_ count: Int) async throws -> (GateDatabase, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ship-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let db = try await GateDatabase.open(path: dir + "/gate.db")
        for _ in 0..<count {
            let id = try await db.openAdmission(lane: "main")
            try await db.append(GateEvent(.scanned, lane: "main", admission: id, code: code, message: "scanned \(code)"))
        }
        return (db, dir)
    }

    static func shipper(_ db: GateDatabase, _ rig: FleetRig, client: PostgresClient, batch: Int = 25) throws -> JournalShipper {
        var s = JournalShipper(database: db, client: client, settings: rig.settings(gateID: "door-1"),
                               codeKey: try FleetSecrets.codeKey(rig.settings(gateID: "door-1")),
                               outletUsers: ["spa": "4711"], laneOutlets: ["main": "spa"], logger: rig.logger)
        s.batchSize = batch
        return s
    }

    /// Runs `body` with a pool of its own, as one controller's process would have.
    static func withClient<T: Sendable>(_ rig: FleetRig, _ body: @escaping @Sendable (PostgresClient) async throws -> T) async throws -> T {
        let endpoint = try FleetEndpoint(settings: rig.settings(gateID: "door-1"))
        let client = PostgresClient(configuration: endpoint.clientConfiguration(), backgroundLogger: rig.logger)
        // Cancelled, not awaited, at the end: as the daemon's fleet service does.
        let pool = Task { await client.run() }
        defer { pool.cancel() }
        return try await body(client)
    }

    @Test func aBatchThatDiesInItsTransactionIsResentOnceByTheNextShipper() async throws {
        let rig = try await FleetRig.start()
        let (db, dir) = try await Self.journal(40)  // 80 rows: 40 admissions, 40 events
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let local = try await db.changeSequence()

        // A first batch commits; the cursor row exists.
        let first = try await Self.withClient(rig) { client in try await Self.shipper(db, rig, client: client).shipBatch(after: 0) }
        #expect(first.rows == 25)

        // The next batch blocks on the cursor row (locked by this test), and its controller dies:
        // PostgreSQL ends its session mid-transaction, as when the process is killed.
        let lock = try await FleetEndpoint(settings: rig.settings(gateID: "probe")).connect(logger: rig.logger)
        try await lock.query("BEGIN", logger: rig.logger)
        try await lock.query("SELECT change_seq FROM fleet_cursor FOR UPDATE", logger: rig.logger)
        let dying = Task {
            try await Self.withClient(rig) { client in try await Self.shipper(db, rig, client: client).shipBatch(after: first.cursor) }
        }
        try await FleetSite.eventually("the second batch to wait for the cursor row") {
            try await rig.scalar("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = '\(rig.database)' AND wait_event_type = 'Lock'") == 1
        }
        #expect(try await rig.scalar("""
            SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '\(rig.database)' AND wait_event_type = 'Lock'
            """) == 1)
        // Its process is gone: nothing waits for it (postgres-nio may keep a killed session's
        // operation pending; the daemon's time-outs never await it either).
        dying.cancel()
        try await FleetSite.eventually("the killed session to be gone") {
            try await rig.scalar("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = '\(rig.database)' AND wait_event_type = 'Lock'") == 0
        }
        try await lock.query("ROLLBACK", logger: rig.logger)
        try await lock.close()
        #expect(try await rig.scalar("SELECT COUNT(*) FROM fleet_journal") == 25, "nothing of the dead batch is stored")
        #expect(try await rig.scalar("SELECT change_seq FROM fleet_cursor") == first.cursor)

        // The controller starts again: a new shipper resumes from the cursor.
        let shipped = try await Self.withClient(rig) { client in try await Self.shipper(db, rig, client: client).shipAll() }
        #expect(shipped == 80 - 25)
        #expect(try await rig.scalar("SELECT COUNT(*) FROM fleet_journal") == 80)
        #expect(try await rig.scalar("SELECT change_seq FROM fleet_cursor") == local)

        // A batch sent again is stored once; a row changed later replaces its copy.
        try await Self.withClient(rig) { client in _ = try await Self.shipper(db, rig, client: client, batch: 500).shipBatch(after: 0) }
        #expect(try await rig.scalar("SELECT COUNT(*) FROM fleet_journal") == 80)
        let firstAdmission = try #require(try await db.rowsToShip(after: 0).first { $0.table == "admission" }?.rowID)
        try await db.closeAdmission(firstAdmission, outcome: .entered)
        let again = try await Self.withClient(rig) { client in try await Self.shipper(db, rig, client: client).shipAll() }
        #expect(again == 1)
        #expect(try await rig.scalar("SELECT COUNT(*) FROM fleet_journal WHERE tbl = 'admission' AND local_id = \(firstAdmission) AND row->>'outcome' = 'entered'") == 1)
        #expect(try await rig.scalar("SELECT COUNT(*) FROM fleet_journal") == 80)

        // What left the controller: the code's hash and masked form, never the code.
        #expect(try await rig.scalar("SELECT COUNT(*) FROM fleet_journal WHERE row::text LIKE '%K7QM%' OR row::text LIKE '%2XPA%'") == 0)
        #expect(try await rig.scalar("SELECT COUNT(*) FROM fleet_journal WHERE tbl = 'event' AND row->>'code_masked' = '••••-••••-9HTD' AND row->>'message' = 'scanned ••••-••••-9HTD'") == 40)
        #expect(try await rig.scalar("SELECT COUNT(*) FROM fleet_journal WHERE user_id = '4711'") == 80)
        await rig.destroy()
    }

    /// Issue 22: what the local retention prune deletes leaves the fleet's copy too, in order
    /// with the rest (migration v11), and the shared claim of a pruned offline admission goes with
    /// its memory — a claim lives exactly as long as the gate remembers the offline admission.
    /// Rows not pruned, and other gates' claims, stay.
    @Test func rowsThePruneDeletesLeaveTheFleetAndAPrunedOfflineAdmissionReleasesItsClaim() async throws {
        let rig = try await FleetRig.start()
        let (db, dir) = try await Self.journal(3)  // 3 admissions, 3 events
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await db.closeAdmission(1, outcome: .offlineEntered)
        // Its offline memory, written as the lane writes it: with the queued redeem.
        _ = try await db.queueOfflineRedeem(OfflineRedeemOrder(lane: "main", outlet: "spa", admission: 1, code: Self.code,
                                                               reference: "spa/main/1", amountCents: 2_500))
        let settings = rig.settings(gateID: "door-1")
        let hasher = CodeHasher(key: try FleetSecrets.codeKey(settings))
        try await rig.execute("""
            INSERT INTO fleet_claim (site, code_hash, gate_id, admission_id, code_masked) VALUES
                ('\(settings.site)', '\(hasher.hash(Self.code))', 'door-1', 1, 'x'),
                ('\(settings.site)', 'another-code', 'door-2', 1, 'y')
            """)
        try await Self.withClient(rig) { client in _ = try await Self.shipper(db, rig, client: client).shipAll() }
        #expect(try await rig.scalar("SELECT COUNT(*) FROM fleet_journal") == 8)

        // A year and more later: admission 1 (closed) goes with the events and its offline memory;
        // the queued redeem (pending work) and the open admissions stay.
        let pruned = try await db.prune(retentionDays: 400, now: Date().addingTimeInterval(401 * 86_400))
        #expect(pruned.admissions == 1 && pruned.events == 3)
        let shipped = try await Self.withClient(rig) { client in try await Self.shipper(db, rig, client: client).shipAll() }
        #expect(shipped == 5, "five deletions: one admission, three events, one offline memory")
        #expect(try await rig.scalar("SELECT COUNT(*) FROM fleet_journal WHERE tbl = 'admission'") == 2)
        #expect(try await rig.scalar("SELECT COUNT(*) FROM fleet_journal WHERE tbl = 'admission' AND local_id = 1") == 0)
        #expect(try await rig.scalar("SELECT COUNT(*) FROM fleet_journal WHERE tbl IN ('event', 'offline_admitted')") == 0)
        #expect(try await rig.scalar("SELECT COUNT(*) FROM fleet_journal WHERE tbl = 'outbox'") == 1)
        #expect(try await rig.scalar("SELECT COUNT(*) FROM fleet_claim WHERE gate_id = 'door-1'") == 0, "the pruned memory's claim is released")
        #expect(try await rig.scalar("SELECT COUNT(*) FROM fleet_claim WHERE gate_id = 'door-2'") == 1, "another gate's claim stays")
        // Shipped up to the local sequence: nothing lags.
        #expect(try await rig.scalar("SELECT change_seq FROM fleet_cursor") == (try await db.changeSequence()))
        await rig.destroy()
    }
}
