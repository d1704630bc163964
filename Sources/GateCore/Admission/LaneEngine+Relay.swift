/// The pulse, and the screens that follow the relay: the relay publishes what it does
/// (`Relay.changes()`), the engine follows, and "accepted" / "walk through" are shown the moment
/// the relay says it is energised — the turnstile is released first and never later than the
/// screen says. The money rule is untouched: the pulse is asked for only once the token is durable.
extension LaneEngine {
    /// The screens of an admission that opens: shown once its pulse energised the relay.
    struct OpenScreens: Sendable {
        var newBalance: Money?
        var vouchers: [VoucherPaid]
    }

    /// The engine's side of following its relay.
    ///
    /// A relay answers every pulse exactly once and in order (`energised(.pulse)` or `refused`),
    /// so the n-th answer seen since the engine subscribed is the n-th pulse asked for since then:
    /// an energise of an earlier pulse that arrives late (a slow follower) can never show a later
    /// admission's screens before its own relay moved.
    struct RelayFollow: Sendable {
        /// Pulses asked for (counted per run from the subscription on).
        var asked = 0
        /// Pulse answers the subscription delivered.
        var answered = 0
        /// The screens waiting for pulse `pulse` to energise the relay.
        var pending: (pulse: Int, screens: OpenScreens)?
    }

    /// Pulses the relay; with `screens`, shows them the moment the relay says it is energised
    /// (or, when no one delivered that yet, once the pulse returned), exactly once. Throws when
    /// the relay could not be driven: the screens are not shown.
    func pulse(showing screens: OpenScreens?) async throws {
        relayFollow.asked += 1
        if let screens { relayFollow.pending = (relayFollow.asked, screens) }
        do {
            try await relay.pulse(for: settings.pulse)
        } catch {
            relayFollow.pending = nil
            await showPendingOpen()  // screens already being shown are on before the cancel's
            throw error
        }
        // An engine nobody follows the relay for (a test driving `handle`), or a subscription
        // not delivered yet: the pulse energised the relay, so the screens go on now.
        await showPendingOpen()
    }

    /// The relay did something (delivered by `follow`).
    public func relayChanged(_ change: RelayChange) async {
        guard change.answersPulse else { return }
        relayFollow.answered += 1
        guard change == .energised(.pulse), let pending = relayFollow.pending,
              pending.pulse == relayFollow.answered else { return }
        await showPendingOpen()
    }

    /// Shows the pending screens, or waits until screens being shown are on.
    func showPendingOpen() async {
        if let pending = relayFollow.pending {
            relayFollow.pending = nil
            showingOpen.update { $0 = true }
            await showOpen(pending.screens)
            showingOpen.update { $0 = false }
        } else if showingOpen.value {
            _ = await showingOpen.wait(until: { !$0 })
        }
    }

    /// Subscribes to the relay's changes; the count of answers starts at the pulses asked so far
    /// (call it when no pulse is in flight: before the first input).
    func subscribeToRelay() -> AsyncStream<RelayChange> {
        let changes = relay.changes()
        relayFollow.answered = relayFollow.asked
        return changes
    }

    /// Delivers the relay's changes to the engine until `changes` ends or the task is cancelled.
    nonisolated func follow(_ changes: AsyncStream<RelayChange>) async {
        for await change in changes { await relayChanged(change) }
    }

    /// Runs `body`, which drives the engine with `handle` instead of `run` (tests, tools), while
    /// a task this call holds follows the relay; the follower is cancelled when `body` returns.
    public func whileFollowingRelay<R: Sendable>(_ body: @Sendable () async -> R) async -> R {
        let changes = subscribeToRelay()  // before `body`'s first pulse
        return await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.follow(changes) }
            let result = await body()
            group.cancelAll()
            return result
        }
    }
}
