import Foundation
import GateCore
@testable import GateHardware
import Testing
import TestSupport

@Suite struct GPIORelayTests {
    @Test func lineIsRequestedInactiveAndNeverEnergisedAtStart() throws {
        let rig = GPIOTestRig()
        _ = try rig.relay(line: 3)
        let changes = rig.sim.changes(ofLine: 3)
        #expect(changes.map(\.kind) == [.requestedOutput])
        #expect(changes.allSatisfy { !$0.active })
        #expect(rig.sim.consumer(ofLine: 3) == "eguma-gate")
    }

    @Test func pulseEnergisesForExactlyTheRequestedWidth() async throws {
        let rig = GPIOTestRig()
        let relay = try rig.relay()
        let pulse = Task { try await relay.pulse(for: .milliseconds(800)) }
        #expect(await rig.clock.waitForSleepers(2))  // the pulse and its guard
        #expect(rig.sim.isActive(line: 0) == true)
        rig.clock.advance(by: .milliseconds(799))
        #expect(rig.sim.isActive(line: 0) == true)
        rig.clock.advance(by: .milliseconds(1))
        try await withDeadline { try await pulse.value }
        let driven = rig.sim.changes(ofLine: 0).filter { $0.kind == .driven }
        #expect(driven.map(\.active) == [true, false])
        #expect(driven.map(\.timestamp) == [.zero, .milliseconds(800)])
    }

    @Test func activeLowRelayIsHighAtRestAndLowWhileEnergised() async throws {
        let rig = GPIOTestRig()
        let relay = try rig.relay(activeLow: true)
        #expect(rig.sim.isPhysicalHigh(line: 0) == true)
        let pulse = Task { try await relay.pulse(for: .milliseconds(500)) }
        #expect(await rig.clock.waitForSleepers(2))
        #expect(rig.sim.isPhysicalHigh(line: 0) == false)
        rig.clock.advance(by: .milliseconds(500))
        try await withDeadline { try await pulse.value }
        #expect(rig.sim.isPhysicalHigh(line: 0) == true)
        #expect(rig.sim.changes(ofLine: 0).map(\.physicalHigh) == [true, false, true])
    }

    @Test func lineIsFoundByName() async throws {
        let rig = GPIOTestRig()
        let relay = try GPIORelay(
            config: GPIOLineConfig(chip: "sim", line: .name("RELAY")), pulse: .milliseconds(100),
            opener: rig.opener, clock: rig.elapsed)
        #expect(relay.label == "sim line \"RELAY\"")
        #expect(rig.sim.consumer(ofLine: 7) == "eguma-gate")
    }

    @Test func pulseInterruptedByShutdownLeavesTheRelayInactive() async throws {
        let rig = GPIOTestRig()
        let relay = try rig.relay()
        let pulse = Task { try await relay.pulse(for: .milliseconds(800)) }
        #expect(await rig.clock.waitForSleepers(2))
        #expect(rig.sim.isActive(line: 0) == true)
        rig.clock.advance(by: .milliseconds(300))
        pulse.cancel()
        let result = await pulse.result
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(rig.sim.isActive(line: 0) == false)
        await relay.stop()
        let last = try #require(rig.sim.changes(ofLine: 0).last)
        #expect(last.kind == .released && !last.active)
        #expect(rig.sim.changes(ofLine: 0).filter(\.active).map(\.timestamp) == [.zero])
    }

    @Test func stopDuringAPulseDrivesInactiveBeforeRelease() async throws {
        let rig = GPIOTestRig()
        let relay = try rig.relay()
        let pulse = Task { try await relay.pulse(for: .milliseconds(800)) }
        #expect(await rig.clock.waitForSleepers(2))
        await relay.stop()
        #expect(rig.sim.changes(ofLine: 0).suffix(2).map(\.kind) == [.driven, .released])
        #expect(rig.sim.changes(ofLine: 0).suffix(2).allSatisfy { !$0.active })
        #expect(rig.sim.consumer(ofLine: 0) == nil)
        // The pulse's end must not touch the released line (another program may own it now).
        rig.clock.advance(by: .milliseconds(800))
        try await withDeadline { try await pulse.value }
        #expect(rig.sim.changes(ofLine: 0).last?.kind == .released)
    }

    @Test func stopWhileIdleLeavesTheLineInactiveAndFree() async throws {
        let rig = GPIOTestRig()
        let relay = try rig.relay()
        await relay.stop()
        #expect(rig.sim.changes(ofLine: 0).map(\.kind) == [.requestedOutput, .released])
        #expect(rig.sim.changes(ofLine: 0).allSatisfy { !$0.active })
        await #expect(throws: GPIOError.self) { try await relay.pulse(for: .milliseconds(10)) }
    }

    @Test func guardForcesOffARelayLeftActiveLongerThanItsPulse() async throws {
        let rig = GPIOTestRig()
        let relay = try rig.relay(pulse: .milliseconds(800))
        let changes = rig.sim.changeStream()
        // A bug asks for a 60 s pulse; the guard allows 800 ms + 200 ms grace.
        let pulse = Task { try await relay.pulse(for: .seconds(60)) }
        #expect(await rig.clock.waitForSleepers(2))
        rig.clock.advance(by: .milliseconds(999))
        #expect(rig.sim.isActive(line: 0) == true)
        rig.clock.advance(by: .milliseconds(1))
        let off = try await rig.awaitChange(changes, "relay forced off") { $0.kind == .driven && !$0.active }
        #expect(off.timestamp == .milliseconds(1000))
        #expect(await relay.guardTrips == 1)
        rig.clock.advance(by: .seconds(60))
        try await withDeadline { try await pulse.value }
        #expect(rig.sim.changes(ofLine: 0).filter { $0.kind == .driven }.count == 2)
    }

    @Test func reloadedLongerPulseIsNotCutByTheGuard() async throws {
        let rig = GPIOTestRig()
        let relay = try rig.relay(pulse: .milliseconds(800))
        await relay.update(pulse: .milliseconds(2000))  // pulse_ms 800 → 2000 on reload
        let changes = rig.sim.changeStream()
        let pulse = Task { try await relay.pulse(for: .milliseconds(2000)) }
        #expect(await rig.clock.waitForSleepers(2))
        rig.clock.advance(by: .milliseconds(1999))  // the old guard would have cut it at 1000 ms
        #expect(rig.sim.isActive(line: 0) == true)
        rig.clock.advance(by: .milliseconds(1))
        let off = try await rig.awaitChange(changes, "relay off at the pulse's end") { $0.kind == .driven && !$0.active }
        #expect(off.timestamp == .milliseconds(2000))
        try await withDeadline { try await pulse.value }
        #expect(await relay.guardTrips == 0)
    }

    @Test func ordinaryPulseDoesNotTripTheGuard() async throws {
        let rig = GPIOTestRig()
        let relay = try rig.relay(pulse: .milliseconds(800))
        let pulse = Task { try await relay.pulse(for: .milliseconds(800)) }
        #expect(await rig.clock.waitForSleepers(2))
        rig.clock.advance(by: .milliseconds(800))
        try await withDeadline { try await pulse.value }
        rig.clock.advance(by: .seconds(5))
        #expect(await relay.guardTrips == 0)
        #expect(rig.clock.sleeperCount == 0)  // the guard was cancelled with the pulse's end
    }

    @Test func emergencyHoldKeepsTheRelayActiveUntilTheContactCloses() async throws {
        let rig = GPIOTestRig()
        let relay = try rig.relay()
        let emergency = EmergencySignal()
        let changes = rig.sim.changeStream()
        let follower = Task { await relay.follow(emergency) }
        emergency.record(contactOpen: true)
        _ = try await rig.awaitChange(changes, "relay held") { $0.kind == .driven && $0.active }
        // Scans during the emergency may still pulse: the relay simply stays held.
        try await relay.pulse(for: .milliseconds(800))
        #expect(rig.sim.isActive(line: 0) == true)
        rig.clock.advance(by: .seconds(30))
        #expect(rig.sim.isActive(line: 0) == true)
        #expect(await relay.guardTrips == 0)
        emergency.record(contactOpen: false)
        _ = try await rig.awaitChange(changes, "relay released") { $0.kind == .driven && !$0.active }
        follower.cancel()
        await follower.value
        await relay.stop()
        #expect(rig.sim.isActive(line: 0) == false)
    }
}

/// An output line whose first attempt to drive inactive after energising fails (EIO), as a
/// flaky GPIO expander on I²C might.
private final class FlakyOutputLine: GPIOOutputLine, @unchecked Sendable {
    let label = "flaky line"
    private let lock = NSLock()
    private var failNextOff = false
    private var _values: [Bool] = []

    var values: [Bool] { lock.withLock { _values } }

    func setActive(_ active: Bool) throws(GPIOError) {
        let fail: Bool = lock.withLock {
            if active { failNextOff = true; _values.append(true); return false }
            if failNextOff { failNextOff = false; return true }
            _values.append(false)
            return false
        }
        if fail { throw GPIOError(operation: "set", subject: label, cause: .system(errno: EIO)) }
    }

    func release() {}
}

@Suite struct GPIORelayWriteFailureTests {
    @Test func aFailedOffWriteIsRetriedByTheGuard() async throws {
        let clock = TestClock()
        let line = FlakyOutputLine()
        let relay = GPIORelay(line: line, pulse: .milliseconds(800), clock: ElapsedClock(clock))
        let pulse = Task { try await relay.pulse(for: .milliseconds(800)) }
        #expect(await clock.waitForSleepers(2))
        clock.advance(by: .milliseconds(800))
        await #expect(throws: GPIOError.self) { try await pulse.value }
        #expect(line.values == [true])  // still energised: the off-write failed
        #expect(await clock.waitForSleepers(1))  // the guard is still armed
        clock.advance(by: .milliseconds(200))
        try await withDeadline {
            while await relay.energised { await Task.yield() }
        }
        #expect(line.values == [true, false])
        #expect(await relay.guardTrips == 1)
    }
}
