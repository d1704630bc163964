import EgumaAPI
import Foundation
import GateDaemon
import Testing

/// The daemon's schedule in e-guma's local days, around midnight and daylight-saving changes.
@Suite struct ReconcilePlanTests {
    let local = EgumaLocalTime()

    func at(_ text: String) throws -> Date { try #require(local.parse(text)) }

    @Test func everyFewHoursTheDaySoFarThenTheWholeDayAfterMidnight() throws {
        let plan = ReconcilePlan(everyHours: 4, local: local)
        let first = try #require(plan.next(after: try at("2026-06-10T09:00:00")))
        #expect(first.at == (try at("2026-06-10T13:00:00")))
        #expect(first.window == DateInterval(start: try at("2026-06-10T00:00:00"), end: try at("2026-06-10T13:00:00")))
        let evening = try #require(plan.next(after: try at("2026-06-10T21:00:00")))
        #expect(evening.at == (try at("2026-06-11T00:10:00")))
        #expect(evening.window == local.day("2026-06-10"))
        let after = try #require(plan.next(after: evening.at))
        #expect(after.at == (try at("2026-06-11T04:10:00")))
        #expect(after.window.start == (try at("2026-06-11T00:00:00")))
        #expect(ReconcilePlan(everyHours: 0, local: local).next(after: Date()) == nil)
    }

    @Test func aDaylightSavingDayIsClosedWholeAt23And25Hours() throws {
        let plan = ReconcilePlan(everyHours: 6, local: local)
        let spring = try #require(plan.next(after: try at("2026-03-29T20:00:00")))
        #expect(spring.window == local.day("2026-03-29"))
        #expect(spring.window.duration == 23 * 3600)
        let autumn = try #require(plan.next(after: try at("2026-10-25T20:00:00")))
        #expect(autumn.window.duration == 25 * 3600)
        #expect(autumn.at == (try at("2026-10-26T00:10:00")))
    }
}

extension ReconcilePlanTests {
    /// A periodic run that would land just after midnight closes the previous day instead.
    @Test func noDayIsSkippedWhenThePeriodEndsAfterMidnight() throws {
        let plan = ReconcilePlan(everyHours: 4, local: local)
        let next = try #require(plan.next(after: try at("2026-06-10T20:05:00")))
        #expect(next.window == local.day("2026-06-10"))
        #expect(next.at == (try at("2026-06-11T00:10:00")))
    }
}

extension ReconcilePlanTests {
    /// Review item 7: a daemon started between midnight and the close (00:10) — or down over
    /// it — closes the previous day first, once it is complete; off, nothing.
    @Test func aStartJustAfterMidnightStillClosesThePreviousDay() throws {
        let plan = ReconcilePlan(everyHours: 4, local: local)
        let early = try #require(plan.catchUp(at: try at("2026-06-11T00:05:00")))
        #expect(early.at == (try at("2026-06-11T00:10:00")))
        #expect(early.window == local.day("2026-06-10"))
        let late = try #require(plan.catchUp(at: try at("2026-06-11T15:00:00")))
        #expect(late.at == (try at("2026-06-11T15:00:00")))
        #expect(late.window == local.day("2026-06-10"))
        #expect(ReconcilePlan(everyHours: 0, local: local).catchUp(at: try at("2026-06-11T00:05:00")) == nil)
    }
}
