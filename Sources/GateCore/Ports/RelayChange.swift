/// What a relay did, as it publishes it (`Relay.changes()`).
public enum RelayChange: Sendable, Hashable {
    /// Why the relay is energised.
    public enum Cause: Sendable, Hashable {
        /// A pulse energised it, or found it already held released by the emergency hold: either
        /// way the turnstile is released now.
        case pulse
        /// The emergency contact opened: the relay is held released until it closes.
        case emergencyHold
    }

    /// The relay is energised (the turnstile is released).
    case energised(Cause)
    /// The relay was driven inactive again (pulse end, cancel, guard, hold end, stop).
    case released
    /// A pulse could not drive the line: the turnstile stays locked and the pulse throws.
    case refused

    /// Whether this is a pulse's answer (`energised(.pulse)` or `refused`): each pulse has exactly one.
    public var answersPulse: Bool {
        switch self {
        case .energised(.pulse), .refused: true
        case .energised(.emergencyHold), .released: false
        }
    }
}
