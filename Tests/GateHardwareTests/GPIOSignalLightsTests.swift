import GateCore
@testable import GateHardware
import Testing
import TestSupport

@Suite struct GPIOSignalLightsTests {
    private static let green = 10, red = 11, buzzer = 12

    private func lights(_ rig: GPIOTestRig, buzzer: Bool = true) throws -> GPIOSignalLights {
        try GPIOSignalLights(
            green: GPIOLineConfig(chip: "sim", line: .offset(Self.green)),
            red: GPIOLineConfig(chip: "sim", line: .offset(Self.red)),
            buzzer: buzzer ? GPIOLineConfig(chip: "sim", line: .offset(Self.buzzer)) : nil,
            opener: rig.opener, clock: rig.elapsed)
    }

    private func outputs(_ rig: GPIOTestRig) -> [Bool?] {
        [Self.green, Self.red, Self.buzzer].map { rig.sim.isActive(line: $0) }
    }

    @Test func acceptedLightsGreenAndBeepsOnce() async throws {
        let rig = GPIOTestRig()
        let lights = try lights(rig)
        let changes = rig.sim.changeStream()
        await lights.signal(.accepted)
        #expect(outputs(rig) == [true, false, true])
        #expect(await rig.clock.waitForSleepers(1))
        rig.clock.advance(by: .milliseconds(120))
        let beepEnd = try await rig.awaitChange(changes, "beep ends") { $0.offset == Self.buzzer && !$0.active }
        #expect(beepEnd.timestamp == .milliseconds(120))
        #expect(outputs(rig) == [true, false, false])
        await lights.stop()
    }

    @Test func deniedShowsRedWithTwoBeepsThenGoesDark() async throws {
        let rig = GPIOTestRig()
        let lights = try lights(rig)
        let changes = rig.sim.changeStream()
        await lights.signal(.denied)
        for duration in [120, 120, 120, 1_260] {
            #expect(await rig.clock.waitForSleepers(1))
            rig.clock.advance(by: .milliseconds(duration))
        }
        _ = try await rig.awaitChange(changes, "red off") { $0.offset == Self.red && !$0.active }
        let buzzerOn = rig.sim.changes(ofLine: Self.buzzer).filter { $0.kind == .driven && $0.active }
        #expect(buzzerOn.map(\.timestamp) == [.zero, .milliseconds(240)])
        #expect(outputs(rig) == [false, false, false])
        await lights.stop()
    }

    @Test func aNewPatternReplacesTheBlinkingOne() async throws {
        let rig = GPIOTestRig()
        let lights = try lights(rig)
        await lights.signal(.outOfOrder)
        #expect(outputs(rig) == [false, true, false])
        #expect(await rig.clock.waitForSleepers(1))
        await lights.signal(.emergency)
        #expect(outputs(rig) == [true, false, false])
        rig.clock.advance(by: .seconds(5))
        #expect(outputs(rig) == [true, false, false])
        #expect(await lights.current == .emergency)
        await lights.stop()
    }

    @Test func lightsWithoutABuzzerStillShowPatterns() async throws {
        let rig = GPIOTestRig()
        let lights = try lights(rig, buzzer: false)
        await lights.signal(.accepted)
        #expect(outputs(rig) == [true, false, nil])
        await lights.stop()
    }

    @Test func stopTurnsEverythingOffAndReleases() async throws {
        let rig = GPIOTestRig()
        let lights = try lights(rig)
        await lights.signal(.awaitingMore)
        await lights.stop()
        #expect(outputs(rig) == [false, false, false])
        #expect([Self.green, Self.red, Self.buzzer].allSatisfy { rig.sim.consumer(ofLine: $0) == nil })
    }
}
