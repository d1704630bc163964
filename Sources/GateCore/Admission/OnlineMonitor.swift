/// The gate-wide online/offline view shared by every lane and the outbox worker: an
/// `OnlineDetector` behind an actor, timed by the injected clock.
///
/// Every change between online and offline is reported once to `onTransition` with its reason,
/// so the daemon can log it and record an `offline` / `online` event (the detector itself stays pure).
public actor OnlineMonitor<C: Clock> where C.Duration == Duration {
    /// `offline` is the new state; `reason` says what caused the change.
    public typealias TransitionHandler = @Sendable (_ offline: Bool, _ reason: String) -> Void

    private var detector: OnlineDetector<C.Instant>
    private let clock: C
    private let onTransition: TransitionHandler?

    public init(clock: C, detector: OnlineDetector<C.Instant> = OnlineDetector(), onTransition: TransitionHandler? = nil) {
        self.clock = clock; self.detector = detector; self.onTransition = onTransition
    }

    public var isOffline: Bool { detector.isOffline }
    /// How many answers e-guma gave so far: an outage (for `offline_max_admissions`) ends when
    /// this moves.
    public private(set) var answers: UInt64 = 0

    /// Whether to try e-guma now (always when online; one probe per interval when offline).
    public func shouldTryCall() -> Bool { detector.shouldTryCall(at: clock.now) }

    public func recordAnswer(latency: Duration) {
        answers &+= 1
        let before = detector.isOffline
        detector.recordAnswer(latency: latency, at: clock.now)
        report(from: before, reason: latency > detector.slowCall
               ? "e-guma answers too slowly (\(latency) for one call)" : "e-guma answered again")
    }

    public func recordFailure(reason: String = "a call to e-guma failed") {
        let before = detector.isOffline
        detector.recordFailure(at: clock.now)
        report(from: before, reason: reason)
    }

    /// Feeds the outcome of one call: connectivity failures count, any answer resets.
    public func record(_ error: VoucherServiceError?, latency: Duration) {
        if let error, error.isConnectivityFailure { recordFailure(reason: error.detail) } else { recordAnswer(latency: latency) }
    }

    private func report(from before: Bool, reason: String) {
        guard before != detector.isOffline else { return }
        onTransition?(detector.isOffline, reason)
    }
}
