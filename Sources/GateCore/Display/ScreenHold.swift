import Synchronization

/// Returns a lane's screen to idle after a hold (`screen_hold_ms`): a denied, cancelled, offline
/// or balance answer stays up long enough to read, then the lane invites the next guest — and
/// one guest's answer is never left up for the next one.
///
/// A decorator of the lane's `GuestFeedback`, so gate lanes and balance-check lanes share one
/// rule and the engine stays free of display timing. Any later state cancels the pending return;
/// the clock is injected (a test clock in tests).
public final class ScreenHold<C: Clock>: GuestFeedback, Sendable where C.Duration == Duration {
    private struct Pending {
        var hold: Duration
        /// Counts `show` calls: a timer only acts if no state was shown after the one it holds.
        var generation = 0
        var timer: Task<Void, Never>?
    }

    private let screen: any GuestFeedback
    private let clock: C
    private let pending: Mutex<Pending>

    public init(_ screen: any GuestFeedback, hold: Duration, clock: C) {
        self.screen = screen; self.clock = clock; pending = Mutex(Pending(hold: hold))
    }

    /// A reload changed `screen_hold_ms`: applies from the next held screen on.
    public func update(hold: Duration) { pending.withLock { $0.hold = hold } }

    public var hold: Duration { pending.withLock { $0.hold } }

    public func show(_ state: GuestState) async {
        let (generation, hold) = pending.withLock { p in
            p.timer?.cancel()
            p.timer = nil
            p.generation += 1
            return (p.generation, p.hold)
        }
        await screen.show(state)
        guard Self.isHeld(state) else { return }
        let timer = Task { [self] in
            do { try await clock.sleep(for: hold) } catch { return }
            guard pending.withLock({ $0.generation == generation }) else { return }
            await screen.show(.idle)
        }
        pending.withLock { p in
            if p.generation == generation { p.timer = timer } else { timer.cancel() }
        }
    }

    /// States that answer a guest and then give the lane back (the emergency screen answers a
    /// scan during the hold); the others move on by themselves (checking, accepted, walk through,
    /// waiting for more) or must stay until the lane works again (out of order: a missing scanner
    /// or an unwritable journal).
    static func isHeld(_ state: GuestState) -> Bool {
        switch state {
        case .denied(.outOfOrder): false
        case .denied, .cancelled, .offline, .balance, .emergency: true
        case .idle, .checking, .accepted, .awaitingMore, .walkThrough: false
        }
    }
}
