import GateCore
import Testing
import TestSupport

/// A relay that notes what the guest had been shown when it energised, then holds its pulse until
/// "walk through" is on (with a deadline): a screen shown during the pulse can only have come
/// from the energise it published, not from the engine's fallback after the pulse.
private actor ScreenCheckingRelay: Relay {
    let shown: Recorder<GuestState>
    private nonisolated let published = Broadcast<RelayChange>()
    private(set) var shownAtEnergise: [[GuestState]] = []
    private(set) var walkThroughDuringPulse: [Bool] = []

    init(shown: Recorder<GuestState>) { self.shown = shown }

    func pulse(for duration: Duration) async throws {
        shownAtEnergise.append(shown.values)
        published.send(.energised(.pulse))
        do {
            try await shown.waitFor("\"walk through\" while the relay is energised") { $0 == .walkThrough }
            walkThroughDuringPulse.append(true)
        } catch {
            walkThroughDuringPulse.append(false)
        }
        published.send(.released)
    }
    func forceInactive() async {}
    nonisolated func changes() -> AsyncStream<RelayChange> { published.subscribe() }
}

/// A relay whose pulses wait for `go` before they energise, and say when one started.
private actor SteppedRelay: Relay {
    let started = Recorder<Int>()
    let go = WakeSignal()
    private var count = 0
    private nonisolated let published = Broadcast<RelayChange>()

    func pulse(for duration: Duration) async throws {
        count += 1
        started.append(count)
        await go.wait()
        published.send(.energised(.pulse))
        published.send(.released)
    }
    func forceInactive() async {}
    nonisolated func changes() -> AsyncStream<RelayChange> { published.subscribe() }
}

private func isOpenScreen(_ state: GuestState) -> Bool {
    switch state {
    case .accepted, .walkThrough: true
    default: false
    }
}

/// The relay publishes, the engine follows: "accepted" and "walk through" go on the moment the
/// relay says it is energised, never before, exactly once.
@Suite struct LaneEngineRelayTests {
    static let code = "L4FU5LQTKJR3"

    static func engine(relay: any Relay, eguma: FakeVoucherService, feedback: RecordingGuestFeedback,
                       store: MemoryStore = MemoryStore()) -> LaneEngine<TestClock> {
        let clock = TestClock()
        return LaneEngine(settings: LaneSettings(name: "main", gateName: "spa-north", outlet: "spa", price: Money(cents: 2_500)),
                          service: eguma, relay: relay, sensor: nil, feedback: feedback, journal: store, outbox: store,
                          online: OnlineMonitor(clock: clock), clock: clock)
    }

    @Test func theRunningEngineShowsWalkThroughOnTheRelaysEnergiseAndNotBefore() async throws {
        let eguma = FakeVoucherService()
        await eguma.add(Self.code, balance: 5_000)
        let feedback = RecordingGuestFeedback()
        let relay = ScreenCheckingRelay(shown: feedback.states)
        let engine = Self.engine(relay: relay, eguma: eguma, feedback: feedback)
        engine.inbox.send(.scanner(.frame(Array(Self.code.utf8))))
        engine.inbox.finish()

        try await withDeadline(.seconds(10), "the engine's run over one scan") { await engine.run() }

        let atEnergise = try #require(await relay.shownAtEnergise.first)
        #expect(!atEnergise.contains(where: isOpenScreen), "shown before the relay was energised: \(atEnergise)")
        #expect(await relay.walkThroughDuringPulse == [true], "\"walk through\" waited for the pulse's end")
        #expect(feedback.states.values.filter { $0 == .walkThrough }.count == 1)
        #expect(feedback.states.values.filter { if case .accepted = $0 { true } else { false } }.count == 1)
        #expect(await eguma.netTaken == 2_500)
    }

    @Test func aRefusedPulseIsPublishedAndTheEngineCancelsWithoutAnOpenScreen() async throws {
        let lane = LaneHarness()
        await lane.eguma.add(Self.code, balance: 5_000)
        await lane.relay.setBroken(true)
        let changes = lane.relay.changes()
        await lane.scan(Self.code)
        #expect(try await changes.firstValues(1, "the relay's answer") == [.refused])
        #expect(!lane.states.contains(where: isOpenScreen))
        #expect(lane.states.last == .cancelled)
        #expect(await lane.eguma.netTaken == 0)
        #expect(!lane.eventTypes.contains(.opened))
    }

    @Test func aLateEnergiseOfAnEarlierPulseDoesNotShowTheNextAdmissionsScreens() async throws {
        let eguma = FakeVoucherService()
        await eguma.add(Self.code, balance: 5_000)
        let feedback = RecordingGuestFeedback()
        let relay = SteppedRelay()
        let engine = Self.engine(relay: relay, eguma: eguma, feedback: feedback)
        // The test plays a follower that lags: it delivers the relay's changes by hand, late.
        let lagging = relay.changes()
        relay.go.signal()
        _ = await engine.handle(.manualOpen(reason: "staff"))  // pulse 1: its answer is not delivered yet

        async let scanned = engine.handle(.scanner(.frame(Array(Self.code.utf8))))
        try await relay.started.waitFor("the admission's pulse") { $0 == 2 }
        let stale = try await lagging.firstValues(2, "the manual open's energise and release")
        #expect(stale == [.energised(.pulse), .released])
        for change in stale { await engine.relayChanged(change) }
        #expect(!feedback.states.values.contains(where: isOpenScreen), "shown on the manual open's energise")

        relay.go.signal()
        _ = await scanned
        // Nobody delivered pulse 2's energise before it returned: shown then, once.
        #expect(feedback.states.values.filter { $0 == .walkThrough }.count == 1)
        await engine.relayChanged(.energised(.pulse))  // pulse 2's answer, delivered after the pulse
        #expect(feedback.states.values.filter { $0 == .walkThrough }.count == 1)
    }
}
