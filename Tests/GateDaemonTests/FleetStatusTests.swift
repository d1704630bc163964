import Foundation
import GateCore
import GateFleet
import Testing
import TestSupport

/// `fleet status`: every gate of the site from PostgreSQL, a gate that stopped sending heartbeats
/// shown as stale (not dropped), a registered gate that never sent one too.
@Suite("Fleet status", .serialized, .enabled(if: PostgresServer.shouldRun))
struct FleetStatusTests {
    @Test func aGateThatStoppedSendingHeartbeatsIsShownStale() async throws {
        try await FleetSite.run(lane: ConnectivityEventsTests.lane, extras: ["", ""]) { rig, _, gates in
            try await FleetSite.eventually("a heartbeat from both gates") {
                try await rig.scalar("SELECT COUNT(*) FROM fleet_heartbeat") == 2
            }
            await gates[1].stop()
            // Door 2 went quiet ten minutes ago; door 9 registered and never came up.
            try await rig.execute("UPDATE fleet_heartbeat SET sent_at = now() - interval '10 minutes' WHERE gate_id = 'door-2'")
            try await rig.execute("INSERT INTO fleet_gate (site, gate_id, machine_id) VALUES ('\(rig.site)', 'door-9', 'machine-9')")

            let status = try await FleetStatus.read(rig.settings(gateID: "door-1"), logger: rig.logger)
            #expect(status.gates.map(\.gateID) == ["door-1", "door-2", "door-9"])
            let (one, two, nine) = (status.gates[0], status.gates[1], status.gates[2])
            #expect(!one.stale && one.lanes["main"] != nil && one.version == GateVersion.current && one.outboxDepth == 0)
            #expect(two.stale && (two.ageSeconds ?? 0) >= 600, "\(two)")
            #expect(nine.stale && nine.lastHeartbeat == nil)
            #expect(status.text.contains("door-2 STALE: heartbeat") && status.text.contains("door-9 STALE: no heartbeat yet"), "\(status.text)")

            // The command, as operations run it.
            let config = try GateTestConfig(baseURL: "http://127.0.0.1:9")
            defer { config.remove() }
            let outlet = "api_key_file = \"\(config.keyPath)\""
            try config.write(config.text.replacingOccurrences(of: outlet, with: outlet + "\nuser_id = 4711") + "\n" + rig.toml(gateID: "door-1"))
            let shown = try await GateBinary.run(["fleet", "status", "--json", "--config", config.configPath])
            #expect(shown.status == 0, "\(shown)")
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            let parsed = try decoder.decode(FleetStatus.self, from: Data(shown.stdout.utf8))
            #expect(parsed.gates.filter(\.stale).map(\.gateID) == ["door-2", "door-9"])
        }
    }
}
