import GateCore
import TestSupport

/// Records relay pulses; can be told to fail.
actor FakeRelay: Relay {
    struct Broken: Error {}
    private(set) var pulses: [Duration] = []
    var broken = false
    func setBroken(_ b: Bool) { broken = b }
    func pulse(for duration: Duration) async throws {
        if broken { throw Broken() }
        pulses.append(duration)
    }
    func forceInactive() async {}
}

/// A passage sensor scripted per admission: `true` passes at once; `false` times out on the test clock.
actor FakeSensor: PassageSensor {
    private var script: [Bool]
    private let clock: TestClock
    private(set) var armed = 0
    init(clock: TestClock, script: [Bool] = []) { self.clock = clock; self.script = script }
    func push(_ passes: Bool) { script.append(passes) }
    func arm() async { armed += 1 }
    func waitForPassage(timeout: Duration) async throws -> Bool {
        let passes = script.isEmpty ? true : script.removeFirst()
        if passes { return true }
        try await clock.sleep(for: timeout)
        return false
    }
}

/// Records what the guest was shown.
struct RecordingFeedback: GuestFeedback {
    let states = Recorder<GuestState>()
    func show(_ state: GuestState) async { states.append(state) }
}
