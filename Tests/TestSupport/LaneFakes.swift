import GateCore

/// Records relay pulses and publishes them like a real relay (energised, then released at once);
/// can be told to fail (publishes the refusal and throws).
public actor ScriptedRelay: Relay {
    public struct Broken: Error {}
    public init() {}
    public private(set) var pulses: [Duration] = []
    var broken = false
    private nonisolated let published = Broadcast<RelayChange>()
    public func setBroken(_ b: Bool) { broken = b }
    public func pulse(for duration: Duration) async throws {
        if broken {
            published.send(.refused)
            throw Broken()
        }
        pulses.append(duration)
        published.send(.energised(.pulse))
        published.send(.released)
    }
    public func forceInactive() async {}
    public nonisolated func changes() -> AsyncStream<RelayChange> { published.subscribe() }
}

/// A passage sensor scripted per admission: `true` passes at once; `false` times out on the clock.
public actor ScriptedPassageSensor<C: Clock>: PassageSensor where C.Duration == Duration {
    private var script: [Bool]
    private let clock: C
    public private(set) var armed = 0
    public init(clock: C, script: [Bool] = []) { self.clock = clock; self.script = script }
    public func push(_ passes: Bool) { script.append(passes) }
    public func arm() async { armed += 1 }
    public func waitForPassage(timeout: Duration) async throws -> Bool {
        let passes = script.isEmpty ? true : script.removeFirst()
        if passes { return true }
        try await clock.sleep(for: timeout)
        return false
    }
}

/// Records what the guest was shown.
public struct RecordingGuestFeedback: GuestFeedback {
    public let states = Recorder<GuestState>()
    public init() {}
    public func show(_ state: GuestState) async { states.append(state) }
}
