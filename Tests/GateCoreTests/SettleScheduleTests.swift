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
            #expect(schedule.judge(balanceBefore: before, amount: amount, now: Money(cents: 2_500), check: check) == .applied)
        }
    }

    @Test func anUnchangedBalanceIsNotAppliedOnlyAfterTheWholeSchedule() {
        #expect(schedule.judge(balanceBefore: before, amount: amount, now: before, check: 0) == .notYet(checkAgainAfter: .seconds(10)))
        #expect(schedule.judge(balanceBefore: before, amount: amount, now: before, check: 3) == .notYet(checkAgainAfter: .seconds(1_800)))
        #expect(schedule.judge(balanceBefore: before, amount: amount, now: before, check: 4) == .notApplied)
    }

    @Test func anyOtherBalanceIsUnclear() {
        #expect(schedule.judge(balanceBefore: before, amount: amount, now: Money(cents: 4_000), check: 4) == .unclear)
        #expect(schedule.judge(balanceBefore: before, amount: amount, now: Money(cents: 1_500), check: 0) == .unclear)
        #expect(schedule.judge(balanceBefore: before, amount: amount, now: Money(cents: 6_000), check: 1) == .unclear)
    }

    @Test func aFailedCheckWaitsTheSameDelay() {
        #expect(schedule.delay(afterCheck: 0) == .seconds(10))
        #expect(schedule.delay(afterCheck: 9) == .seconds(1_800))
    }
}
