import EgumaSimulator
import Foundation
import GateCore
import GateDaemon
import Testing
import TestSupport

/// A venue for the fleet tests: one PostgreSQL database, one e-guma simulator over HTTP, and one
/// in-process gate (`GateRuntime`, its own SQLite file) per entry of `extras` — door-1, door-2 …,
/// each on its own machine-id, `extras[i]` added to its `[fleet]` section. Everything is stopped
/// after `body`, also when it throws.
enum FleetSite {
    static func run(ownServer: Bool = false, lane: String, extras: [String],
                    _ body: (FleetRig, SimulatorServer, [GateUnderTest]) async throws -> Void) async throws {
        let rig = try await FleetRig.start(ownServer: ownServer)
        let simulator: SimulatorServer
        do { simulator = try await SimulatorServer.start(.init(vouchers: .demo)) } catch {
            await rig.destroy()
            throw error
        }
        var gates: [GateUnderTest] = []
        var failure: (any Error)?
        do {
            for (i, extra) in extras.enumerated() {
                gates.append(try await GateUnderTest.start(
                    lanes: lane, laneNames: ["main"], outlet: "user_id = 4711", shared: simulator,
                    extra: rig.toml(gateID: "door-\(i + 1)", extra: extra), machineID: "machine-\(i + 1)"))
            }
            try await body(rig, simulator, gates)
        } catch {
            failure = error
        }
        for gate in gates { await gate.stop() }
        await simulator.stop()
        await rig.destroy()
        if let failure { throw failure }
    }

    /// Scans `code` at the gate and returns the first of `types` its lane records.
    static func scan(_ code: String, at gate: GateUnderTest, until types: Set<GateEventType>) async throws -> GateEvent {
        let events = gate.runtime.events.subscribe()
        gate.scanners["main"]?.scan(code)
        return try await next(types, in: events)
    }

    /// The next event of one of `types`, with a deadline.
    static func next(_ types: Set<GateEventType>, in events: AsyncStream<GateEvent>) async throws -> GateEvent {
        try await withDeadline(.seconds(30), "one of \(types.map(\.rawValue).sorted())") {
            for await e in events where types.contains(e.type) { return e }
            throw CancellationError()
        }
    }

    /// Checks `condition` until it holds, within a deadline (PostgreSQL has no event to await).
    static func eventually(_ what: String, timeout: Duration = .seconds(30), _ condition: @escaping @Sendable () async throws -> Bool) async throws {
        try await withDeadline(timeout, what) {
            while !(try await condition()) { try await Task.sleep(for: .milliseconds(50)) }
        }
    }

    /// Waits until PostgreSQL holds everything the gate's journal numbered so far.
    static func shipped(_ gate: GateUnderTest, _ rig: FleetRig, gateID: String) async throws {
        let local = try await gate.runtime.database.changeSequence()
        try await eventually("\(gateID) to ship up to change \(local)") {
            try await rig.scalar("SELECT COALESCE(MAX(change_seq), 0) FROM fleet_cursor WHERE gate_id = '\(gateID)'") >= local
        }
    }
}
