import Foundation
import GateCore
import GateStore
import Testing
import TestSupport

/// The real `eguma-gate run`, SIGKILLed while it ships a day's backlog into a real PostgreSQL:
/// started again, it resumes from the cursor of its last committed batch, and every journal row
/// is there exactly once.
@Suite("Fleet controller killed mid-shipping", .serialized, .enabled(if: PostgresServer.shouldRun))
struct FleetKillTests {
    static let history = 30_000

    @Test func aControllerKilledMidShippingResumesAndShipsEveryRowOnce() async throws {
        let rig = try await FleetRig.start()
        var config = try GateTestConfig(baseURL: "http://127.0.0.1:9")  // e-guma away: not needed here
        config.scanner = #"{ kind = "stdin" }"#
        defer { config.remove() }
        let db = try await GateDatabase.open(path: config.databasePath)
        try await db.appendHistory(count: Self.history) { i in
            (Date(), GateEvent(.scanned, lane: "main", code: "K7QM2XPA9HTD", message: "history \(i)"))
        }
        let backlog = try await db.changeSequence()
        try db.close()
        let outlet = "api_key_file = \"\(config.keyPath)\""
        try config.write(config.text.replacingOccurrences(of: outlet, with: outlet + "\nuser_id = 4711") + "\n" + rig.toml(gateID: "door-1"))
        let environment = ["EGUMA_GATE_MACHINE_ID": "machine-kill-test"]
        let cursor: @Sendable () async throws -> Int64 = { try await rig.scalar("SELECT COALESCE(MAX(change_seq), 0) FROM fleet_cursor") }

        let first = try await RunningGate.start(config: config.configPath, directory: config.directory, logLevel: "info", environment: environment)
        do {
            try await FleetSite.eventually("the first batches to be committed") { try await cursor() > 0 }
            try await first.stop(SIGKILL)
        } catch {
            first.kill()
            throw error
        }
        let atKill = try await cursor()
        #expect(atKill < backlog, "killed mid-shipping (cursor \(atKill) of \(backlog))")
        #expect(try await rig.scalar("SELECT COUNT(*) FROM fleet_journal") == atKill,
                "exactly the committed batches are stored, nothing of the batch in flight")

        let second = try await RunningGate.start(config: config.configPath, directory: config.directory, logLevel: "info", environment: environment)
        do {
            try await FleetSite.eventually("the backlog to be shipped after the restart", timeout: .seconds(60)) { try await cursor() >= backlog }
            try await second.stop()
        } catch {
            second.kill()
            throw error
        }
        let shipped = try await cursor()
        let reopened = try await GateDatabase.open(path: config.databasePath)
        let local = try await reopened.rowsToShip(after: 0, limit: 1_000_000).filter { $0.sequence <= shipped }
        try reopened.close()
        #expect(try await rig.scalar("SELECT COUNT(*) FROM fleet_journal") == Int64(local.count), "every row once")
        #expect(try await rig.scalar("SELECT COUNT(DISTINCT row->>'message') FROM fleet_journal WHERE row->>'message' LIKE 'history %'") == Int64(Self.history))
        await rig.destroy()
    }
}
