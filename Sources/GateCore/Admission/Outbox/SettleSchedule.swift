/// How an uncertain redeem is settled (issue 12 item 1): by Balance checks at growing delays,
/// each judged against the balance seen just before the redeem. Never by re-sending it.
///
/// Why a schedule and not one check: e-guma can apply a redeem *after* the client gave up (a
/// slow request that completes late). A Balance right after the timeout still shows the old
/// balance and proves nothing. What counts as evidence:
/// - balance = before − amount, at any check → **applied** (`token_unknown`, operator refunds or
///   accepts; its token is lost, so it cannot be cancelled through the API);
/// - balance = before at a check made when the whole schedule's time has passed since the
///   intent → **not applied**; at an earlier check → not yet decided, check again after the
///   next delay. Elapsed time decides, not the number of checks: failed journal reads, an
///   operator's `outbox retry` and restarts all add checks without adding time;
/// - any other balance → **unclear** (the voucher moved by some other amount, e.g. spent at
///   another till meanwhile): an operator question (`settle_unclear`), never a silent verdict.
///
/// A failed Balance counts as a check that saw nothing: it waits the same delay, so "not
/// applied" is never concluded before the schedule's total time (36 min 10 s by default); the
/// outbox keeps a check's due time across restarts (`OutboxEntry.dueIn`).
public struct SettleSchedule: Sendable, Equatable {
    /// The delay after check n (0-based) before check n+1. Check 0 runs at once.
    public var delays: [Duration]

    /// 10 s, 1 min, 5 min, 30 min.
    public init(delays: [Duration] = [.seconds(10), .seconds(60), .seconds(300), .seconds(1_800)]) {
        self.delays = delays
    }

    public enum Verdict: Sendable, Equatable {
        case applied
        case notApplied
        case notYet(checkAgainAfter: Duration)
        case unclear
    }

    /// The time that must have passed since the intent before an unchanged balance counts as
    /// "not applied" (the sum of the delays).
    public var total: Duration { delays.reduce(.zero, +) }

    /// Judges a check made `elapsed` after the redeem's intent. `check` (0-based: how many
    /// checks came before) only picks the wait before the next one.
    public func judge(balanceBefore: Money, amount: Money, now: Money, check: Int, elapsed: Duration) -> Verdict {
        if now == balanceBefore - amount { return .applied }
        guard now == balanceBefore else { return .unclear }
        guard elapsed < total else { return .notApplied }
        return .notYet(checkAgainAfter: check < delays.count ? delays[max(check, 0)] : total - elapsed)
    }

    /// The wait after check `check` when it could not be made (Balance failed).
    public func delay(afterCheck check: Int) -> Duration {
        guard let last = delays.last else { return .zero }
        return check < delays.count ? delays[max(check, 0)] : last
    }
}
