/// Settling an uncertain redeem: one check per attempt, each verdict one store step.
extension OutboxWorker {
    /// One Balance check of an uncertain redeem (issue 12 items 1 and 6). Re-reads the
    /// redemption first: anything already settled (by another worker, before a restart) closes
    /// the entry without a call or an event.
    func attemptSettle(_ entry: OutboxEntry, _ order: SettleOrder) async -> C.Instant? {
        guard let service = services[order.outlet] else {
            return await dead(entry, .settleUnclear, lane: order.lane, admission: order.admission, code: order.code,
                              amount: order.amountCents, message: "cannot settle: unknown outlet \(order.outlet) — add it back or settle by hand in e-guma")
        }
        let stored: StoredRedemption?
        do { stored = try await journal.redemption(id: order.redemption) } catch {
            return await retry(entry, "journal not readable")
        }
        guard let stored, stored.state == .intent || stored.state == .uncertain else { return await finish(entry) }
        let before = Money(cents: order.balanceBeforeCents), amount = Money(cents: order.amountCents)
        let owed = order.guestEntered == true ? "nothing is owed; if not, the offline guest's price is still to be collected"
                                              : "refund the guest"
        // Another redemption, cancel or offline redeem of this voucher since the intent moves the
        // balance (and the list) the same way this redeem would: nothing proves anything then.
        guard let busy = await otherActivity(on: order.code, after: stored.id) else { return await retry(entry, "journal not readable") }
        if busy {
            return await dead(entry, .settleUnclear, lane: order.lane, admission: order.admission, code: order.code,
                              amount: order.amountCents,
                              message: "a redeem of \(amount) whose outcome was lost cannot be settled: the voucher had other redemptions, "
                                + "cancels or offline redeems since, so its balance proves nothing — check the voucher's history in e-guma "
                                + "(reference \(stored.intent.reference)); if this redeem took effect, " + owed)
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
            do {
                switch try await store.settleApplied(entry: entry.id, redemption: stored.id, balanceAfter: now?.balance, event: event) {
                case .applied, .stale: return nil  // stale: settled by someone else, who raised its event
                }
            } catch {
                return await retry(entry, "journal not writable (\(error)): verdict 'applied' not recorded yet")
            }
        case .notApplied:
            // The redemption, the replay it stood for and this entry's end: one transaction, so a
            // replay is queued exactly when the redemption is settled "not applied".
            do {
                switch try await store.settleNotApplied(entry: entry.id, redemption: stored.id, balanceAfter: now?.balance,
                                                        replay: order.replay) {
                case .applied:
                    if order.replay != nil { kick() }
                    return nil
                case .stale:
                    return nil
                }
            } catch {
                return await retry(entry, "journal not writable (\(error)): verdict 'not applied' not recorded yet")
            }
        case .notYet(let wait):
            return await retry(entry, "check \(entry.attempts + 1): balance unchanged, not proven either way yet", after: wait)
        case .unclear:
            return await dead(entry, .settleUnclear, lane: order.lane, admission: order.admission, code: order.code,
                              amount: order.amountCents,
                              message: "balance is \(now.map { "\($0.balance)" } ?? "unknown"), was \(before) before a redeem of \(amount) whose outcome was lost: "
                                + "it moved by another amount — check the voucher's history in e-guma; if this redeem took effect, " + owed)
        }
    }
}
