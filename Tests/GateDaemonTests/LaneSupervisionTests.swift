import EgumaSimulator
import Foundation
import GateCore
@testable import GateDaemon
import Testing
import TestSupport

/// The whole daemon in-process: one lane's scanner source ends (the failure stdin at EOF used
/// to turn into the end of the service group); that lane reports its scanner missing and keeps
/// serving `open`, the other lane keeps admitting guests, the daemon keeps running.
@Suite struct LaneSupervisionTests {
    static let lanes = """
        [lanes.main]
        outlet = "demo"
        price = "25.00"
        debounce_ms = 0
        passage_timeout_ms = 500
        scanner = { kind = "stdin" }
        relay = { chip = "sim", line = 0, pulse_ms = 100 }
        sensor = { chip = "sim", line = 1, edge = "falling", bias = "pull-up" }

        [lanes.side]
        outlet = "demo"
        price = "25.00"
        debounce_ms = 0
        passage_timeout_ms = 500
        scanner = { kind = "stdin" }
        relay = { chip = "sim", line = 4, pulse_ms = 100 }
        sensor = { chip = "sim", line = 5, edge = "falling", bias = "pull-up" }
        """

    /// The next journal event of `type` on `lane`, with a deadline.
    private func next(_ type: GateEventType, lane: String, in events: AsyncStream<GateEvent>) async throws -> GateEvent {
        try await withDeadline(.seconds(20), "\(type.rawValue) on lane \(lane)") {
            for await event in events where event.type == type && event.lane == lane { return event }
            throw CancellationError()
        }
    }

    @Test func aLaneWhoseSourceEndsIsScannerMissingAndNothingElseStops() async throws {
        let gate = try await GateUnderTest.start(lanes: Self.lanes, laneNames: ["main", "side"])
        do {
            let events = gate.runtime.events.subscribe()
            gate.scanners["main"]?.end()
            let detached = try await next(.scannerDetached, lane: "main", in: events)
            #expect(detached.message?.contains("input ended") == true, "\(detached)")
            #expect(gate.runtime.lane("main")?.scannerPresent == false)

            // The lane still serves staff: a manual open pulses its relay.
            gate.runtime.lane("main")?.manualOpen(by: "test")
            _ = try await next(.manualOpen, lane: "main", in: events)

            // The other lane admits a guest (no passage: cancelled) as before.
            gate.scanners["side"]?.scan(DemoVouchers.plenty)
            _ = try await next(.opened, lane: "side", in: events)
            _ = try await next(.cancelled, lane: "side", in: events)

            let status = await gate.runtime.status()
            #expect(status.lanes.map(\.name) == ["main", "side"])
            #expect(status.lanes.first { $0.name == "side" }?.scannerPresent == true)
            #expect(gate.runtime.metrics.render().contains("restarts_total") == false, "no lane needed a restart")
        } catch {
            await gate.stop()
            throw error
        }
        await gate.stop()
    }
}
