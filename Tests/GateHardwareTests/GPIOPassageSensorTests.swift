import GateCore
@testable import GateHardware
import Testing
import TestSupport

@Suite struct GPIOPassageSensorTests {
    /// A light barrier on line 4: idles active (beam present), falls when a guest interrupts it.
    private func sensor(_ rig: GPIOTestRig, edge: GPIOEdge = .falling, debounce: Duration = .milliseconds(20))
        async throws -> GPIOPassageSensor
    {
        let sensor = try GPIOPassageSensor(
            config: GPIOLineConfig(chip: "sim", line: .offset(4), edge: edge, bias: .pullUp, debounce: debounce),
            opener: rig.opener, clock: rig.elapsed)
        await sensor.start()
        return sensor
    }

    private func verdicts(_ sensor: GPIOPassageSensor, count: Int) async throws -> [Bool] {
        let stream = sensor.verdicts
        return try await withDeadline(.seconds(5), "\(count) sensor edges") {
            var seen: [Bool] = []
            for await verdict in stream {
                seen.append(verdict.accepted)
                if seen.count == count { break }
            }
            return seen
        }
    }

    @Test func aPassageEdgeEndsTheWaitWithTrue() async throws {
        let rig = GPIOTestRig()
        let sensor = try await sensor(rig)
        await sensor.arm()
        let wait = Task { try await sensor.waitForPassage(timeout: .seconds(10)) }
        #expect(await rig.clock.waitForSleepers(1))
        try rig.sim.simulatePassage(line: .offset(4))
        #expect(try await withDeadline { try await wait.value })
        await sensor.stop()
    }

    @Test func bouncingContactCountsAsOnePassage() async throws {
        let rig = GPIOTestRig()
        let sensor = try await sensor(rig, debounce: .milliseconds(20))
        await sensor.arm()
        // The contact chatters: three falling edges 3 ms apart, with rising bounces between.
        for step in 0..<3 {
            if step > 0 { rig.clock.advance(by: .milliseconds(3)) }
            rig.sim.setInput(line: 4, active: false)
            rig.sim.setInput(line: 4, active: true)
        }
        #expect(try await verdicts(sensor, count: 3) == [true, false, false])
        #expect(await sensor.passageCount == 1)
        #expect(try await sensor.waitForPassage(timeout: .seconds(1)))
        // The passage was consumed: the next wait times out.
        let next = Task { try await sensor.waitForPassage(timeout: .seconds(1)) }
        #expect(await rig.clock.waitForSleepers(1))
        rig.clock.advance(by: .seconds(1))
        #expect(try await withDeadline { try await next.value } == false)
        await sensor.stop()
    }

    @Test func edgeAfterTheDebounceWindowIsASecondPassage() async throws {
        let rig = GPIOTestRig()
        let sensor = try await sensor(rig, debounce: .milliseconds(20))
        rig.sim.setInput(line: 4, active: false)
        rig.sim.setInput(line: 4, active: true)
        rig.clock.advance(by: .milliseconds(20))
        rig.sim.setInput(line: 4, active: false)
        #expect(try await verdicts(sensor, count: 2) == [true, true])
        await sensor.stop()
    }

    @Test func noPassageTimesOutOnTheClock() async throws {
        let rig = GPIOTestRig()
        let sensor = try await sensor(rig)
        await sensor.arm()
        let wait = Task { try await sensor.waitForPassage(timeout: .seconds(10)) }
        #expect(await rig.clock.waitForSleepers(1))
        rig.clock.advance(by: .seconds(10))
        #expect(try await withDeadline { try await wait.value } == false)
        #expect(rig.clock.sleeperCount == 0)
        await sensor.stop()
    }

    @Test func passageJustBeforeTheTimeoutCounts() async throws {
        let rig = GPIOTestRig()
        let sensor = try await sensor(rig)
        await sensor.arm()
        let wait = Task { try await sensor.waitForPassage(timeout: .seconds(10)) }
        #expect(await rig.clock.waitForSleepers(1))
        rig.clock.advance(by: .milliseconds(9_999))
        try rig.sim.simulatePassage(line: .offset(4))
        #expect(try await withDeadline { try await wait.value })
        await sensor.stop()
    }

    @Test func armForgetsAPreviousGuestsPassage() async throws {
        let rig = GPIOTestRig()
        let sensor = try await sensor(rig)
        try rig.sim.simulatePassage(line: .offset(4))
        _ = try await verdicts(sensor, count: 1)
        await sensor.arm()
        let wait = Task { try await sensor.waitForPassage(timeout: .seconds(10)) }
        #expect(await rig.clock.waitForSleepers(1))
        rig.clock.advance(by: .seconds(10))
        #expect(try await withDeadline { try await wait.value } == false)
        await sensor.stop()
    }

    @Test func bothEdgesSensorCountsOnePassageForInterruptAndRestore() async throws {
        let rig = GPIOTestRig()
        let sensor = try await sensor(rig, edge: .both, debounce: .milliseconds(20))
        await sensor.arm()
        try rig.sim.simulatePassage(line: .offset(4))
        #expect(try await verdicts(sensor, count: 2) == [true, false])
        #expect(await sensor.passageCount == 1)
        await sensor.stop()
    }

    @Test func risingEdgeSensorIgnoresFallingEdges() async throws {
        let rig = GPIOTestRig()
        rig.sim.setInput(line: 4, high: false)
        let sensor = try await sensor(rig, edge: .rising)
        rig.sim.setInput(line: 4, high: true)
        rig.clock.advance(by: .milliseconds(50))
        rig.sim.setInput(line: 4, high: false)
        rig.clock.advance(by: .milliseconds(50))
        rig.sim.setInput(line: 4, high: true)
        let stream = sensor.verdicts
        let kinds = try await withDeadline {
            var kinds: [GPIOEdgeKind] = []
            for await verdict in stream {
                kinds.append(verdict.edge.kind)
                if kinds.count == 2 { break }
            }
            return kinds
        }
        #expect(kinds == [.rising, .rising])
        await sensor.stop()
    }

    @Test func stopReleasesTheLineAndEndsAPendingWait() async throws {
        let rig = GPIOTestRig()
        let sensor = try await sensor(rig)
        await sensor.arm()
        let wait = Task { try await sensor.waitForPassage(timeout: .seconds(10)) }
        #expect(await rig.clock.waitForSleepers(1))
        await sensor.stop()
        #expect(rig.sim.consumer(ofLine: 4) == nil)
        #expect(try await withDeadline { try await wait.value } == false)
    }
}
