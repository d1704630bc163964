import EgumaAPI
import Foundation

/// When the daemon reconciles next, and which window (pure; the wall-clock time is passed in).
///
/// Every `everyHours` the day so far (local midnight → now); shortly after local midnight the
/// whole day that just ended, so a day is always reconciled complete once. Days are e-guma's
/// local days (23 or 25 hours on a daylight-saving change).
public struct ReconcilePlan: Sendable, Equatable {
    /// After midnight, wait this long so the last redemptions of the day are in e-guma's list.
    public static let afterMidnight: TimeInterval = 10 * 60

    public var everyHours: Int
    public var local: EgumaLocalTime

    public init(everyHours: Int, local: EgumaLocalTime) { self.everyHours = everyHours; self.local = local }

    /// The next run after the run at `last` (the daemon's start for the first), or nil when off.
    public func next(after last: Date) -> (at: Date, window: DateInterval)? {
        guard everyHours > 0 else { return nil }
        let periodic = last.addingTimeInterval(TimeInterval(everyHours) * 3600)
        let day = local.day(containing: last)
        // A run that would cross the day's end closes the day instead, once it is complete.
        if periodic >= day.end {
            return (day.end.addingTimeInterval(Self.afterMidnight), day)
        }
        let periodicDay = local.day(containing: periodic)
        return (periodic, DateInterval(start: periodicDay.start, end: periodic))
    }

    /// The day to close at the daemon's start at `now`: the previous local day, due once it is
    /// complete in e-guma's list (`afterMidnight` past midnight). `next(after:)` counts from the
    /// start, so without this a daemon started between midnight and the close (or down over
    /// it) would never close that day. The caller skips it when the day is already closed.
    public func catchUp(at now: Date) -> (at: Date, window: DateInterval)? {
        guard everyHours > 0 else { return nil }
        let today = local.day(containing: now)
        let yesterday = local.day(containing: today.start.addingTimeInterval(-1))
        return (max(now, today.start.addingTimeInterval(Self.afterMidnight)), yesterday)
    }
}
