/// When a relay that has been active too long must be forced off.
///
/// A pulse ends by itself; the guard exists for the case where it does not (a bug asking for a
/// far too long pulse, a task that hangs). It allows the configured pulse plus a grace of a
/// quarter of it (at least 200 ms), so an ordinary pulse never trips it.
public struct PulseGuardPolicy: Hashable, Sendable {
    public var configuredPulse: Duration
    public var minimumGrace: Duration

    public init(configuredPulse: Duration, minimumGrace: Duration = .milliseconds(200)) {
        self.configuredPulse = configuredPulse
        self.minimumGrace = minimumGrace
    }

    /// The longest a relay may stay energised by a pulse.
    public var maximumOnTime: Duration {
        configuredPulse + max(configuredPulse / 4, minimumGrace)
    }

    /// Whether a relay energised `activeFor` ago must be forced off now.
    public func mustForceOff(activeFor: Duration) -> Bool {
        activeFor >= maximumOnTime
    }
}
