import GateCore
@testable import GateHardware
import Testing
import TestSupport

@Suite struct GPIOEmergencyInputTests {
    private static let contact = 5

    /// A normally closed contact to ground with pull-up: closed reads low.
    private func input(_ rig: GPIOTestRig, signal: EmergencySignal, closedAtStart: Bool = true) async throws
        -> GPIOEmergencyInput
    {
        rig.sim.setInput(line: Self.contact, high: !closedAtStart)
        let input = try GPIOEmergencyInput(
            config: GPIOLineConfig(chip: "sim", line: .offset(Self.contact), bias: .pullUp, debounce: .milliseconds(20)),
            signal: signal, opener: rig.opener, clock: rig.elapsed)
        try await input.start()
        return input
    }

    private func awaitStatus(_ signal: EmergencySignal, open: Bool) async throws -> EmergencyStatus {
        let updates = signal.updates()
        return try await withDeadline(.seconds(5), "emergency \(open ? "open" : "closed")") {
            for await status in updates where status.isOpen == open { return status }
            throw StreamEnded(what: "emergency status")
        }
    }

    private func awaitRawEdges(_ input: GPIOEmergencyInput, _ count: Int) async throws {
        let edges = input.rawEdges
        try await withDeadline(.seconds(5), "\(count) raw edges") {
            var seen = 0
            for await _ in edges {
                seen += 1
                if seen == count { return }
            }
        }
    }

    @Test func closedContactAtStartIsNormalOperation() async throws {
        let rig = GPIOTestRig()
        let signal = EmergencySignal()
        let input = try await input(rig, signal: signal)
        #expect(signal.status == EmergencyStatus())
        await input.stop()
    }

    @Test func contactOpenAtStartHoldsTheLanesOpenWithoutCountingAnEdge() async throws {
        let rig = GPIOTestRig()
        let signal = EmergencySignal()
        let input = try await input(rig, signal: signal, closedAtStart: false)
        #expect(signal.status == EmergencyStatus(isOpen: true, openings: 0, closings: 0))
        await input.stop()
    }

    @Test func openingAndClosingAreDebouncedAndCounted() async throws {
        let rig = GPIOTestRig()
        let signal = EmergencySignal()
        let input = try await input(rig, signal: signal)
        rig.sim.setInput(line: Self.contact, high: true)
        try await awaitRawEdges(input, 1)
        rig.clock.advance(by: .milliseconds(20))
        #expect(try await awaitStatus(signal, open: true).openings == 1)
        rig.sim.setInput(line: Self.contact, high: false)
        try await awaitRawEdges(input, 1)
        rig.clock.advance(by: .milliseconds(20))
        #expect(try await awaitStatus(signal, open: false) == EmergencyStatus(isOpen: false, openings: 1, closings: 1))
        #expect(await input.rawEdgeCount == 2)
        await input.stop()
    }

    @Test func aGlitchShorterThanTheWindowChangesNothing() async throws {
        let rig = GPIOTestRig()
        let signal = EmergencySignal()
        let input = try await input(rig, signal: signal)
        rig.sim.setInput(line: Self.contact, high: true)
        rig.clock.advance(by: .milliseconds(5))
        rig.sim.setInput(line: Self.contact, high: false)
        try await awaitRawEdges(input, 2)
        #expect(await rig.clock.waitForSleepers(1))
        rig.clock.advance(by: .milliseconds(40))
        #expect(await input.rawEdgeCount == 2)
        #expect(signal.status == EmergencyStatus())
        await input.stop()
    }

    @Test func emergencyHoldsEveryLaneRelayReleasedAndLetsGoWhenClosed() async throws {
        let rig = GPIOTestRig()
        let signal = EmergencySignal()
        let input = try await input(rig, signal: signal)
        let lanes = try [rig.relay(line: 0), rig.relay(line: 1, activeLow: true)]
        let followers = lanes.map { relay in Task { await relay.follow(signal) } }
        let changes = rig.sim.changeStream()

        rig.sim.setInput(line: Self.contact, high: true)
        try await awaitRawEdges(input, 1)
        rig.clock.advance(by: .milliseconds(20))
        try await rig.awaitLines(changes, [0, 1], active: true, "both lanes held")
        #expect(rig.sim.isActive(line: 0) == true && rig.sim.isActive(line: 1) == true)
        #expect(rig.sim.isPhysicalHigh(line: 1) == false)  // active-low lane: energised = low

        let released = rig.sim.changeStream()
        rig.sim.setInput(line: Self.contact, high: false)
        try await awaitRawEdges(input, 1)
        rig.clock.advance(by: .milliseconds(20))
        try await rig.awaitLines(released, [0, 1], active: false, "both lanes back")
        for follower in followers { follower.cancel() }
        for relay in lanes { await relay.stop() }
        await input.stop()
        #expect(rig.sim.isActive(line: 0) == false && rig.sim.isActive(line: 1) == false)
    }
}
