/// Drives the durable outbox until e-guma confirms every entry (SPEC §3.7, §3 "Offline").
///
/// - Entries of one voucher run strictly in queue order: only the oldest pending entry of a
///   voucher is tried, so a cancel never overtakes the redeem it cancels.
/// - A failure that retrying cannot fix (a 4xx) dead-letters the entry with an operator event
///   (`offline_redeem_failed`, `cancel_failed`); anything else is retried with `RetryPolicy`.
/// - An offline redeem replay is Balance snapshot → intent → Redeem → token, with the same
///   uncertainty rule as a lane: never re-sent blindly.
///
/// Back-off times live in memory: after a restart every pending entry is due at once, which is
/// what one wants after a power cut.
public actor OutboxWorker<C: Clock> where C.Duration == Duration {
    private let store: any OutboxStore
    private let journal: any AdmissionJournal
    private let services: [String: any VoucherService]
    private let policy: RetryPolicy
    private let clock: C
    private let online: OnlineMonitor<C>?
    private let unitRandom: @Sendable () -> Double
    private let wake = WakeSignal()
    private var notBefore: [Int64: C.Instant] = [:]

    /// - Parameters:
    ///   - services: the voucher service of each outlet, by outlet name.
    ///   - unitRandom: a random number in [0, 1) for jitter (injected so tests are repeatable).
    public init(store: any OutboxStore, journal: any AdmissionJournal, services: [String: any VoucherService],
                policy: RetryPolicy = RetryPolicy(), clock: C, online: OnlineMonitor<C>? = nil,
                unitRandom: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        self.store = store; self.journal = journal; self.services = services; self.policy = policy
        self.clock = clock; self.online = online; self.unitRandom = unitRandom
    }

    /// Something was queued (or an operator asked for a retry): look now.
    public nonisolated func kick() { wake.signal() }

    /// Settles what a crash left behind, then works the outbox until cancelled.
    public func run() async {
        await recoverInterrupted()
        while !Task.isCancelled {
            let next = await runOnce()
            let clock = self.clock
            let wake = self.wake
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await wake.wait() }
                if let next {
                    group.addTask { try? await clock.sleep(until: next, tolerance: nil) }
                }
                _ = await group.next()
                group.cancelAll()
            }
        }
    }

    /// Tries every due head-of-voucher entry once. Returns when the next retry is due, if any.
    @discardableResult
    public func runOnce() async -> C.Instant? {
        guard let pending = try? await store.pendingEntries() else { return clock.now.advanced(by: policy.base) }
        var seen: Set<VoucherCode> = []
        var next: C.Instant?
        for entry in pending {
            let code = VoucherCode(unchecked: entry.operation.code.undashed)
            guard seen.insert(code).inserted else { continue }  // a later entry of a voucher waits its turn
            if let due = notBefore[entry.id], clock.now < due {
                next = min(next ?? due, due)
                continue
            }
            if let retryAt = await attempt(entry) { next = min(next ?? retryAt, retryAt) }
        }
        let live = Set(pending.map(\.id))
        notBefore = notBefore.filter { live.contains($0.key) }
        return next
    }

    // MARK: One attempt

    /// Returns the retry time when the entry stays pending.
    private func attempt(_ entry: OutboxEntry) async -> C.Instant? {
        switch entry.operation {
        case .cancel(let order): return await attemptCancel(entry, order)
        case .offlineRedeem(let order): return await attemptRedeem(entry, order)
        case .settle(let order): return await attemptSettle(entry, order)
        }
    }

    private func attemptSettle(_ entry: OutboxEntry, _ order: SettleOrder) async -> C.Instant? {
        guard let service = services[order.outlet] else {
            return await dead(entry, .tokenUnknown, lane: order.lane, admission: order.admission, code: order.code,
                              amount: order.amountCents, message: "cannot settle: unknown outlet \(order.outlet)")
        }
        let intent = RedemptionIntent(admission: order.admission, lane: order.lane, outlet: order.outlet,
                                      code: VoucherCode(unchecked: order.code), amount: Money(cents: order.amountCents),
                                      reference: "", balanceBefore: Money(cents: order.balanceBeforeCents))
        let stored = StoredRedemption(id: order.redemption, intent: intent, state: .intent, token: nil, balanceAfter: nil)
        guard await settle(stored, service: service) != nil else {
            return await retry(entry, "e-guma unreachable: cannot settle yet")
        }
        try? await store.markDone(entry.id)
        return nil
    }

    private func attemptCancel(_ entry: OutboxEntry, _ order: CancelOrder) async -> C.Instant? {
        let code = VoucherCode(unchecked: order.code)
        var token = order.token
        var redemption = order.redemption
        if token == nil {
            // Queued before the offline replay ran: its outcome is in the journal by now.
            let stored: StoredRedemption?
            do { stored = try await journal.redemption(reference: order.reference) } catch {
                return await retry(entry, "journal not readable")
            }
            switch stored?.state {
            case .redeemed?, .cancelQueued?:
                token = stored?.token; redemption = stored?.id
            case .notRedeemed?, .cancelled?, nil:
                try? await store.markDone(entry.id)  // nothing was taken: nothing to cancel
                return nil
            case .tokenUnknown?:
                return await dead(entry, .cancelFailed, lane: order.lane, admission: order.admission, code: order.code,
                                  amount: order.amountCents, message: "redeem token unknown: refund by hand in e-guma")
            case .intent?:
                return await retry(entry, "the redeem it cancels is not settled yet")
            }
        }
        guard let token, let service = services[order.outlet] else {
            return await dead(entry, .cancelFailed, lane: order.lane, admission: order.admission, code: order.code,
                              amount: order.amountCents, message: "no token or unknown outlet \(order.outlet)")
        }
        let started = clock.now
        do throws(VoucherServiceError) {
            let balance = try await service.cancel(code, token: token, amount: Money(cents: order.amountCents))
            await online?.recordAnswer(latency: started.duration(to: clock.now))
            try? await store.markDone(entry.id)
            if let redemption { try? await journal.updateRedemption(redemption, state: .cancelled, balanceAfter: balance) }
            await emit(.cancelled, lane: order.lane, admission: order.admission, code: order.code,
                       amount: order.amountCents, balance: balance.cents, message: "from outbox")
            return nil
        } catch {
            await online?.record(error, latency: started.duration(to: clock.now))
            if case .rejected(let message) = error.kind {
                return await dead(entry, .cancelFailed, lane: order.lane, admission: order.admission, code: order.code,
                                  amount: order.amountCents, message: message)
            }
            return await retry(entry, error.detail)
        }
    }

    private func attemptRedeem(_ entry: OutboxEntry, _ order: OfflineRedeemOrder) async -> C.Instant? {
        let code = VoucherCode(unchecked: order.code)
        let amount = Money(cents: order.amountCents)
        guard let service = services[order.outlet] else {
            return await dead(entry, .offlineRedeemFailed, lane: order.lane, admission: order.admission, code: order.code,
                              amount: order.amountCents, message: "unknown outlet \(order.outlet)")
        }
        // An earlier try of this very replay (the process died, or the answer was lost)?
        let earlier: StoredRedemption?
        do { earlier = try await journal.redemption(reference: order.reference) } catch {
            return await retry(entry, "journal not readable")
        }
        if let earlier {
            switch earlier.state {
            case .redeemed, .tokenUnknown, .cancelQueued, .cancelled:
                try? await store.markDone(entry.id)
                return nil
            case .intent:
                guard let settled = await settle(earlier, service: service) else {
                    return await retry(entry, "earlier try not settled yet (e-guma unreachable)")
                }
                if settled != .notRedeemed { try? await store.markDone(entry.id); return nil }
            case .notRedeemed:
                break
            }
        }

        let started = clock.now
        let snapshot: VoucherBalance
        do throws(VoucherServiceError) {
            snapshot = try await service.balance(of: code)
            await online?.recordAnswer(latency: started.duration(to: clock.now))
        } catch {
            await online?.record(error, latency: started.duration(to: clock.now))
            if case .rejected(let message) = error.kind {
                return await dead(entry, .offlineRedeemFailed, lane: order.lane, admission: order.admission,
                                  code: order.code, amount: order.amountCents, message: message)
            }
            return await retry(entry, error.detail)
        }
        guard snapshot.isRedeemable else {
            return await dead(entry, .offlineRedeemFailed, lane: order.lane, admission: order.admission, code: order.code,
                              amount: order.amountCents, message: snapshot.message ?? "not redeemable")
        }
        guard snapshot.balance >= amount else {
            return await dead(entry, .offlineRedeemFailed, lane: order.lane, admission: order.admission, code: order.code,
                              amount: order.amountCents,
                              message: "balance \(snapshot.balance) is below the price \(amount)")
        }
        let intent = RedemptionIntent(admission: order.admission, lane: order.lane, outlet: order.outlet,
                                      code: snapshot.code, amount: amount, reference: order.reference,
                                      balanceBefore: snapshot.balance)
        guard let redemption = try? await journal.recordIntent(intent) else {
            return await retry(entry, "journal not writable")
        }
        guard (try? await store.isPending(entry.id)) == true else {
            // Withdrawn meanwhile (the guest never walked through): nothing may be taken.
            try? await journal.updateRedemption(redemption, state: .notRedeemed, balanceAfter: nil)
            return nil
        }
        let sent = clock.now
        do throws(VoucherServiceError) {
            let answer = try await service.redeem(snapshot.code, amount: amount, reference: order.reference)
            await online?.recordAnswer(latency: sent.duration(to: clock.now))
            try? await journal.recordRedeemed(redemption, token: answer.token, balanceAfter: answer.newBalance)
            try? await store.markDone(entry.id)
            await emit(.redeemed, lane: order.lane, admission: order.admission, code: snapshot.code.text,
                       amount: amount.cents, balance: answer.newBalance.cents, message: "offline redeem replayed")
            return nil
        } catch {
            await online?.record(error, latency: sent.duration(to: clock.now))
            if error.kind == .uncertain {
                let stored = StoredRedemption(id: redemption, intent: intent, state: .intent, token: nil, balanceAfter: nil)
                if let settled = await settle(stored, service: service), settled != .notRedeemed {
                    try? await store.markDone(entry.id)
                    return nil
                }
                return await retry(entry, error.detail)
            }
            try? await journal.updateRedemption(redemption, state: .notRedeemed, balanceAfter: nil)
            if case .rejected(let message) = error.kind {
                return await dead(entry, .offlineRedeemFailed, lane: order.lane, admission: order.admission,
                                  code: order.code, amount: order.amountCents, message: message)
            }
            return await retry(entry, error.detail)
        }
    }

    // MARK: Recovery

    /// After a crash: settles redeems whose outcome was never recorded (Balance against the
    /// balance before, never a re-send), and cancels what admissions cut short had taken (the
    /// passage was never confirmed, so the guest keeps the money). Call before lanes start.
    public func recoverInterrupted() async {
        guard let open = try? await journal.unsettledRedemptions() else { return }
        var closed: Set<Int64> = []
        for r in open {
            guard let service = services[r.intent.outlet] else { continue }
            var state = r.state
            if state == .intent {
                guard let settled = await settle(r, service: service) else { continue }
                state = settled
            }
            // An offline admission's guest was let in before its redeem: never cancel that one.
            let isOfflineReplay = (try? await journal.isOfflineAdmission(r.intent.admission)) ?? true
            if state == .redeemed, let token = r.token, !isOfflineReplay {
                let order = CancelOrder(lane: r.intent.lane, outlet: r.intent.outlet, admission: r.intent.admission,
                                        redemption: r.id, code: r.intent.code.text, token: token,
                                        reference: r.intent.reference, amountCents: r.intent.amount.cents)
                if (try? await store.enqueue(.cancel(order))) != nil {
                    try? await journal.updateRedemption(r.id, state: .cancelQueued, balanceAfter: nil)
                    await emit(.cancelQueued, lane: r.intent.lane, admission: r.intent.admission, code: r.intent.code.text,
                               amount: r.intent.amount.cents, balance: nil, message: "admission interrupted by a restart")
                }
            }
            if !isOfflineReplay, closed.insert(r.intent.admission).inserted {
                try? await journal.closeAdmission(r.intent.admission, outcome: .cancelled)
            }
        }
    }

    /// Settles a redemption with an unknown outcome by Balance. Returns the settled state, or nil
    /// when e-guma cannot be asked now.
    private func settle(_ r: StoredRedemption, service: any VoucherService) async -> RedemptionState? {
        guard let now = try? await service.balance(of: r.intent.code) else { return nil }
        if now.balance == r.intent.balanceBefore - r.intent.amount {
            try? await journal.updateRedemption(r.id, state: .tokenUnknown, balanceAfter: now.balance)
            await emit(.tokenUnknown, lane: r.intent.lane, admission: r.intent.admission, code: r.intent.code.text,
                       amount: r.intent.amount.cents, balance: now.balance.cents,
                       message: "redeem took effect but its token was lost; it cannot be cancelled through the API")
            return .tokenUnknown
        }
        try? await journal.updateRedemption(r.id, state: .notRedeemed, balanceAfter: now.balance)
        return .notRedeemed
    }

    // MARK: Bookkeeping

    private func retry(_ entry: OutboxEntry, _ error: String) async -> C.Instant {
        let delay = policy.delay(afterAttempts: entry.attempts + 1, unitRandom: unitRandom())
        try? await store.markRetry(entry.id, error: error, delay: delay)
        let due = clock.now.advanced(by: delay)
        notBefore[entry.id] = due
        return due
    }

    private func dead(_ entry: OutboxEntry, _ type: GateEventType, lane: String, admission: Int64, code: String,
                      amount: Int64, message: String) async -> C.Instant? {
        try? await store.markDead(entry.id, error: message)
        await emit(type, lane: lane, admission: admission, code: code, amount: amount, balance: nil, message: message)
        return nil
    }

    private func emit(_ type: GateEventType, lane: String, admission: Int64, code: String, amount: Int64,
                      balance: Int64?, message: String?) async {
        try? await journal.append(GateEvent(type, lane: lane, admission: admission, code: code,
                                            amountCents: amount, balanceCents: balance, message: message))
    }
}
