/// Step 4: redeeming the planned vouchers, each intent durable before its call.
extension LaneEngine {
    func redeemAndOpen(_ c: Collecting) async {
        let reference = settings.reference(admission: c.admission)
        var taken: [Taken] = []
        // A split payment's token of voucher k, kept back to share one commit with the intent of
        // voucher k + 1 (issue 24); written on its own when that is not possible.
        var heldToken: LaneWrite?
        for (index, item) in c.planned.enumerated() {
            let intent = RedemptionIntent(admission: c.admission, lane: settings.name, outlet: settings.outlet,
                                          code: item.code, amount: item.amount, reference: reference,
                                          balanceBefore: item.balanceBefore)
            let redemption: Int64
            // Commit 1 of 2 before the relay: admission and "scanned" (first voucher) with the
            // intent, guarded against pending outbox work for the voucher; for a later voucher
            // with the token of the one before it.
            let scanned = unopened
            unopened = nil
            do {
                let held = heldToken
                heldToken = nil
                redemption = try await begin(intent, scanned: scanned, after: held)
            } catch {
                unopened = scanned  // written with the denial instead
                if error is VoucherBusy {
                    await fail(c.admission, taken: taken, reason: .voucherBeingChecked, message: Self.pendingWork)
                } else {
                    await fail(c.admission, taken: taken, reason: .outOfOrder, message: "journal: \(error)")
                }
                return
            }
            let started = clock.now
            do throws(VoucherServiceError) {
                let answer = try await service.redeem(item.code, amount: item.amount, reference: reference)
                await online.recordAnswer(latency: started.duration(to: clock.now))
                // Commit 2 of 2: the token with its "redeemed" event (before another voucher of
                // a split payment: in that voucher's commit 1). A failure is logged and counted
                // by the journal; the guest, who paid, still goes in.
                let redeemed = GateEvent(.redeemed, lane: settings.name, admission: c.admission, code: item.code.text,
                                         amountCents: item.amount.cents, balanceCents: answer.newBalance.cents)
                let token = LaneWrite.token(redemption: redemption, token: answer.token, balanceAfter: answer.newBalance, event: redeemed)
                if index < c.planned.count - 1 { heldToken = token } else { await write(token) }
                taken.append(Taken(redemption: redemption, code: item.code, amount: item.amount,
                                   token: answer.token, balanceAfter: answer.newBalance))
            } catch {
                await online.record(error, latency: started.duration(to: clock.now))
                if error.kind == .uncertain {
                    if let after = await provenApplied(item, admission: c.admission, redemption: redemption) {
                        taken.append(Taken(redemption: redemption, code: item.code, amount: item.amount, token: nil, balanceAfter: after))
                        continue
                    }
                    await fail(c.admission, taken: taken, reason: .paymentUnconfirmed,
                               message: "redeem outcome unknown (\(error.detail)); re-checked from the outbox")
                    return
                }
                await write(.settle(admission: c.admission, redemption: redemption, from: [.intent], to: .notRedeemed, balanceAfter: nil, event: nil))
                if case .rejected(let message) = error.kind {
                    await fail(c.admission, taken: taken, reason: .eguma(message: message), message: message)
                } else {
                    await fail(c.admission, taken: taken, reason: .redeemFailed, message: error.detail)
                }
                return
            }
        }
        // A service voucher ("Maison": nothing on it before) has no balance worth showing.
        await open(c.admission, taken: taken, showsBalance: c.planned.last?.balanceBefore != .zero)
    }

    /// Commit 1 of a voucher: its intent, with the admission and "scanned" for the first, or
    /// with the token of the voucher before it (`held`) in one transaction. `held` is always
    /// written: on its own when that transaction wrote nothing (it throws then), and through the
    /// backlog first when an earlier write of this admission waits there — the token must not
    /// overtake it.
    func begin(_ intent: RedemptionIntent, scanned: GateEvent?, after held: LaneWrite?) async throws -> Int64 {
        if let held, case .token(let redemption, let token, let balanceAfter, let event) = held.from(source),
           !backlog.contains(where: { $0.0.admission == intent.admission }) {
            do {
                return try await journal.recordRedeemed(redemption, token: token, balanceAfter: balanceAfter, event: event, thenBegin: intent)
            } catch {
                await write(held)
                throw error
            }
        }
        if let held { await write(held) }
        return try await journal.beginRedemption(intent, scanned: scanned)
    }

    /// An uncertain redeem (SPEC §3 "Uncertain outcomes", issue 12 item 1). A Balance right
    /// after it showing balance-before − amount proves it applied: the redemption becomes
    /// `token_unknown` (operator event) and the guest, who paid, goes in — returns the balance.
    /// Anything else proves nothing (e-guma may still apply it late): the redemption becomes
    /// `uncertain`, a `settle` entry re-checks it from the outbox, and nil tells the caller to
    /// deny (the guest is not known to have paid).
    func provenApplied(_ item: Planned, admission: Int64, redemption: Int64) async -> Money? {
        let now = try? await service.balance(of: item.code)  // a read: unreachable proves nothing
        if let now, now.balance == item.balanceBefore - item.amount {
            let event = GateEvent(.tokenUnknown, lane: settings.name, admission: admission, code: item.code.text,
                                  amountCents: item.amount.cents, balanceCents: now.balance.cents,
                                  message: "redeem took effect but its token was lost; it cannot be cancelled through the API")
            await write(.settle(admission: admission, redemption: redemption, from: [.intent], to: .tokenUnknown, balanceAfter: now.balance, event: event))
            return now.balance
        }
        let order = SettleOrder(lane: settings.name, outlet: settings.outlet, admission: admission,
                                redemption: redemption, code: item.code.text, amountCents: item.amount.cents,
                                balanceBeforeCents: item.balanceBefore.cents, guestEntered: false)
        // The settle entry and `uncertain`: one step. Refused: the redemption stays `intent`.
        do {
            switch try await outbox.deferToSettle(order, closing: nil) {
            case .applied, .stale: break  // stale: settled meanwhile (nothing queued, nothing to check)
            }
        } catch {
            // Never silent (disk full): the operator hears now; the outbox worker's sweep of
            // forgotten intents queues the check once the journal takes writes again.
            await emit(.settleUnclear, admission: admission, code: item.code.text, amountCents: item.amount.cents,
                       message: "redeem outcome unknown and its re-check could not be queued (\(error)); the gate queues it again "
                         + "once the journal can be written — if no verdict follows, check reference \(settings.reference(admission: admission)) "
                         + "in e-guma and refund the guest if charged")
        }
        outboxKick()
        return nil
    }

    /// A redeem failed: cancel what was taken, deny.
    func fail(_ admission: Int64, taken: [Taken], reason: DenyReason, message: String) async {
        await cancelAll(taken, admission: admission)
        await deny(reason, admission: admission, message: message)
        await closeAdmission(admission, outcome: .denied)
    }
}
