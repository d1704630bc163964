/// A port: the turnstile release relay of one lane.
///
/// Implementations hold their output line for the daemon's lifetime and start it *inactive*;
/// they never energise the relay except inside `pulse`.
public protocol Relay: Sendable {
    /// Energises the relay for `duration`, then drives it inactive again (also when cancelled).
    /// Throws when the line cannot be driven; the engine then cancels the redemption.
    func pulse(for duration: Duration) async throws
    /// `pulse(for:)` that runs `energised` the moment the relay is active (or already held open),
    /// before waiting out the rest of `duration`: the engine shows "walk through" then, so the
    /// turnstile is released first and never later than the screen says. Not called when the
    /// relay could not be energised.
    func pulse(for duration: Duration, energised: @Sendable () async -> Void) async throws
    /// Drives the relay inactive and keeps it so (used at stop, and by the emergency hold's end).
    func forceInactive() async
}

extension Relay {
    /// For relays that cannot tell the moment they are energised (test doubles): `energised`
    /// runs first, then the pulse.
    public func pulse(for duration: Duration, energised: @Sendable () async -> Void) async throws {
        await energised()
        try await pulse(for: duration)
    }
}

/// A port: the passage sensor (light barrier, turnstile rotation contact) of one lane.
public protocol PassageSensor: Sendable {
    /// Discards edges seen before this call, so a previous guest's passage is not counted.
    func arm() async
    /// Waits until a (debounced) passage edge arrives after `arm()`, or `timeout` elapses.
    /// Returns true on passage, false on timeout.
    func waitForPassage(timeout: Duration) async throws -> Bool
}

/// A port: LEDs and buzzer of one lane.
public protocol SignalLights: Sendable {
    func signal(_ pattern: SignalPattern) async
}

/// Light/buzzer patterns, distinct per outcome so a guest (and a technician) can tell them apart.
public enum SignalPattern: String, Sendable, Equatable, CaseIterable {
    case idle
    case accepted       // green steady while open, one short beep
    case denied         // red steady ~1.5 s, two short beeps
    case awaitingMore   // green+red blinking, one beep
    case outOfOrder     // red slow blink (scanner missing, e-guma offline with offline=deny)
    case emergency      // green steady
}
