import EgumaSimulator
import Foundation
import GateCore
import GateDaemon
import GateStore
import Testing
import TestSupport

/// Journal shipping with three controllers (three runtimes, each its own SQLite journal on disk)
/// against one e-guma simulator over HTTP and one real PostgreSQL server.
@Suite("Fleet journal shipping", .serialized, .enabled(if: PostgresServer.shouldRun))
struct FleetShippingTests {
    static let doors = ["", "", ""]

    /// Scans at the gate and waits until the guest entered.
    static func admit(_ code: String, at gate: GateUnderTest) async throws {
        let e = try await FleetSite.scan(code, at: gate, until: [.entered, .denied])
        try #require(e.type == .entered, "\(e)")
    }

    /// Every journal table holds in PostgreSQL exactly the gate's rows.
    static func expectCopies(_ gate: GateUnderTest, _ rig: FleetRig, gateID: String) async throws {
        try await FleetSite.shipped(gate, rig, gateID: gateID)
        let local = try await gate.runtime.database.rowsToShip(after: 0, limit: 100_000)
        for table in ["admission", "redemption", "event"] {
            let copies = try await rig.scalar("SELECT COUNT(*) FROM fleet_journal WHERE gate_id = '\(gateID)' AND tbl = '\(table)'")
            #expect(copies == Int64(local.filter { $0.table == table }.count), "\(gateID) \(table)")
        }
    }

    @Test func threeControllersShipEveryRowOnceWithCodesHashedNeverInFull() async throws {
        try await FleetSite.run(lane: ConnectivityEventsTests.lane, extras: Self.doors) { rig, _, gates in
            for gate in gates { try await Self.admit(DemoVouchers.plenty, at: gate) }
            for (i, gate) in gates.enumerated() { try await Self.expectCopies(gate, rig, gateID: "door-\(i + 1)") }
            let full = DemoVouchers.plenty.replacingOccurrences(of: "-", with: "")
            #expect(try await rig.scalar("SELECT COUNT(*) FROM fleet_journal WHERE row::text LIKE '%\(full)%' OR row::text LIKE '%\(DemoVouchers.plenty)%'") == 0,
                    "a full code never leaves a controller")
            #expect(try await rig.scalar("SELECT COUNT(DISTINCT row->>'code_hash') FROM fleet_journal WHERE tbl = 'redemption'") == 1,
                    "one code, one hash at every gate of the site")
            #expect(try await rig.scalar("SELECT COUNT(*) FROM fleet_journal WHERE tbl = 'redemption' AND user_id = '4711'") == 3)
            try await FleetSite.eventually("a heartbeat from every gate") {
                try await rig.scalar("SELECT COUNT(*) FROM fleet_heartbeat WHERE lanes ? 'main'") == 3
            }
            #expect(try await rig.scalar("SELECT COUNT(*) FROM fleet_gate WHERE machine_id LIKE 'machine-%'") == 3)

            // report --fleet: the day per gate and in total, from PostgreSQL.
            let now = Date()
            let format = ISO8601DateFormatter()
            let report = try await GateBinary.run(["report", "--fleet", "--json", "--config", gates[0].directory + "/eguma-gate.toml",
                                                   "--from", format.string(from: now.addingTimeInterval(-3_600)),
                                                   "--to", format.string(from: now.addingTimeInterval(3_600))])
            #expect(report.status == 0, "\(report)")
            let doc = try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any]
            let lanes = doc?["lanes"] as? [String: [String: Any]] ?? [:]
            #expect(lanes.keys.sorted() == ["door-1/main", "door-2/main", "door-3/main"], "\(report.stdout)")
            #expect(lanes.values.allSatisfy { $0["entries"] as? Int == 1 }, "\(report.stdout)")
            #expect((doc?["total"] as? [String: Any])?["entries"] as? Int == 3)
            #expect((doc?["total"] as? [String: Any])?["revenue_cents"] as? Int == 7_500, "\(report.stdout)")
        }
    }

    @Test func postgresStoppedAndRestartedMidDayLosesAndDoublesNothing() async throws {
        try await FleetSite.run(ownServer: true, lane: ConnectivityEventsTests.lane, extras: Self.doors) { rig, _, gates in
            let codes = [DemoVouchers.plenty, DemoVouchers.plenty, DemoVouchers.shortCodeTarget]
            for (gate, code) in zip(gates, codes) { try await Self.admit(code, at: gate) }
            for (i, gate) in gates.enumerated() { try await FleetSite.shipped(gate, rig, gateID: "door-\(i + 1)") }

            let streams = gates.map { $0.runtime.events.subscribe() }
            try await rig.server.stop()
            // The gates admit as without a fleet, and mark the episode once.
            for (gate, code) in zip(gates, codes) { try await Self.admit(code, at: gate) }
            for stream in streams { _ = try await FleetSite.next([.fleetUnreachable], in: stream) }
            try await rig.server.resume()
            for stream in streams { _ = try await FleetSite.next([.fleetReachable], in: stream) }
            for (i, gate) in gates.enumerated() {
                try await Self.expectCopies(gate, rig, gateID: "door-\(i + 1)")
                #expect(try await rig.scalar("SELECT COUNT(*) FROM fleet_journal WHERE gate_id = 'door-\(i + 1)' AND tbl = 'admission'") == 2)
                let episodes = try await gate.runtime.database.latestEvents(.init(types: [.fleetUnreachable, .fleetReachable]), limit: 10)
                #expect(episodes.count == 2, "one fleet_unreachable and one fleet_reachable: \(episodes.map(\.event.type))")
            }
        }
    }

    @Test func aReplacedJournalUnderAnOldGateIDIsSaidNotSilentlyLeftUnshipped() async throws {
        try await FleetSite.run(lane: ConnectivityEventsTests.lane, extras: [""]) { rig, simulator, gates in
            try await Self.admit(DemoVouchers.plenty, at: gates[0])
            try await FleetSite.shipped(gates[0], rig, gateID: "door-1")
            await gates[0].stop()
            // The same controller (gate_id, machine) back with an empty journal.
            let fresh = try await GateUnderTest.start(lanes: ConnectivityEventsTests.lane, laneNames: ["main"], outlet: "user_id = 4711",
                                                      shared: simulator, extra: rig.toml(gateID: "door-1"), machineID: "machine-1")
            do {
                // From the journal: the event may come before a live subscription could.
                try await FleetSite.eventually("the fleet problem on record") {
                    try await !fresh.runtime.database.latestEvents(.init(types: [.fleetUnreachable]), limit: 1).isEmpty
                }
                let said = try await fresh.runtime.database.latestEvents(.init(types: [.fleetUnreachable]), limit: 1).first?.event
                #expect(said?.message?.contains("the journal was replaced or restored") == true, "\(String(describing: said))")
                try await Self.admit(DemoVouchers.plenty, at: fresh)  // the gate admits all the same
            } catch {
                await fresh.stop()
                throw error
            }
            await fresh.stop()
        }
    }
}
