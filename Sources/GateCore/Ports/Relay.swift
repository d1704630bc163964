/// A port: the turnstile release relay of one lane.
///
/// Implementations hold their output line for the daemon's lifetime and start it *inactive*;
/// they never energise the relay except inside `pulse` (and the emergency hold of adapters that
/// follow the emergency contact).
///
/// The relay publishes what it does (`changes()`) and whoever shows the guest what happened
/// follows it: the lane engine shows "walk through" the moment the relay says it is energised, so
/// the turnstile is released first and never later than the screen says. The relay never calls
/// back into the engine.
public protocol Relay: Sendable {
    /// Energises the relay for `duration`, then drives it inactive again (also when cancelled).
    /// Throws when the line cannot be driven; the engine then cancels the redemption.
    ///
    /// Every call publishes exactly one answer, in call order, before it returns or throws:
    /// `.energised(.pulse)` (also when the relay is already held released by the emergency hold),
    /// or `.refused` when the line could not be driven, so nobody waits for an energise that
    /// never comes.
    func pulse(for duration: Duration) async throws
    /// Drives the relay inactive and keeps it so (used at stop, and by the emergency hold's end).
    func forceInactive() async
    /// What the relay does from now on, in order: each pulse's answer, the emergency hold's
    /// energise, and every release.
    func changes() -> AsyncStream<RelayChange>
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
