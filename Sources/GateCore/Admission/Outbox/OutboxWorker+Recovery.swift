/// What a crash (or a refused write) left behind: settled at start, swept while running.
///
/// Every write here is one store step; a refused one leaves the journal as it was, and what it
/// was about is found again — by the next start (an open admission with a redeemed voucher, an
/// `intent`) or by the sweep every minute (an `intent` of a closed admission).
extension OutboxWorker {
    /// After a crash: settles redeems whose outcome was never recorded (never a re-send), and
    /// cancels what admissions cut short had taken (the passage was never confirmed, so the guest
    /// keeps the money). Call before lanes start.
    ///
    /// An interrupted redeem is proven applied by a Balance showing balance-before − amount
    /// (`token_unknown`: refund the guest); anything else proves nothing, so it goes to a `settle`
    /// entry (`SettleSchedule`). An offline replay's interrupted redeem is left to its own entry.
    public func recoverInterrupted() async {
        let open: [StoredRedemption]
        do { open = try await journal.unsettledRedemptions() } catch { return }  // the next start reads again
        var interrupted: [Int64] = []  // admissions, in order
        var cancelOwed: Set<Int64> = []
        for r in open {
            guard let service = services[r.intent.outlet] else { continue }
            // An offline admission's guest was let in before its redeem: never cancel that one.
            // Unreadable: treated as offline (nothing is cancelled on a guess).
            let isOfflineReplay: Bool
            do { isOfflineReplay = try await journal.isOfflineAdmission(r.intent.admission) } catch { isOfflineReplay = true }
            if isOfflineReplay { continue }
            if !interrupted.contains(r.intent.admission) { interrupted.append(r.intent.admission) }
            if r.state == .intent {
                await recoverIntent(r, service: service)
            }
            if r.state == .redeemed, let token = r.token {
                // The cancel, its event and (once nothing else of it is unsettled) the
                // admission's closing: one step.
                let order = CancelOrder(lane: r.intent.lane, outlet: r.intent.outlet, admission: r.intent.admission,
                                        redemption: r.id, code: r.intent.code.text, token: token,
                                        reference: r.intent.reference, amountCents: r.intent.amount.cents,
                                        balanceAfterRedeemCents: r.balanceAfter?.cents)
                let queued = GateEvent(.cancelQueued, lane: r.intent.lane, admission: r.intent.admission, code: r.intent.code.text,
                                       amountCents: r.intent.amount.cents, message: "admission interrupted by a restart")
                if await !queueInterruptedCancel(order, event: queued) { cancelOwed.insert(r.intent.admission) }
            }
        }
        // Only admissions still open: one that ended (entered, denied) keeps its outcome.
        for admission in interrupted where !cancelOwed.contains(admission) {
            guard await isOpen(admission) else { continue }
            do { try await journal.closeAdmission(admission, outcome: .cancelled) } catch {
                // Left open: the next start finds it again (its intent is settled by then).
            }
        }
    }

    /// Queues the cancel of an interrupted admission (one step). Refused: the admission stays
    /// open — closing it would leave the guest charged with nothing owed back in the journal —
    /// and the order is kept: every sweep tries it again (no lane holds that admission: recovery
    /// runs before lanes start), and so does the next start.
    private func queueInterruptedCancel(_ order: CancelOrder, event: GateEvent) async -> Bool {
        do {
            try await store.queueInterruptedCancel(order, event: event)
            owedCancels[order.admission] = nil
            return true
        } catch {
            if owedCancels.updateValue((order, event), forKey: order.admission) == nil {
                await emit(.settleUnclear, lane: order.lane, admission: order.admission, code: order.code,
                           amount: order.amountCents, balance: nil,
                           message: "admission interrupted by a restart: its cancel could not be queued (\(error)); the gate queues it "
                             + "as soon as the journal can be written — do not refund by hand meanwhile (reference \(order.reference))")
            }
            return false
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
        let open: [StoredRedemption], pending: [OutboxEntry]
        do {
            open = try await journal.unsettledRedemptions()
            pending = try await store.pendingEntries()
        } catch { return }  // the next sweep reads again
        let settling = Set(pending.compactMap { entry -> Int64? in
            if case .settle(let order) = entry.operation { return order.redemption }
            return nil
        })
        for (order, event) in owedCancels.values.sorted(by: { $0.0.admission < $1.0.admission }) {
            _ = await queueInterruptedCancel(order, event: event)
        }
        var seen: [Int64: C.Instant] = [:]
        for r in open where r.state == .intent && !settling.contains(r.id) {
            let outcome: AdmissionOutcome?, offline: Bool
            do {
                outcome = try await journal.outcome(ofAdmission: r.intent.admission)
                offline = try await journal.isOfflineAdmission(r.intent.admission)
            } catch { continue }
            guard let outcome, !offline, let service = services[r.intent.outlet] else { continue }
            let first = forgotten[r.id] ?? clock.now
            seen[r.id] = first
            guard first.duration(to: clock.now) >= forgottenAfter else { continue }
            if outcome == .entered {
                await recoverIntent(r, service: service)
            } else {
                await queueSettle(r)
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
        let now = try? await service.balance(of: r.intent.code)  // a read: unreachable proves nothing
        if outcome == .entered {
            let event = GateEvent(.tokenUnknown, lane: r.intent.lane, admission: r.intent.admission, code: r.intent.code.text,
                                  amountCents: r.intent.amount.cents, balanceCents: now?.balance.cents,
                                  message: "paid, entered — the redeem's answer was not journalled, so its token is lost and it cannot be "
                                    + "cancelled through the API; nothing to do unless e-guma's history shows no redemption (reference \(r.intent.reference))")
            await settleApplied(r, balanceAfter: now?.balance, event: event)
            return
        }
        if let now, settleSchedule.judge(balanceBefore: r.intent.balanceBefore, amount: r.intent.amount, now: now.balance, check: 0,
                                          elapsed: .zero) == .applied {
            let event = GateEvent(.tokenUnknown, lane: r.intent.lane, admission: r.intent.admission, code: r.intent.code.text,
                                  amountCents: r.intent.amount.cents, balanceCents: now.balance.cents,
                                  message: "charged without entry — refund the guest (the redeem took effect but the gate stopped before its answer; its token is lost)")
            await settleApplied(r, balanceAfter: now.balance, event: event)
            return
        }
        await queueSettle(r)
    }

    /// Refused: the redemption stays `intent` and the sweep comes back to it.
    private func settleApplied(_ r: StoredRedemption, balanceAfter: Money?, event: GateEvent) async {
        do {
            switch try await store.settleApplied(entry: nil, redemption: r.id, balanceAfter: balanceAfter, event: event) {
            case .applied, .stale: break  // stale: settled by another path, which raised its event
            }
        } catch {}
    }

    /// The redemption goes to a settle entry (checks at growing delays). Refused: it stays
    /// `intent` and the sweep comes back to it.
    private func queueSettle(_ r: StoredRedemption) async {
        do {
            switch try await store.deferToSettle(SettleOrder(r, guestEntered: false), closing: nil) {
            case .applied: kick()
            case .stale: break
            }
        } catch {}
    }
}
