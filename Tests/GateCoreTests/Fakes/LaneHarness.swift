import GateCore
import TestSupport

/// One lane wired to fakes, for engine tests.
struct LaneHarness {
    let clock = TestClock()
    let eguma = FakeVoucherService()
    let store = MemoryStore()
    let relay = ScriptedRelay()
    let sensor: ScriptedPassageSensor<TestClock>
    let feedback = RecordingGuestFeedback()
    let emergency = EmergencySignal()
    let online: OnlineMonitor<TestClock>
    let engine: LaneEngine<TestClock>
    let settings: LaneSettings

    init(price: Int64 = 2500, configure: (inout LaneSettings) -> Void = { _ in }) {
        var s = LaneSettings(name: "main", gateName: "spa-north", outlet: "spa", price: Money(cents: price))
        configure(&s)
        settings = s
        sensor = ScriptedPassageSensor(clock: clock)
        online = OnlineMonitor(clock: clock)
        engine = LaneEngine(settings: s, service: eguma, relay: relay, sensor: sensor, feedback: feedback,
                            journal: store, outbox: store, online: online, clock: clock, emergency: emergency)
    }

    /// Scans `text` and handles it to the end (passage included), following the relay as the
    /// daemon's lane does.
    @discardableResult
    func scan(_ text: String) async -> (TestClock.Instant, UInt64)? {
        await handle(.scanner(.frame(Array(text.utf8))))
    }

    /// Types `text` on the lane's keypad and handles it to the end.
    @discardableResult
    func type(_ text: String) async -> (TestClock.Instant, UInt64)? {
        await handle(.keypad(Array(text.utf8)))
    }

    /// Handles `input` to the end while the engine follows the relay.
    @discardableResult
    func handle(_ input: LaneEngine<TestClock>.Input) async -> (TestClock.Instant, UInt64)? {
        let engine = self.engine
        return await engine.whileFollowingRelay { await engine.handle(input) }
    }

    var eventTypes: [GateEventType] { store.events.values.map(\.type) }
    var states: [GuestState] { feedback.states.values }
}
