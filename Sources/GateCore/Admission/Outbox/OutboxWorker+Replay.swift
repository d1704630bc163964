/// Offline redeem replays: Balance snapshot → intent (one step, only while the entry is pending)
/// → Redeem → its answer's step (token, or not applied, or a settle entry for an unknown outcome).
extension OutboxWorker {
    func attemptRedeem(_ entry: OutboxEntry, _ order: OfflineRedeemOrder) async -> C.Instant? {
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
                return await finish(entry)
            case .intent:
                // A crash (or a refused write) during an earlier try: settled by the checks,
                // which queue the replay again if it was not applied.
                return await deferToSettle(entry, SettleOrder(earlier, guestEntered: true, replay: order))
            case .uncertain:
                return await finish(entry)  // its settle entry decides (and replays if needed)
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
        if outcome == .cancelled { return await finish(entry) }

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
        // The guide's rule: redeem min(price, balance); a service voucher as its lane redeems it.
        let take: Money
        switch Self.replayAmount(price: amount, snapshot: snapshot, lane: lanes[order.lane]) {
        case .take(let money): take = money
        case .refuse(let why):
            return await dead(entry, .offlineRedeemFailed, lane: order.lane, admission: order.admission, code: order.code,
                              amount: order.amountCents, message: why)
        }
        let intent = RedemptionIntent(admission: order.admission, lane: order.lane, outlet: order.outlet,
                                      code: snapshot.code, amount: take, reference: order.reference,
                                      balanceBefore: snapshot.balance)
        let redemption: Int64
        do {
            switch try await store.beginReplay(entry: entry.id, intent: intent) {
            case .begun(let id): redemption = id
            case .notPending: return nil  // withdrawn meanwhile (the guest never walked through): nothing may be taken
            }
        } catch {
            return await retry(entry, "journal not writable (\(error)): replay not begun")
        }
        let sent = clock.now
        do throws(VoucherServiceError) {
            let answer = try await service.redeem(snapshot.code, amount: take, reference: order.reference)
            await online?.recordAnswer(latency: sent.duration(to: clock.now))
            var events = [GateEvent(.redeemed, lane: order.lane, admission: order.admission, code: snapshot.code.text,
                                    amountCents: take.cents, balanceCents: answer.newBalance.cents, message: "offline redeem replayed")]
            if take < amount, !snapshot.isServiceVoucher {
                let missing = amount - take
                events.append(GateEvent(.offlineShortfall, lane: order.lane, admission: order.admission, code: snapshot.code.text,
                                        amountCents: missing.cents, balanceCents: answer.newBalance.cents,
                                        message: "offline guest's voucher held \(take) of the price \(amount): \(missing) missing"))
            }
            return await record(.completeReplay(redemption: redemption, token: answer.token, balanceAfter: answer.newBalance,
                                                events: events), of: entry)
        } catch {
            await online?.record(error, latency: sent.duration(to: clock.now))
            if error.kind == .uncertain {
                let stored = StoredRedemption(id: redemption, intent: intent, state: .intent, token: nil, balanceAfter: nil)
                return await deferToSettle(entry, SettleOrder(stored, guestEntered: true, replay: order))
            }
            let next: EntryNext
            if case .rejected(let message) = error.kind {
                next = .dead(error: message, event: GateEvent(.offlineRedeemFailed, lane: order.lane, admission: order.admission,
                                                              code: order.code, amountCents: order.amountCents, message: message))
            } else {
                next = .retry(error: error.detail, delay: backoff(entry))
            }
            return await record(.replayNotApplied(redemption: redemption, next: next), of: entry)
        }
    }

    /// What a replay redeems (the guide's rule): min(price, balance at replay); a voucher with no
    /// balance is refused (never a 0-cent redeem) — except a redeemable service voucher of the
    /// lane's `service_products`, which pays what the lane redeems for it online.
    enum ReplayAmount: Equatable { case take(Money), refuse(String) }

    static func replayAmount(price: Money, snapshot: VoucherBalance, lane: LaneSettings?) -> ReplayAmount {
        if snapshot.isServiceVoucher {
            guard let lane, lane.serviceProducts.contains(snapshot.productID ?? "") else {
                return .refuse("service voucher not accepted at this entrance")
            }
            return .take(lane.serviceRedeem)
        }
        guard snapshot.balance > .zero else { return .refuse("no balance left on the voucher (nothing redeemed)") }
        return .take(min(price, snapshot.balance))
    }

    /// A replay's redeem with an unknown outcome: a `settle` entry takes it over (and queues the
    /// replay again if it proves not applied); this entry is done — one step. Refused: the
    /// redemption stays `intent` under a pending entry, and the next try comes back here.
    private func deferToSettle(_ entry: OutboxEntry, _ order: SettleOrder) async -> C.Instant? {
        do {
            switch try await store.deferToSettle(order, closing: entry.id) {
            case .applied: kick()
            case .stale: break  // settled meanwhile: nothing to check, the entry is closed
            }
            return nil
        } catch {
            return await retry(entry, "journal not writable (\(error)): outcome unknown, its settle entry not queued yet")
        }
    }
}
