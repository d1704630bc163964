import GateCore
import Testing

/// What counts as evidence for an uncertain redeem (issue 12 item 1).
@Suite struct SettleScheduleTests {
    let schedule = SettleSchedule()
    let before = Money(cents: 5_000), amount = Money(cents: 2_500)

    @Test func theDefaultScheduleGrowsFrom10SecondsTo30Minutes() {
        #expect(schedule.delays == [.seconds(10), .seconds(60), .seconds(300), .seconds(1_800)])
    }

    @Test func balanceDownByTheAmountIsAppliedAtAnyCheck() {
        for check in 0...5 {
            #expect(schedule.judge(balanceBefore: before, amount: amount, now: Money(cents: 2_500), check: check, elapsed: .zero) == .applied)
        }
    }

    @Test func anUnchangedBalanceIsNotAppliedOnlyAfterTheWholeSchedule() {
        #expect(schedule.total == .seconds(2_170))
        #expect(schedule.judge(balanceBefore: before, amount: amount, now: before, check: 0, elapsed: .zero) == .notYet(checkAgainAfter: .seconds(10)))
        #expect(schedule.judge(balanceBefore: before, amount: amount, now: before, check: 3, elapsed: .seconds(370))
                == .notYet(checkAgainAfter: .seconds(1_800)))
        #expect(schedule.judge(balanceBefore: before, amount: amount, now: before, check: 4, elapsed: .seconds(2_170)) == .notApplied)
    }

    /// Review item 3: retries that added checks but not time (journal not readable, an
    /// operator's `outbox retry`, restarts) never conclude "not applied" early.
    @Test func manyChecksInLittleTimeAreNotYetAndWaitTheRestOfTheSchedule() {
        #expect(schedule.judge(balanceBefore: before, amount: amount, now: before, check: 4, elapsed: .seconds(70))
                == .notYet(checkAgainAfter: .seconds(2_100)))
        #expect(schedule.judge(balanceBefore: before, amount: amount, now: before, check: 9, elapsed: .seconds(2_169))
                == .notYet(checkAgainAfter: .seconds(1)))
    }

    @Test func anyOtherBalanceIsUnclear() {
        #expect(schedule.judge(balanceBefore: before, amount: amount, now: Money(cents: 4_000), check: 4, elapsed: .zero) == .unclear)
        #expect(schedule.judge(balanceBefore: before, amount: amount, now: Money(cents: 1_500), check: 0, elapsed: .zero) == .unclear)
        #expect(schedule.judge(balanceBefore: before, amount: amount, now: Money(cents: 6_000), check: 1, elapsed: .zero) == .unclear)
    }

    @Test func aFailedCheckWaitsTheSameDelay() {
        #expect(schedule.delay(afterCheck: 0) == .seconds(10))
        #expect(schedule.delay(afterCheck: 9) == .seconds(1_800))
    }
}
