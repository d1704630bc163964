import EgumaAPI
import EgumaSimulator
import Foundation
import GateCore
@testable import GateDaemon
import GateFleet
import Logging
import Testing
import TestSupport

/// Three controllers on one outlet key (one e-guma user): each lists the others' redemptions in
/// e-guma's list. With the fleet, reconcile matches them from the other journals and is clean
/// (exit 0); a gate that has not shipped makes it "no verdict", never a mismatch.
@Suite("Fleet reconcile", .serialized, .enabled(if: PostgresServer.shouldRun))
struct FleetReconcileTests {
    @Test func aSharedKeyReconcilesCleanWithTheOtherGatesJournalsAndNoVerdictWhileOneLags() async throws {
        try await FleetSite.run(lane: ConnectivityEventsTests.lane, extras: ["", "", ""]) { rig, simulator, gates in
            let codes = [DemoVouchers.plenty, DemoVouchers.plenty, DemoVouchers.shortCodeTarget]
            for (gate, code) in zip(gates, codes) { try await FleetShippingTests.admit(code, at: gate) }
            let after = Date()
            try await FleetSite.eventually("every gate to ship past the admissions") {
                try await rig.scalar("SELECT COUNT(*) FROM fleet_cursor WHERE caught_up_at > '\(ISO8601DateFormatter().string(from: after))'") == 3
            }
            let window = DateInterval(start: after.addingTimeInterval(-3_600), end: after.addingTimeInterval(3_600))
            let outlet = Reconciler.Outlet(name: "demo", key: APIKey(SimulatedOutlet.demo.key), userID: EgumaID(4711))
            let client = try EgumaClient(configuration: EgumaClientConfiguration(baseURL: simulator.baseURL))
            defer { Task { try? await client.shutdown() } }
            let database = gates[0].runtime.database
            // The binary gets the same window (its default, yesterday in Zurich, held none of
            // these admissions after 23:00 UTC — and then "matched: 0" passed for clean).
            let local = EgumaLocalTime()
            let span = ["--from", local.format(window.start), "--to", local.format(window.end)]

            // Alone, door 1 sees the other doors' redemptions as money it does not know of.
            let alone = try await Reconciler(database: database, client: client).reconcile(outlet, window: window)
            #expect(!alone.result.isClean)

            let fleet = try FleetReconcileSource(settings: rig.settings(gateID: "door-1"), logger: rig.logger)
            let shared = try await Reconciler(database: database, client: client, fleet: fleet).reconcile(outlet, window: window)
            #expect(shared.result.isClean, "\(shared.result.discrepancies)")
            #expect(shared.result.matched.map(\.code).sorted() == codes.map { $0.replacingOccurrences(of: "-", with: "") }.uniqued().sorted(),
                    "e-guma's codes shown as the gate knows them")
            #expect(shared.result.matched.flatMap(\.journal).map(\.lane).sorted() == ["door-2/main", "door-3/main", "main"])

            let command = try await GateBinary.run(["reconcile", "--config", gates[0].directory + "/eguma-gate.toml"] + span)
            #expect(command.status == 0 && command.stdout.contains("everything matches"), "\(command)")
            #expect(command.stdout.contains("matched: 2 voucher(s)"), "the three doors' redemptions, two vouchers: \(command)")
            let site = try await GateBinary.run(["reconcile", "--fleet", "--config", gates[0].directory + "/eguma-gate.toml"] + span)
            #expect(site.status == 0 && site.stdout.contains("everything matches"), "\(site)")

            // Door 3 stops and its last shipment is an hour old: no verdict, naming it.
            await gates[2].stop()
            try await rig.execute("UPDATE fleet_cursor SET caught_up_at = now() - interval '2 hours' WHERE gate_id = 'door-3'")
            await #expect { _ = try await Reconciler(database: database, client: client, fleet: fleet).reconcile(outlet, window: window) }
                throws: { ($0 as? ReconcileNoVerdict)?.description.contains("door-3") == true }
            let undecided = try await GateBinary.run(["reconcile", "--config", gates[0].directory + "/eguma-gate.toml"] + span)
            #expect(undecided.status == 3 && undecided.stderr.contains("door-3"), "\(undecided)")
        }
    }
}

extension FleetReconcileTests {
    @Test func inTheDaemonOneGatePerUserReconcilesSoAMismatchIsOneAlarm() async throws {
        try await FleetSite.run(lane: ConnectivityEventsTests.lane, extras: ["", ""]) { rig, _, gates in
            for gate in gates { try await FleetShippingTests.admit(DemoVouchers.plenty, at: gate) }
            let after = Date()
            try await FleetSite.eventually("both gates to ship past the admissions") {
                try await rig.scalar("SELECT COUNT(*) FROM fleet_cursor WHERE caught_up_at > '\(ISO8601DateFormatter().string(from: after))'") == 2
            }
            let window = DateInterval(start: after.addingTimeInterval(-3_600), end: after.addingTimeInterval(3_600))
            let first = await gates[0].runtime.reconcile.runOnce(window: window)
            #expect(first.count == 1 && first.first?.result.isClean == true)
            let second = await gates[1].runtime.reconcile.runOnce(window: window)
            #expect(second.isEmpty, "door 2 leaves e-guma user 4711 to door 1")
            #expect(try await rig.scalar("SELECT COUNT(*) FROM fleet_lease WHERE gate_id = 'door-1' AND name = 'reconcile:4711'") == 1)
            let verdicts = try await gates[1].runtime.database.latestEvents(.init(types: [.reconciled, .reconcileMismatch]), limit: 5)
            #expect(verdicts.isEmpty)
            #expect(try await gates[0].runtime.reconcile.runOnce(window: window).count == 1, "the holder renews its lease")
        }
    }
}

extension Array where Element: Hashable {
    fileprivate func uniqued() -> [Element] { Array(Set(self)) }
}
