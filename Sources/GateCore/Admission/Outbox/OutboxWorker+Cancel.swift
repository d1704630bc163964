/// Cancels from the outbox, and the evidence check of a cancel e-guma refuses.
extension OutboxWorker {
    func attemptCancel(_ entry: OutboxEntry, _ order: CancelOrder) async -> C.Instant? {
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
                return await finish(entry)  // nothing was taken: nothing to cancel
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
            let event = GateEvent(.cancelled, lane: order.lane, admission: order.admission, code: order.code,
                                  amountCents: order.amountCents, balanceCents: balance.cents, message: "from outbox")
            return await record(.completeCancel(redemption: redemption, balanceAfter: balance, event: event), of: entry)
        } catch {
            await online?.record(error, latency: started.duration(to: clock.now))
            if case .rejected(let message) = error.kind {
                if balanceAfter == nil, let redemption {
                    do { balanceAfter = try await journal.redemption(id: redemption)?.balanceAfter } catch {
                        return await retry(entry, "cancel refused (\(message)); journal not readable to check it")
                    }
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
        let event = GateEvent(.cancelled, lane: order.lane, admission: order.admission, code: order.code,
                              amountCents: order.amountCents, balanceCents: now.balance.cents,
                              message: "from outbox: an earlier try was applied (its answer was lost); the balance is back up")
        return await record(.completeCancel(redemption: redemption, balanceAfter: now.balance, event: event), of: entry)
    }
}
