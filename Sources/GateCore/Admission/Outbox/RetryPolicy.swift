/// Capped exponential back-off with jitter for outbox retries (SPEC §3.7).
///
/// Attempt n (1-based) waits `min(cap, base × 2^(n-1))`, scaled by a random factor in
/// `[1 - jitter, 1]` so that many gates coming back online do not hit e-guma in lockstep.
public struct RetryPolicy: Sendable, Equatable {
    public var base: Duration
    public var cap: Duration
    /// Fraction of the delay that is random, 0…1.
    public var jitter: Double

    public init(base: Duration = .seconds(2), cap: Duration = .seconds(300), jitter: Double = 0.5) {
        self.base = base; self.cap = cap; self.jitter = min(max(jitter, 0), 1)
    }

    /// The delay before the next try after `attempts` failed tries. `unitRandom` is in [0, 1).
    public func delay(afterAttempts attempts: Int, unitRandom: Double) -> Duration {
        let exponent = min(max(attempts - 1, 0), 30)
        var delay = base * (1 << exponent)
        if delay > cap || delay < .zero { delay = cap }
        let factor = 1 - jitter * min(max(unitRandom, 0), 1)
        return delay * factor
    }
}
