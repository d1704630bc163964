import EgumaSimulator
import Foundation
import GateCore
import GateDaemon
import GateStore
import Testing
import TestSupport

/// e-guma going away is on record (issue 11 item 5): an `offline` event with the reason, in the
/// journal and live, from the running daemon against the simulator over real HTTP.
@Suite("offline and online events", .serialized)
struct ConnectivityEventsTests {
    static let lane = """
        [lanes.main]
        outlet = "demo"
        price = "25.00"
        debounce_ms = 0
        scanner = { kind = "stdin" }
        relay = { chip = "sim", line = 0, pulse_ms = 100 }
        """

    @Test func goingOfflineIsRecordedWithTheReason() async throws {
        let gate = try await GateUnderTest.start(lanes: Self.lane, laneNames: ["main"])
        do {
            let events = gate.runtime.events.subscribe()
            // Two Balance calls that never reach e-guma: the second makes the gate offline.
            await gate.simulator.setFault(.dropBeforeProcessing(count: 2), for: .balance)
            gate.scanners["main"]?.scan(DemoVouchers.plenty)
            gate.scanners["main"]?.scan(DemoVouchers.tooLittle)
            let offline = try await withDeadline(.seconds(20), "an offline event") {
                for await e in events where e.type == .offline { return e }
                throw CancellationError()
            }
            #expect(offline.lane == "gate")
            #expect(offline.message?.isEmpty == false, "the reason is kept")
            let stored = try await gate.runtime.database.latestEvents(.init(types: [.offline]), limit: 5)
            #expect(stored.count == 1, "one event per change, not one per failed call")
            #expect(await gate.runtime.status().online == false)
        } catch {
            await gate.stop()
            throw error
        }
        await gate.stop()
    }
}
