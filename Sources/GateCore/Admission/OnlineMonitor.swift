/// The gate-wide online/offline view shared by every lane and the outbox worker: an
/// `OnlineDetector` behind an actor, timed by the injected clock.
public actor OnlineMonitor<C: Clock> where C.Duration == Duration {
    private var detector: OnlineDetector<C.Instant>
    private let clock: C

    public init(clock: C, detector: OnlineDetector<C.Instant> = OnlineDetector()) {
        self.clock = clock; self.detector = detector
    }

    public var isOffline: Bool { detector.isOffline }
    /// How many answers e-guma gave so far: an outage (for `offline_max_admissions`) ends when
    /// this moves.
    public private(set) var answers: UInt64 = 0

    /// Whether to try e-guma now (always when online; one probe per interval when offline).
    public func shouldTryCall() -> Bool { detector.shouldTryCall(at: clock.now) }

    public func recordAnswer(latency: Duration) {
        answers &+= 1
        detector.recordAnswer(latency: latency, at: clock.now)
    }

    public func recordFailure() { detector.recordFailure(at: clock.now) }

    /// Feeds the outcome of one call: connectivity failures count, any answer resets.
    public func record(_ error: VoucherServiceError?, latency: Duration) {
        if let error, error.isConnectivityFailure { recordFailure() } else { recordAnswer(latency: latency) }
    }
}
