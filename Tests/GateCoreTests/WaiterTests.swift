import GateCore
import Testing
import TestSupport

/// The one waiter primitive (`ObservedValue`) and the wake-up call built on it (`WakeSignal`).
/// Every wait is bounded by a deadline; nothing sleeps to let another task run.
@Suite struct WaiterTests {
    @Test func aWaiterWakesWhenTheConditionHoldsAndACancelledOneGetsNil() async throws {
        let value = ObservedValue(0)
        let waiter = Task { await value.wait(until: { $0 >= 3 }) }
        try await eventually("the waiter is waiting") { value.waiting == 1 }
        value.update { $0 = 2 }
        #expect(value.waiting == 1, "woken before the condition held")
        value.update { $0 = 3 }
        #expect(try await withDeadline(.seconds(5), "the wake-up") { await waiter.value } == 3)

        let cancelled = Task { await value.wait(until: { $0 > 100 }) }
        try await eventually("the second waiter is waiting") { value.waiting == 1 }
        cancelled.cancel()
        #expect(try await withDeadline(.seconds(5), "the cancelled wait") { await cancelled.value } == nil)
        #expect(value.waiting == 0)
    }

    /// `then` runs in the lock that found the condition true: of two waiters for one token,
    /// exactly one takes it, and the other goes on waiting for the next.
    @Test func twoWaitersForOneTokenTakeOneEach() async throws {
        let tokens = ObservedValue(0)
        let taken = ObservedValue(0)
        let waiters = (0..<2).map { _ in
            Task {
                _ = await tokens.wait(until: { $0 > 0 }) { $0 -= 1 }
                taken.update { $0 += 1 }
            }
        }
        try await eventually("both wait") { tokens.waiting == 2 }
        tokens.update { $0 += 1 }
        try await eventually("one took the token") { taken.value == 1 }
        #expect(tokens.waiting == 1 && tokens.value == 0, "the second waiter took a token that was not there")
        tokens.update { $0 += 1 }
        for waiter in waiters { try await withDeadline(.seconds(5), "the waiters") { await waiter.value } }
        #expect(taken.value == 2 && tokens.value == 0)
    }

    /// A signal given while nobody waits is kept for the next wait; `take` and `reset` consume it.
    @Test func aWakeSignalKeepsOneSignalForTheNextWait() async throws {
        let wake = WakeSignal()
        wake.signal()
        wake.signal()
        try await withDeadline(.seconds(5), "a wait after two signals") { await wake.wait() }
        #expect(!wake.take(), "two signals before one wait are one wake-up")
        wake.signal()
        #expect(wake.take())
        wake.signal()
        wake.reset()
        #expect(!wake.take())

        let woken = Task { await wake.wait() }
        wake.signal()
        try await withDeadline(.seconds(5), "a waiter woken by a signal") { await woken.value }
    }

    /// A bounded wait ends at the signal, or at the deadline when none comes; a signal after the
    /// deadline is kept for the next wait.
    @Test func aBoundedWaitEndsAtTheSignalOrAtTheDeadline() async throws {
        let clock = TestClock()
        let wake = WakeSignal()
        let signalled = Task { await wake.wait(until: clock.now.advanced(by: .seconds(60)), on: clock) }
        #expect(await clock.waitForSleepers(1))
        wake.signal()
        try await withDeadline(.seconds(5), "the wait ended by the signal") { await signalled.value }
        #expect(!wake.take(), "the signal that ended the wait was left for the next")

        let timedOut = Task { await wake.wait(until: clock.now.advanced(by: .seconds(60)), on: clock) }
        #expect(await clock.waitForSleepers(1))
        clock.advance(by: .seconds(60))
        try await withDeadline(.seconds(5), "the wait ended by its deadline") { await timedOut.value }
        wake.signal()
        #expect(wake.take(), "a signal after the deadline was lost")
    }

    private func eventually(_ what: String, _ condition: @escaping @Sendable () -> Bool) async throws {
        try await withDeadline(.seconds(5), what) {
            while !condition() { await Task.yield() }
        }
    }
}
