import GateCore
import Testing
import TestSupport

/// The code-guessing guard's policy (issue 12 item 3), driven by a TestClock.
@Suite("GuessGuard: code-guessing policy")
struct GuessGuardTests {
    typealias Guard = GuessGuard<TestClock.Instant>
    let clock = TestClock()

    /// Records failures now until the guard locks (nil if it never does within 100).
    private func failUntilLocked(_ g: inout Guard) -> Guard.Lock? {
        for _ in 0..<100 {
            if let lock = g.recordFailure(at: clock.now) { return lock }
        }
        return nil
    }

    @Test func theFifthFailureWithinTheWindowPausesForThirtySeconds() throws {
        var g = Guard()
        for _ in 0..<4 {
            let r1 = g.recordFailure(at: clock.now); #expect(r1 == nil)
            clock.advance(by: .seconds(10))
        }
        let r2 = g.recordFailure(at: clock.now)
        let lock = try #require(r2)
        #expect(lock.pause == .seconds(30))
        #expect(lock.failures == 5)
        let r3 = g.check(isShortCode: false, at: clock.now); #expect(r3 == .paused(until: clock.now.advanced(by: .seconds(30))))
        clock.advance(by: .seconds(29))
        let r4 = g.check(isShortCode: false, at: clock.now); #expect(r4 != .allowed)
        clock.advance(by: .seconds(1))
        let r5 = g.expire(at: clock.now); #expect(r5)
        let r6 = g.check(isShortCode: false, at: clock.now); #expect(r6 == .allowed)
    }

    @Test func failuresOlderThanTheWindowDoNotCount() {
        var g = Guard()
        for _ in 0..<10 {
            let r7 = g.recordFailure(at: clock.now); #expect(r7 == nil)
            clock.advance(by: .seconds(16))  // never more than 4 within 60 s
        }
        #expect(!g.isPaused)
    }

    @Test func eachPauseInARowDoublesUpToFifteenMinutes() {
        var g = Guard()
        var pauses: [Duration] = []
        for _ in 0..<8 {
            let lock = failUntilLocked(&g)
            pauses.append(lock?.pause ?? .zero)
            clock.advance(by: lock?.pause ?? .zero)
            let ended = g.expire(at: clock.now)
            #expect(ended)
        }
        #expect(pauses == [30, 60, 120, 240, 480, 900, 900, 900].map { Duration.seconds($0) })
    }

    @Test func quietForFifteenMinutesAfterAPauseStartsShortAgain() {
        var g = Guard()
        _ = failUntilLocked(&g)
        clock.advance(by: .seconds(30))
        _ = g.expire(at: clock.now)
        clock.advance(by: .seconds(900))
        let lock = failUntilLocked(&g)
        #expect(lock?.pause == .seconds(30))
    }

    @Test func staffUnlockEndsThePauseAndResetsTheDoubling() {
        var g = Guard()
        _ = failUntilLocked(&g)
        #expect(g.isPaused)
        let r9 = g.unlock(at: clock.now); #expect(r9)
        let r10 = g.check(isShortCode: false, at: clock.now); #expect(r10 == .allowed)
        let r11 = g.unlock(at: clock.now); #expect(!r11, "a second unlock finds nothing paused")
        let lock = failUntilLocked(&g)
        #expect(lock?.pause == .seconds(30))
    }

    @Test func failuresDuringAPauseAreNotCounted() {
        var g = Guard()
        for _ in 0..<5 { _ = g.recordFailure(at: clock.now) }
        for _ in 0..<20 { let r12 = g.recordFailure(at: clock.now); #expect(r12 == nil) }
    }

    @Test func shortCodesHaveThreePerMinuteThenCountAsFailures() {
        var g = Guard()
        for _ in 0..<3 { let r13 = g.check(isShortCode: true, at: clock.now); #expect(r13 == .allowed) }
        // Over budget: refused, each refusal a failure; the fifth failure pauses the lane.
        for _ in 0..<4 { let r14 = g.check(isShortCode: true, at: clock.now); #expect(r14 == .shortCodeBudgetSpent(lock: nil)) }
        guard case .shortCodeBudgetSpent(let lock?) = g.check(isShortCode: true, at: clock.now) else {
            Issue.record("the fifth refused ShortCode should lock the lane")
            return
        }
        #expect(lock.pause == .seconds(30))
        // Full codes are not limited by the ShortCode budget (only by the pause).
        clock.advance(by: .seconds(30))
        _ = g.expire(at: clock.now)
        let r15 = g.check(isShortCode: false, at: clock.now); #expect(r15 == .allowed)
        let r16 = g.check(isShortCode: true, at: clock.now); #expect(r16 == .allowed, "budget refilled after the pause")
    }

    @Test func theShortCodeBudgetRefillsAfterAMinute() {
        var g = Guard(policy: GuessPolicy(maxFailures: 100))
        for _ in 0..<3 { let r17 = g.check(isShortCode: true, at: clock.now); #expect(r17 == .allowed) }
        let r18 = g.check(isShortCode: true, at: clock.now); #expect(r18 != .allowed)
        clock.advance(by: .seconds(60))
        let r19 = g.check(isShortCode: true, at: clock.now); #expect(r19 == .allowed)
    }

    @Test func aLaneMayRefuseShortCodes() {
        var g = Guard(policy: GuessPolicy(acceptShortCodes: false))
        let r20 = g.check(isShortCode: true, at: clock.now); #expect(r20 == .shortCodesOff)
        let r21 = g.check(isShortCode: false, at: clock.now); #expect(r21 == .allowed)
    }

    @Test func shortCodesAreOneToFourDigits() {
        let short = ["42", "0", "1234"].map { VoucherCode(unchecked: $0).isShortCode }
        let notShort = ["12345", "4A", "L4FU5LQTKJR3", "L4FU-5LQT-KJR3", ""].map { VoucherCode(unchecked: $0).isShortCode }
        #expect(short == [true, true, true])
        #expect(notShort == [false, false, false, false, false])
    }
}
