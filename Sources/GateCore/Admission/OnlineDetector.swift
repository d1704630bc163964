/// Decides, from the outcome and latency of recent e-guma calls, whether the gate is offline —
/// automatically, so staff never switch modes by hand (SPEC §3 "Offline").
///
/// Offline after `failureThreshold` connectivity failures in a row (a slow answer counts as half
/// a failure: a link that takes longer than `slowCall` is not one to keep guests waiting on).
/// While offline, lanes skip the call and apply their offline policy, except that one call is let
/// through every `probeInterval` (half-open); its success returns the gate online by itself.
public struct OnlineDetector<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    public var failureThreshold: Double
    public var slowCall: Duration
    public var probeInterval: Duration

    private var strikes: Double = 0
    private var offlineSince: Instant?
    private var lastProbe: Instant?

    public init(failureThreshold: Double = 2, slowCall: Duration = .seconds(4), probeInterval: Duration = .seconds(15)) {
        self.failureThreshold = failureThreshold; self.slowCall = slowCall; self.probeInterval = probeInterval
    }

    public var isOffline: Bool { offlineSince != nil }

    /// Whether a call should be tried now. Online: always. Offline: once per probe interval.
    public mutating func shouldTryCall(at now: Instant) -> Bool {
        guard offlineSince != nil else { return true }
        if let last = lastProbe, last.duration(to: now) < probeInterval { return false }
        lastProbe = now
        return true
    }

    /// A call answered (any answer from e-guma, also a 4xx, proves it is reachable).
    public mutating func recordAnswer(latency: Duration, at now: Instant) {
        if latency > slowCall {
            strike(0.5, at: now)
        } else {
            strikes = 0
            offlineSince = nil
            lastProbe = nil
        }
    }

    /// A call failed for connectivity (not sent, uncertain, 5xx).
    public mutating func recordFailure(at now: Instant) { strike(1, at: now) }

    private mutating func strike(_ weight: Double, at now: Instant) {
        strikes += weight
        if strikes >= failureThreshold, offlineSince == nil {
            offlineSince = now
            lastProbe = now
        }
    }
}
