/// The per-lane guard against code guessing (issue 12 item 3).
///
/// A guest who scans random codes makes e-guma look each one up; two-digit ShortCodes are so few
/// that a sweep of 00–99 finds another guest's live ShortCode within seconds. The guard counts
/// codes e-guma did not know or would not redeem: after `maxFailures` within `window` the lane
/// pauses, and no scan reaches e-guma until the pause ends or staff unlock the lane. Each pause
/// in a row doubles (30 s, 60 s, … capped at 15 min), so a patient guesser gains nothing by waiting
/// it out. ShortCodes have their own, tighter budget per minute, and a lane may refuse them.
///
/// A pure value driven by the caller's injected clock: tests advance time instead of sleeping.
public struct GuessGuard<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration, Instant: Sendable {
    public typealias Policy = GuessPolicy

    /// A pause that just began.
    public struct Lock: Sendable, Equatable {
        public var until: Instant
        public var pause: Duration
        /// Failures that triggered it (for the operator's event).
        public var failures: Int
    }

    /// What may happen to a scanned code before any e-guma call.
    public enum Verdict: Sendable, Equatable {
        case allowed
        /// The lane is paused: refuse without asking e-guma.
        case paused(until: Instant)
        /// `accept_short_codes = false`.
        case shortCodesOff
        /// Over the ShortCode budget: refused, and counted as a failure (which may lock the lane).
        case shortCodeBudgetSpent(lock: Lock?)
    }

    public private(set) var policy: Policy
    private var failures: [Instant] = []
    private var shortCodes: [Instant] = []
    public private(set) var pausedUntil: Instant?
    /// The last pause's length and when it ended, for doubling the next one.
    private var lastPause: (length: Duration, ended: Instant)?

    public init(policy: Policy = Policy()) { self.policy = policy }

    /// New limits (SIGHUP). Counts and a running pause are kept: a reload is no way out of a pause.
    public mutating func update(policy new: Policy) { policy = new }

    public var isPaused: Bool { pausedUntil != nil }

    /// Decides before the e-guma call. A ShortCode that is allowed is counted against its budget.
    public mutating func check(isShortCode: Bool, at now: Instant) -> Verdict {
        if let until = pausedUntil, now < until { return .paused(until: until) }
        guard isShortCode else { return .allowed }
        guard policy.acceptShortCodes else { return .shortCodesOff }
        shortCodes.removeAll { $0.advanced(by: .seconds(60)) <= now }
        guard shortCodes.count < policy.shortCodesPerMinute else {
            return .shortCodeBudgetSpent(lock: recordFailure(at: now))
        }
        shortCodes.append(now)
        return .allowed
    }

    /// e-guma did not know the code, or would not redeem it. Returns the pause this begins, if any.
    public mutating func recordFailure(at now: Instant) -> Lock? {
        if let until = pausedUntil, now < until { return nil }
        failures.removeAll { $0.advanced(by: policy.window) <= now }
        failures.append(now)
        guard failures.count >= policy.maxFailures else { return nil }
        var pause = policy.firstPause
        // Locked again soon after the last pause ended: the guesser came back, double it.
        if let last = lastPause, now < last.ended.advanced(by: policy.maxPause) {
            pause = min(last.length * 2, policy.maxPause)
        }
        pause = min(pause, policy.maxPause)
        let until = now.advanced(by: pause)
        let lock = Lock(until: until, pause: pause, failures: failures.count)
        pausedUntil = until
        lastPause = (pause, until)
        failures.removeAll()
        shortCodes.removeAll()
        return lock
    }

    /// Ends a pause whose time is up. Returns true when one ended (the caller says so).
    public mutating func expire(at now: Instant) -> Bool {
        guard let until = pausedUntil, now >= until else { return false }
        pausedUntil = nil
        return true
    }

    /// Staff ended the pause (`unlock LANE`, `open LANE`). Staff looked at the lane, so the next
    /// pause starts short again. Returns whether the lane was paused.
    @discardableResult
    public mutating func unlock(at now: Instant) -> Bool {
        let was = pausedUntil.map { now < $0 } ?? false
        pausedUntil = nil
        lastPause = nil
        failures.removeAll()
        shortCodes.removeAll()
        return was
    }
}
