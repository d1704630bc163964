import EgumaSimulator
import Foundation
import GateCore
import GateDaemon
import Testing
import TestSupport

/// Shared offline claims with three controllers, one simulator (e-guma made unreachable) and a
/// real PostgreSQL: a voucher is admitted offline at one door only; with PostgreSQL away too,
/// `offline_without_fleet` decides, and an unknown claim is settled when PostgreSQL is back.
@Suite("Fleet offline claims", .serialized, .enabled(if: PostgresServer.shouldRun))
struct FleetClaimsTests {
    static let lane = ConnectivityEventsTests.lane + "\noffline = \"admit\""
    /// CI machines are slow and busy: the test gives a claim more time than a venue's 300 ms.
    static let patience = "claim_timeout_ms = 3000"

    @Test func theSameVoucherOfflineAtTwoDoorsIsAdmittedOnce() async throws {
        try await FleetSite.run(lane: Self.lane, extras: [Self.patience, Self.patience, Self.patience]) { rig, simulator, gates in
            await simulator.setFault(.dropBeforeProcessing(), for: nil)  // e-guma unreachable
            let first = try await FleetSite.scan(DemoVouchers.plenty, at: gates[0], until: [.offlineAdmitted, .denied])
            #expect(first.type == .offlineAdmitted && first.message == nil, "\(first)")
            for gate in gates.dropFirst() {
                let denied = try await FleetSite.scan(DemoVouchers.plenty, at: gate, until: [.denied, .offlineAdmitted])
                #expect(denied.type == .denied && denied.message == "already admitted offline", "the guest's text of a local double use: \(denied)")
                let refused = try await gate.runtime.database.latestEvents(.init(types: [.offlineClaimDenied]), limit: 1)
                #expect(refused.first?.event.message == "admitted offline at gate door-1" && refused.first?.event.admission == denied.admission)
            }
            let other = try await FleetSite.scan(DemoVouchers.shortCodeTarget, at: gates[2], until: [.offlineAdmitted, .denied])
            #expect(other.type == .offlineAdmitted, "another voucher is not held by the first one's claim")
            #expect(try await rig.scalar("SELECT COUNT(*) FROM fleet_claim") == 2)
            #expect(try await rig.scalar("SELECT COUNT(*) FROM fleet_claim WHERE gate_id = 'door-1' AND code_masked = '••••-••••-9HTD'") == 1)
            await simulator.setFault(nil, for: nil)
        }
    }

    @Test func withoutPostgresLocalAdmitsFlaggedDenyRefusesAndTheUnknownClaimIsSettledLater() async throws {
        let deny = Self.patience + "\noffline_without_fleet = \"deny\""
        try await FleetSite.run(ownServer: true, lane: Self.lane, extras: [Self.patience, deny]) { rig, simulator, gates in
            await simulator.setFault(.dropBeforeProcessing(), for: nil)
            let episode = gates[0].runtime.events.subscribe()
            try await rig.server.stop()
            let local = try await FleetSite.scan(DemoVouchers.plenty, at: gates[0], until: [.offlineAdmitted, .denied])
            #expect(local.type == .offlineAdmitted && local.message?.contains("unclaimed") == true, "\(local)")
            let refusedOffline = try await FleetSite.scan(DemoVouchers.shortCodeTarget, at: gates[1], until: [.offlineAdmitted, .denied])
            #expect(refusedOffline.type == .denied && refusedOffline.message?.contains("offline_without_fleet = deny") == true, "\(refusedOffline)")

            _ = try await FleetSite.next([.fleetUnreachable], in: episode)  // the outage is on record first
            try await rig.server.resume()
            _ = try await FleetSite.next([.fleetReachable], in: episode)
            // The admission went in: its claim is stored after all; door 2 cannot admit the code.
            try await FleetSite.eventually("the unknown claim to be settled") {
                try await rig.scalar("SELECT COUNT(*) FROM fleet_claim WHERE gate_id = 'door-1'") == 1
            }
            #expect(try await rig.scalar("SELECT COUNT(*) FROM fleet_claim") == 1, "the denied admission's claim is not kept")
            let refused = try await FleetSite.scan(DemoVouchers.plenty, at: gates[1], until: [.offlineClaimDenied, .offlineAdmitted, .denied])
            #expect(refused.type == .offlineClaimDenied, "\(refused)")
            await simulator.setFault(nil, for: nil)
        }
    }
}
