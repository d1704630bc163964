/// Drives the durable outbox until e-guma confirms every entry (SPEC §3.7, §3 "Offline").
///
/// - Entries of one voucher run strictly in queue order: only the oldest pending entry of a
///   voucher is tried, so a cancel never overtakes the redeem it cancels.
/// - A failure that retrying cannot fix (a 4xx) dead-letters the entry with an operator event
///   (`offline_redeem_failed`, `cancel_failed`); anything else is retried with `RetryPolicy`.
/// - An offline redeem replay is Balance snapshot → intent → Redeem → token, with the same
///   uncertainty rule as a lane: never re-sent blindly.
/// - An uncertain redeem is settled by a `settle` entry: Balance checks on `SettleSchedule`'s
///   delays. Settle entries only read, so they do not wait behind other entries of their voucher.
/// - Settling is idempotent: every settle re-reads the redemption and changes it with a guarded
///   update (`settleRedemption`), so two workers or a restart raise one event per redemption.
/// - A cancel e-guma refuses is checked by Balance before it counts as `cancel_failed`: a retry
///   of a cancel whose answer was lost is refused although the first try was applied.
///
/// Back-off times live in memory: after a restart every pending entry is due at once, which is
/// what one wants after a power cut — except `settle` checks, whose delays are evidence: they
/// keep the wait the store recorded.
public actor OutboxWorker<C: Clock> where C.Duration == Duration {
    private let store: any OutboxStore
    private let journal: any AdmissionJournal
    private let services: [String: any VoucherService]
    private let evidence: [String: any RedemptionEvidence]
    private let policy: RetryPolicy
    private let settleSchedule: SettleSchedule
    private let clock: C
    private let online: OnlineMonitor<C>?
    private let unitRandom: @Sendable () -> Double
    private let wake = WakeSignal()
    private var notBefore: [Int64: C.Instant] = [:]
    /// Per settle entry: when this worker first checked it, and the entry's age then. The wall
    /// clock is read once per process; from then on the injected clock measures.
    private var firstChecked: [Int64: (at: C.Instant, age: Duration)] = [:]
    /// `intent` redemptions of closed admissions, and when the sweep first saw each.
    private var forgotten: [Int64: C.Instant] = [:]
    private let forgottenAfter: Duration
    private static var sweepEvery: Duration { .seconds(60) }

    /// - Parameters:
    ///   - services: the voucher service of each outlet, by outlet name.
    ///   - unitRandom: a random number in [0, 1) for jitter (injected so tests are repeatable).
    ///   - evidence: per outlet, e-guma's redemption list: the first evidence a settle check asks.
    public init(store: any OutboxStore, journal: any AdmissionJournal, services: [String: any VoucherService],
                policy: RetryPolicy = RetryPolicy(), settleSchedule: SettleSchedule = SettleSchedule(), clock: C,
                online: OnlineMonitor<C>? = nil,
                unitRandom: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
                evidence: [String: any RedemptionEvidence] = [:], forgottenAfter: Duration = .seconds(180)) {
        self.store = store; self.journal = journal; self.services = services; self.policy = policy
        self.forgottenAfter = forgottenAfter
        self.evidence = evidence
        self.settleSchedule = settleSchedule
        self.clock = clock; self.online = online; self.unitRandom = unitRandom
    }

    /// Something was queued (or an operator asked for a retry): look now.
    public nonisolated func kick() { wake.signal() }

    /// Settles what a crash left behind, then works the outbox until cancelled.
    public func run() async {
        await recoverInterrupted()
        var nextSweep = clock.now
        while !Task.isCancelled {
            if clock.now >= nextSweep {
                await settleForgottenIntents()
                nextSweep = clock.now.advanced(by: Self.sweepEvery)
            }
            let next = await runOnce()
            let clock = self.clock
            let wake = self.wake
            let until = min(next ?? nextSweep, nextSweep)
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await wake.wait() }
                group.addTask { try? await clock.sleep(until: until, tolerance: nil) }
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
            // A later entry of a voucher waits its turn; a settle only reads, so it never waits
            // (an offline cancel may be waiting for it).
            guard entry.operation.onlyReads || seen.insert(code).inserted else { continue }
            if notBefore[entry.id] == nil, entry.operation.onlyReads, let wait = entry.dueIn {
                notBefore[entry.id] = clock.now.advanced(by: wait)  // after a restart: its delay still runs
            }
            if let due = notBefore[entry.id], clock.now < due {
                next = min(next ?? due, due)
                continue
            }
            if let retryAt = await attempt(entry) { next = min(next ?? retryAt, retryAt) }
        }
        let live = Set(pending.map(\.id))
        notBefore = notBefore.filter { live.contains($0.key) }
        firstChecked = firstChecked.filter { live.contains($0.key) }
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

    /// One Balance check of an uncertain redeem (issue 12 items 1 and 6). Re-reads the
    /// redemption first: anything already settled (by another worker, before a restart) closes
    /// the entry without a call or an event.
    private func attemptSettle(_ entry: OutboxEntry, _ order: SettleOrder) async -> C.Instant? {
        guard let service = services[order.outlet] else {
            return await dead(entry, .settleUnclear, lane: order.lane, admission: order.admission, code: order.code,
                              amount: order.amountCents, message: "cannot settle: unknown outlet \(order.outlet) — add it back or settle by hand in e-guma")
        }
        let stored: StoredRedemption?
        do { stored = try await journal.redemption(id: order.redemption) } catch {
            return await retry(entry, "journal not readable")
        }
        guard let stored, stored.state == .intent || stored.state == .uncertain else {
            try? await store.markDone(entry.id)
            return nil
        }
        let before = Money(cents: order.balanceBeforeCents), amount = Money(cents: order.amountCents)
        // Another redemption, cancel or offline redeem of this voucher since the intent moves the
        // balance (and the list) the same way this redeem would: nothing proves anything then.
        guard let busy = await otherActivity(on: order.code, after: stored.id) else { return await retry(entry, "journal not readable") }
        if busy {
            return await dead(entry, .settleUnclear, lane: order.lane, admission: order.admission, code: order.code,
                              amount: order.amountCents,
                              message: "a redeem of \(amount) whose outcome was lost cannot be settled: the voucher had other redemptions, "
                                + "cancels or offline redeems since, so its balance proves nothing — check the voucher's history in e-guma "
                                + "(reference \(stored.intent.reference)); if this redeem took effect, "
                                + (order.guestEntered == true ? "nothing is owed; if not, the offline guest's price is still to be collected"
                                                               : "refund the guest"))
        }
        // The list is the strongest evidence: it names this redemption, not just a balance move.
        let listed = await evidence[order.outlet]?.listShows(stored) ?? false
        let now: VoucherBalance?
        let verdict: SettleSchedule.Verdict
        if listed {
            now = nil
            verdict = .applied
        } else {
            let balance: VoucherBalance
            do throws(VoucherServiceError) { balance = try await self.balance(of: VoucherCode(unchecked: order.code), service) } catch {
                return await retry(entry, "check \(entry.attempts + 1): \(error.detail)", after: settleSchedule.delay(afterCheck: entry.attempts))
            }
            now = balance
            verdict = settleSchedule.judge(balanceBefore: before, amount: amount, now: balance.balance, check: entry.attempts,
                                           elapsed: elapsed(entry))
        }
        switch verdict {
        case .applied:
            let message = order.guestEntered == true
                ? "offline redeem took effect late; its token was lost, so it cannot be cancelled through the API"
                : "charged without entry — refund the guest (the redeem took effect after the gate gave up; its token is lost)"
            let event = GateEvent(.tokenUnknown, lane: order.lane, admission: order.admission, code: order.code,
                                  amountCents: order.amountCents, balanceCents: now?.balance.cents,
                                  message: listed ? message + " (shown in e-guma's redemption list)" : message)
            guard (try? await journal.settleRedemption(stored.id, from: [.intent, .uncertain], to: .tokenUnknown,
                                                       balanceAfter: now?.balance, event: event)) != nil else {
                return await retry(entry, "journal not writable")
            }
        case .notApplied:
            // The replay is queued before the state change: a crash in between queues it twice at
            // worst, and a replay finds an earlier one by its reference.
            var queued: Int64?
            if let replay = order.replay {
                guard let id = try? await store.enqueue(.offlineRedeem(replay)) else { return await retry(entry, "outbox not writable") }
                queued = id
            }
            guard let changed = try? await journal.settleRedemption(stored.id, from: [.intent, .uncertain], to: .notRedeemed,
                                                                    balanceAfter: now?.balance, event: nil) else {
                if let queued { _ = try? await store.withdraw(queued) }
                return await retry(entry, "journal not writable")
            }
            if !changed, let queued { _ = try? await store.withdraw(queued) }
        case .notYet(let wait):
            return await retry(entry, "check \(entry.attempts + 1): balance unchanged, not proven either way yet", after: wait)
        case .unclear:
            return await dead(entry, .settleUnclear, lane: order.lane, admission: order.admission, code: order.code,
                              amount: order.amountCents,
                              message: "balance is \(now.map { "\($0.balance)" } ?? "unknown"), was \(before) before a redeem of \(amount) whose outcome was lost: "
                                + "it moved by another amount — check the voucher's history in e-guma; if this redeem took effect, "
                                + (order.guestEntered == true ? "nothing is owed; if not, the offline guest's price is still to be collected"
                                                               : "refund the guest"))
        }
        try? await store.markDone(entry.id)
        return nil
    }

    private func attemptCancel(_ entry: OutboxEntry, _ order: CancelOrder) async -> C.Instant? {
        let code = VoucherCode(unchecked: order.code)
        var token = order.token
        var redemption = order.redemption
        var balanceAfter = order.balanceAfterRedeemCents.map(Money.init(cents:))
        if token == nil {
            // Queued before the offline replay ran: its outcome is in the journal by now.
            let stored: StoredRedemption?
            do { stored = try await journal.redemption(reference: order.reference) } catch {
                return await retry(entry, "journal not readable")
            }
            switch stored?.state {
            case .redeemed?, .cancelQueued?:
                token = stored?.token; redemption = stored?.id
                balanceAfter = stored?.balanceAfter
            case .notRedeemed?, .cancelled?, nil:
                try? await store.markDone(entry.id)  // nothing was taken: nothing to cancel
                return nil
            case .tokenUnknown?:
                return await dead(entry, .cancelFailed, lane: order.lane, admission: order.admission, code: order.code,
                                  amount: order.amountCents, message: "redeem token unknown: refund by hand in e-guma")
            case .intent?, .uncertain?:
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
                if balanceAfter == nil, let redemption {
                    balanceAfter = (try? await journal.redemption(id: redemption))?.balanceAfter
                }
                return await refusedCancel(entry, order, redemption: redemption, balanceAfter: balanceAfter,
                                           refusal: message, service: service)
            }
            return await retry(entry, error.detail)
        }
    }

    /// e-guma refused a cancel (issue 12 item 2). When an earlier try was applied but its answer
    /// was lost, the retry is refused ("amount exceeds the redeemed amount") although the money
    /// is back. Evidence of that: the balance is the balance right after the redeem plus the
    /// amount → closed as cancelled. Anything else (or nothing to compare with) is a real
    /// refusal: `cancel_failed`. Balance unreachable → decided at the next try.
    private func refusedCancel(_ entry: OutboxEntry, _ order: CancelOrder, redemption: Int64?, balanceAfter: Money?,
                               refusal: String, service: any VoucherService) async -> C.Instant? {
        let amount = Money(cents: order.amountCents)
        guard let balanceAfter else {
            return await dead(entry, .cancelFailed, lane: order.lane, admission: order.admission, code: order.code,
                              amount: order.amountCents, message: "\(refusal) — refund by hand in e-guma if the guest was charged")
        }
        if let redemption {
            guard let busy = await otherActivity(on: order.code, after: redemption) else {
                return await retry(entry, "cancel refused (\(refusal)); journal not readable to check it")
            }
            if busy {
                // The balance also moved by other charges or cancels of this voucher: no verdict.
                return await dead(entry, .settleUnclear, lane: order.lane, admission: order.admission, code: order.code,
                                  amount: order.amountCents,
                                  message: "\(refusal) — the voucher had other redemptions or cancels since, so its balance cannot tell "
                                    + "whether an earlier try of this cancel was applied: check the voucher's history in e-guma "
                                    + "(reference \(order.reference)) and refund by hand if the guest is still charged")
            }
        }
        let now: VoucherBalance
        do throws(VoucherServiceError) { now = try await balance(of: VoucherCode(unchecked: order.code), service) } catch {
            return await retry(entry, "cancel refused (\(refusal)); Balance to check it failed: \(error.detail)")
        }
        guard now.balance == balanceAfter + amount else {
            return await dead(entry, .cancelFailed, lane: order.lane, admission: order.admission, code: order.code,
                              amount: order.amountCents,
                              message: "\(refusal) — balance \(now.balance) is not back up by \(amount) from \(balanceAfter): "
                                + "check the voucher in e-guma and refund by hand if the guest was charged")
        }
        try? await store.markDone(entry.id)
        let event = GateEvent(.cancelled, lane: order.lane, admission: order.admission, code: order.code,
                              amountCents: order.amountCents, balanceCents: now.balance.cents,
                              message: "from outbox: an earlier try was applied (its answer was lost); the balance is back up")
        if let redemption {
            _ = try? await journal.settleRedemption(redemption, from: [.redeemed, .cancelQueued], to: .cancelled,
                                                    balanceAfter: now.balance, event: event)
        } else {
            try? await journal.append(event)
        }
        return nil
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
                // A crash during an earlier try: settled by the checks, which queue the replay
                // again if it was not applied.
                return await deferToSettle(entry, earlier, order)
            case .uncertain:
                try? await store.markDone(entry.id)  // its settle entry decides (and replays if needed)
                return nil
            case .notRedeemed:
                break
            }
        }
        // The guest never walked through (the lane closed the admission as cancelled): nothing is
        // owed. This matters when a replay is queued again after its first try proved not applied.
        // A journal that cannot say is no answer: "not cancelled" would charge a guest who may
        // never have walked through.
        let outcome: AdmissionOutcome?
        do { outcome = try await journal.outcome(ofAdmission: order.admission) } catch {
            return await retry(entry, "journal not readable")
        }
        if outcome == .cancelled {
            try? await store.markDone(entry.id)
            return nil
        }

        let snapshot: VoucherBalance
        do throws(VoucherServiceError) { snapshot = try await balance(of: code, service) } catch {
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
                return await deferToSettle(entry, stored, order)
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

    /// After a crash: settles redeems whose outcome was never recorded (never a re-send), and
    /// cancels what admissions cut short had taken (the passage was never confirmed, so the guest
    /// keeps the money). Call before lanes start.
    ///
    /// An interrupted redeem is proven applied by a Balance showing balance-before − amount
    /// (`token_unknown`: refund the guest); anything else proves nothing, so it goes to a `settle`
    /// entry (`SettleSchedule`). An offline replay's interrupted redeem is left to its own entry.
    public func recoverInterrupted() async {
        guard let open = try? await journal.unsettledRedemptions() else { return }
        var closed: Set<Int64> = []
        for r in open {
            guard let service = services[r.intent.outlet] else { continue }
            // An offline admission's guest was let in before its redeem: never cancel that one.
            let isOfflineReplay = (try? await journal.isOfflineAdmission(r.intent.admission)) ?? true
            if r.state == .intent, !isOfflineReplay {
                await recoverIntent(r, service: service)
            }
            var cancelOwed = false
            if r.state == .redeemed, let token = r.token, !isOfflineReplay {
                let order = CancelOrder(lane: r.intent.lane, outlet: r.intent.outlet, admission: r.intent.admission,
                                        redemption: r.id, code: r.intent.code.text, token: token,
                                        reference: r.intent.reference, amountCents: r.intent.amount.cents,
                                        balanceAfterRedeemCents: r.balanceAfter?.cents)
                do {
                    try await store.queueCancel(order)
                    await emit(.cancelQueued, lane: r.intent.lane, admission: r.intent.admission, code: r.intent.code.text,
                               amount: r.intent.amount.cents, balance: nil, message: "admission interrupted by a restart")
                } catch {
                    // The admission stays open, so the redemption stays in `unsettledRedemptions`
                    // and the next start queues its cancel: closing it now would leave the guest
                    // charged with nothing owed back in the journal.
                    cancelOwed = true
                    await emit(.settleUnclear, lane: r.intent.lane, admission: r.intent.admission, code: r.intent.code.text,
                               amount: r.intent.amount.cents, balance: nil,
                               message: "admission interrupted by a restart: its cancel could not be queued (\(error)); it is queued at the "
                                 + "next start once the journal can be written — do not refund by hand meanwhile (reference \(r.intent.reference))")
                }
            }
            // Only admissions still open: one that ended (entered, denied) keeps its outcome.
            if !isOfflineReplay, !cancelOwed, closed.insert(r.intent.admission).inserted, await isOpen(r.intent.admission) {
                try? await journal.closeAdmission(r.intent.admission, outcome: .cancelled)
            }
        }
    }

    /// Whether an admission has no outcome yet. Unreadable: not open — closing it as cancelled
    /// could overwrite an "entered" that is there, and the next recovery of a readable journal
    /// still closes it.
    private func isOpen(_ admission: Int64) async -> Bool {
        do { return try await journal.outcome(ofAdmission: admission) == nil } catch { return false }
    }

    /// A lane's uncertain redeem whose settle entry could not be queued (disk full) stays
    /// `intent`, which only a restart used to look at — and lanes now return to service without
    /// one. Swept every minute while running: an `intent` of a closed admission (the lane is done
    /// with it), not an offline replay's (its own entry settles it), without a pending settle
    /// entry, seen for `forgottenAfter`, is settled as at recovery.
    public func settleForgottenIntents() async {
        guard let open = try? await journal.unsettledRedemptions(), let pending = try? await store.pendingEntries() else { return }
        let settling = Set(pending.compactMap { entry -> Int64? in
            if case .settle(let order) = entry.operation { return order.redemption }
            return nil
        })
        var seen: [Int64: C.Instant] = [:]
        for r in open where r.state == .intent && !settling.contains(r.id) {
            guard let outcome = try? await journal.outcome(ofAdmission: r.intent.admission),
                  (try? await journal.isOfflineAdmission(r.intent.admission)) == false,
                  let service = services[r.intent.outlet] else { continue }
            let first = forgotten[r.id] ?? clock.now
            seen[r.id] = first
            guard first.duration(to: clock.now) >= forgottenAfter else { continue }
            if outcome == .entered {
                await recoverIntent(r, service: service)
            } else if (try? await store.enqueue(.settle(SettleOrder(r, guestEntered: false)))) != nil {
                _ = try? await journal.settleRedemption(r.id, from: [.intent], to: .uncertain, balanceAfter: nil, event: nil)
            }
        }
        forgotten = seen
    }

    private func recoverIntent(_ r: StoredRedemption, service: any VoucherService) async {
        // The lane opens only after a redeem answered (or was proven applied): an entered
        // admission means the journal write of its answer failed, not that the guest was charged
        // without entry.
        // Unreadable: nothing is concluded now (a guest who entered would be reported "charged
        // without entry — refund"); the intent stays and the next sweep decides.
        let outcome: AdmissionOutcome?
        do { outcome = try await journal.outcome(ofAdmission: r.intent.admission) } catch { return }
        if outcome == .entered {
            let now = try? await service.balance(of: r.intent.code)
            let event = GateEvent(.tokenUnknown, lane: r.intent.lane, admission: r.intent.admission, code: r.intent.code.text,
                                  amountCents: r.intent.amount.cents, balanceCents: now?.balance.cents,
                                  message: "paid, entered — the redeem's answer was not journalled, so its token is lost and it cannot be "
                                    + "cancelled through the API; nothing to do unless e-guma's history shows no redemption (reference \(r.intent.reference))")
            _ = try? await journal.settleRedemption(r.id, from: [.intent], to: .tokenUnknown, balanceAfter: now?.balance, event: event)
            return
        }
        if let now = try? await service.balance(of: r.intent.code),
           settleSchedule.judge(balanceBefore: r.intent.balanceBefore, amount: r.intent.amount, now: now.balance, check: 0,
                                 elapsed: .zero) == .applied {
            let event = GateEvent(.tokenUnknown, lane: r.intent.lane, admission: r.intent.admission, code: r.intent.code.text,
                                  amountCents: r.intent.amount.cents, balanceCents: now.balance.cents,
                                  message: "charged without entry — refund the guest (the redeem took effect but the gate stopped before its answer; its token is lost)")
            _ = try? await journal.settleRedemption(r.id, from: [.intent], to: .tokenUnknown, balanceAfter: now.balance, event: event)
            return
        }
        if (try? await store.enqueue(.settle(SettleOrder(r, guestEntered: false)))) != nil {
            _ = try? await journal.settleRedemption(r.id, from: [.intent], to: .uncertain, balanceAfter: nil, event: nil)
        }
    }

    /// An offline replay's redeem with an unknown outcome: a `settle` entry takes it over (and
    /// queues the replay again if it proves not applied); this entry is done.
    private func deferToSettle(_ entry: OutboxEntry, _ r: StoredRedemption, _ order: OfflineRedeemOrder) async -> C.Instant? {
        guard (try? await store.enqueue(.settle(SettleOrder(r, guestEntered: true, replay: order)))) != nil else {
            return await retry(entry, "outbox not writable")
        }
        _ = try? await journal.settleRedemption(r.id, from: [.intent], to: .uncertain, balanceAfter: nil, event: nil)
        try? await store.markDone(entry.id)
        kick()
        return nil
    }

    // MARK: Bookkeeping

    /// Whether voucher `code` saw other activity since `redemption`'s intent; nil: unreadable.
    private func otherActivity(on code: String, after redemption: Int64) async -> Bool? {
        try? await store.otherActivity(on: VoucherCode(unchecked: code), after: redemption)
    }

    /// Time since a settle entry's intent, as far as this worker can vouch for it: the store's
    /// age when first checked here, plus what the injected clock measured since.
    private func elapsed(_ entry: OutboxEntry) -> Duration {
        let first = firstChecked[entry.id] ?? (clock.now, entry.age ?? .zero)
        firstChecked[entry.id] = first
        return first.age + first.at.duration(to: clock.now)
    }

    /// A Balance call whose outcome feeds the online detector.
    private func balance(of code: VoucherCode, _ service: any VoucherService) async throws(VoucherServiceError) -> VoucherBalance {
        let started = clock.now
        do throws(VoucherServiceError) {
            let answer = try await service.balance(of: code)
            await online?.recordAnswer(latency: started.duration(to: clock.now))
            return answer
        } catch {
            await online?.record(error, latency: started.duration(to: clock.now))
            throw error
        }
    }

    private func retry(_ entry: OutboxEntry, _ error: String, after fixed: Duration? = nil) async -> C.Instant {
        let delay = fixed ?? policy.delay(afterAttempts: entry.attempts + 1, unitRandom: unitRandom())
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
