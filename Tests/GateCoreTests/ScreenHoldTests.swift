import GateCore
import Testing
import TestSupport

/// Held screens (denied, cancelled, offline, balance) return to idle after `screen_hold_ms`;
/// anything shown meanwhile wins; out of order and emergency stay. Driven by a test clock.
@Suite struct ScreenHoldTests {
    @Test func aDeniedScreenReturnsToIdleAfterTheHold() async throws {
        let clock = TestClock()
        let screen = RecordingGuestFeedback()
        let hold = ScreenHold(screen, hold: .seconds(5), clock: clock)
        await hold.show(.denied(.eguma(message: "Gutschein bereits eingelöst")))
        #expect(await clock.waitForSleepers(1))
        clock.advance(by: .milliseconds(4_999))
        #expect(screen.states.values.last == .denied(.eguma(message: "Gutschein bereits eingelöst")))
        clock.advance(by: .milliseconds(1))
        try await screen.states.waitFor("the idle screen") { $0 == .idle }
        #expect(screen.states.values.count == 2)
    }

    @Test func aCancelledScreenReturnsToIdleToo() async throws {
        let clock = TestClock()
        let screen = RecordingGuestFeedback()
        let hold = ScreenHold(screen, hold: .seconds(5), clock: clock)
        for state: GuestState in [.checking, .accepted(newBalance: Money(cents: 500)), .walkThrough, .cancelled] {
            await hold.show(state)
        }
        #expect(await clock.waitForSleepers(1))
        clock.advance(by: .seconds(5))
        try await screen.states.waitFor("the idle screen") { $0 == .idle }
    }

    @Test func aLaterStateCancelsThePendingReturn() async throws {
        let clock = TestClock()
        let screen = RecordingGuestFeedback()
        let hold = ScreenHold(screen, hold: .seconds(5), clock: clock)
        await hold.show(.denied(.noBalance))
        #expect(await clock.waitForSleepers(1))
        await hold.show(.checking)
        await hold.show(.walkThrough)
        clock.advance(by: .seconds(60))
        #expect(clock.sleeperCount == 0, "the held screen's timer was cancelled")
        #expect(screen.states.values == [.denied(.noBalance), .checking, .walkThrough])
    }

    @Test func outOfOrderStays() async throws {
        let clock = TestClock()
        let screen = RecordingGuestFeedback()
        let hold = ScreenHold(screen, hold: .seconds(5), clock: clock)
        await hold.show(.denied(.outOfOrder))
        clock.advance(by: .seconds(60))
        #expect(clock.sleeperCount == 0)
        #expect(screen.states.values == [.denied(.outOfOrder)])
    }

    @Test func aReloadedHoldAppliesToTheNextScreen() async throws {
        let clock = TestClock()
        let screen = RecordingGuestFeedback()
        let hold = ScreenHold(screen, hold: .seconds(5), clock: clock)
        hold.update(hold: .seconds(20))
        await hold.show(.balance(BalanceCheck(isRedeemable: true, balance: Money(cents: 4_000), total: Money(cents: 10_000), message: nil)))
        #expect(await clock.waitForSleepers(1))
        clock.advance(by: .seconds(19))
        #expect(screen.states.values.last != .idle)
        clock.advance(by: .seconds(1))
        try await screen.states.waitFor("the idle screen") { $0 == .idle }
    }
}
