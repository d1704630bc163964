import GateCore
import Testing
import TestSupport

/// The code-guessing guard inside the admission flow: what reaches e-guma, what the guest sees,
/// which events the operator gets (issue 12 item 3).
@Suite("LaneEngine: code-guessing guard")
struct LaneEngineGuardTests {
    static let random = ["AAAA1111BBBB", "CCCC2222DDDD", "EEEE3333FFFF", "GGGG4444HHHH", "JJJJ5555KKKK"]

    @Test func fiveUnknownCodesPauseTheLaneAndNoScanDuringThePauseReachesEguma() async {
        let lane = LaneHarness()
        await lane.eguma.add("L4FU5LQTKJR3", balance: 10_000)
        for code in Self.random { await lane.scan(code) }
        #expect(await lane.eguma.count(.balance) == 5)
        #expect(lane.eventTypes.filter { $0 == .laneLocked }.count == 1)
        #expect(lane.states.last == .denied(.lanePaused))
        #expect(await lane.engine.isPaused)

        // During the pause even a good voucher is refused without any e-guma call.
        await lane.scan("L4FU5LQTKJR3")
        await lane.scan("ZZZZ9999YYYY")
        #expect(await lane.eguma.calls.count == 5)
        #expect(lane.states.last == .denied(.lanePaused))
        #expect(await lane.eguma.balanceOf("L4FU5LQTKJR3") == 10_000)

        // The pause ends by itself after 30 s.
        lane.clock.advance(by: .seconds(30))
        _ = await lane.engine.handle(.pauseEnded)
        #expect(lane.eventTypes.last == .laneUnlocked)
        #expect(lane.states.last == .idle)
        await lane.scan("L4FU5LQTKJR3")
        #expect(await lane.eguma.count(.redeem) == 1)
    }

    @Test func notRedeemableCodesCountLikeUnknownOnes() async {
        let lane = LaneHarness()
        for (i, code) in Self.random.enumerated() {
            await lane.eguma.add(code, balance: 0, redeemable: false, message: "bereits eingelöst \(i)")
            await lane.scan(code)
        }
        #expect(lane.eventTypes.contains(.laneLocked))
    }

    @Test func staffUnlockEndsThePauseAndIsRecordedWithTheUser() async throws {
        let lane = LaneHarness()
        for code in Self.random { await lane.scan(code) }
        #expect(await lane.engine.isPaused)
        _ = await lane.engine.handle(.unlock(reason: "unlocked by anna"))
        #expect(!(await lane.engine.isPaused))
        let unlocked = try #require(lane.store.events.values.last)
        #expect(unlocked.type == .laneUnlocked && unlocked.message == "unlocked by anna")
        #expect(lane.states.last == .idle)
    }

    @Test func aManualOpenEndsThePauseToo() async {
        let lane = LaneHarness()
        for code in Self.random { await lane.scan(code) }
        _ = await lane.engine.handle(.manualOpen(reason: "opened by anna"))
        #expect(!(await lane.engine.isPaused))
        #expect(lane.eventTypes.suffix(2) == [.manualOpen, .laneUnlocked])
    }

    @Test func aShortCodeSweepStopsAfterTheBudget() async {
        let lane = LaneHarness()
        await lane.eguma.add("M5RW3JKT8ZQB", balance: 5_000, shortCode: "42")
        for n in 0..<100 { await lane.scan(n < 10 ? "0\(n)" : "\(n)") }
        // Three ShortCodes reach e-guma; the sweep never gets to 42.
        #expect(await lane.eguma.count(.balance) == 3)
        #expect(await lane.eguma.count(.redeem) == 0)
        #expect(lane.eventTypes.filter { $0 == .laneLocked }.count == 1)
        #expect(await lane.eguma.balanceOf("M5RW3JKT8ZQB") == 5_000)
    }

    @Test func aLaneWithoutShortCodesRefusesThemWithoutAskingEguma() async {
        let lane = LaneHarness { $0.guessPolicy.acceptShortCodes = false }
        await lane.eguma.add("M5RW3JKT8ZQB", balance: 5_000, shortCode: "42")
        await lane.scan("42")
        #expect(await lane.eguma.calls.isEmpty)
        #expect(lane.states.last == .denied(.shortCodeNotAccepted))
    }

    @Test func aLockDuringASplitPaymentEndsItWithNothingRedeemed() async {
        let lane = LaneHarness()
        await lane.eguma.add("L4FU5LQTKJR3", balance: 1_000)
        await lane.scan("L4FU5LQTKJR3")
        #expect(lane.states.last == .awaitingMore(remaining: Money(cents: 1_500)))
        for code in Self.random { await lane.scan(code) }
        #expect(lane.states.last == .denied(.lanePaused))
        #expect(await lane.store.outcome(1) == .denied)
        #expect(await lane.eguma.count(.redeem) == 0)
    }

    @Test func aReloadKeepsARunningPause() async {
        let lane = LaneHarness()
        for code in Self.random { await lane.scan(code) }
        var relaxed = lane.settings
        relaxed.guessPolicy.maxFailures = 50
        await lane.engine.update(settings: relaxed)
        #expect(await lane.engine.isPaused)
    }
}
