import Foundation
import GateCore
@testable import GateHardware
import Testing
import TestSupport

/// The relay publishes what it does: the lane engine shows "walk through" on its energise.
@Suite struct GPIORelayChangesTests {
    @Test func aPulsePublishesItsEnergiseThenItsRelease() async throws {
        let rig = GPIOTestRig()
        let relay = try rig.relay()
        let changes = relay.changes()
        async let pulse: Void = relay.pulse(for: .milliseconds(800))
        #expect(await rig.clock.waitForSleepers(2))
        #expect(rig.sim.isActive(line: 0) == true)
        rig.clock.advance(by: .milliseconds(800))
        try await pulse
        #expect(try await changes.firstValues(2, "the energise and the release") == [.energised(.pulse), .released])
        #expect(rig.sim.isActive(line: 0) == false)
    }

    @Test func theEmergencyHoldPublishesItsEnergiseAPulseDuringItAndTheRelease() async throws {
        let rig = GPIOTestRig()
        let relay = try rig.relay()
        let changes = relay.changes()
        await relay.setEmergencyHold(true)
        // A scan during the emergency pulses a relay already held released: that pulse is
        // answered "energised" at once (the turnstile is free), and the hold's end releases it.
        try await relay.pulse(for: .milliseconds(800))
        await relay.setEmergencyHold(false)
        #expect(try await changes.firstValues(3, "hold, pulse, release")
                == [.energised(.emergencyHold), .energised(.pulse), .released])
        #expect(rig.sim.isActive(line: 0) == false)
    }

    @Test func aPulseOnAStoppedRelayPublishesItsRefusal() async throws {
        let rig = GPIOTestRig()
        let relay = try rig.relay()
        let changes = relay.changes()
        await relay.stop()
        await #expect(throws: GPIOError.self) { try await relay.pulse(for: .milliseconds(10)) }
        #expect(try await changes.firstValues(1, "the refusal") == [.refused])
    }

    @Test func aPulseThatCannotDriveTheLinePublishesItsRefusal() async throws {
        let relay = GPIORelay(line: DeadOutputLine(), pulse: .milliseconds(800), clock: ElapsedClock(TestClock()))
        let changes = relay.changes()
        await #expect(throws: GPIOError.self) { try await relay.pulse(for: .milliseconds(800)) }
        #expect(try await changes.firstValues(1, "the refusal") == [.refused])
        #expect(await relay.energised == false)
    }
}

/// An output line that can never be driven active (a relay board without power on its I²C expander).
private final class DeadOutputLine: GPIOOutputLine, Sendable {
    let label = "dead line"
    func setActive(_ active: Bool) throws(GPIOError) {
        if active { throw GPIOError(operation: "set", subject: label, cause: .system(errno: EIO)) }
    }
    func release() {}
}
