/// Steps 5–7: the relay, the passage, and the cancels of an admission without one.
extension LaneEngine {
    // MARK: Steps 5, 6 — open, passage

    func open(_ admission: Int64, taken: [Taken], showsBalance: Bool = true) async {
        await sensor?.arm()
        let newBalance = showsBalance ? taken.last?.balanceAfter : nil
        let vouchers = showsBalance ? taken.map { VoucherPaid(code: $0.code.masked, amount: $0.amount, newBalance: $0.balanceAfter) } : []
        do {
            // The relay first, the screens the moment it says it is energised: the turnstile is
            // released as soon as the token is durable, and never behind what the guest is told.
            try await pulse(showing: OpenScreens(newBalance: newBalance, vouchers: vouchers))
        } catch {
            // Step 7: a GPIO failure after a successful redeem cancels the redemption.
            await cancelAll(taken, admission: admission)
            await show(.cancelled, .denied)
            await closeAdmission(admission, outcome: .cancelled)
            return
        }
        for t in taken { if let balance = t.balanceAfter { await rememberForOffline(t.code, balance: balance) } }
        let opened = GateEvent(.opened, lane: settings.name, admission: admission)
        let entered = GateEvent(.entered, lane: settings.name, admission: admission,
                                amountCents: taken.reduce(Money.zero) { $0 + $1.amount }.cents)
        guard sensor != nil else {
            // Entered once the pulse ended: "opened" goes in the closing's commit (issue 13:
            // after the relay, batched).
            await closeEntered(admission, events: [opened, entered])
            await show(.idle, .idle)
            return
        }
        await emit(.opened, admission: admission)  // the guest may take seconds: written now
        if await passed() {
            await closeEntered(admission, events: [entered])
            await show(.idle, .idle)
        } else {
            await emit(.noPassage, admission: admission)
            await cancelAll(taken, admission: admission)
            await show(.cancelled, .denied)
            await closeAdmission(admission, outcome: .cancelled)
        }
    }

    /// Closes an entered admission with its events in one commit (recovery never cancels an
    /// entry); a refused commit stays in the backlog and is written again.
    func closeEntered(_ admission: Int64, events: [GateEvent]) async {
        await write(.close(admission: admission, outcome: .entered, events: events))
    }

    /// "Accepted" (green) and "walk through", shown once the relay is energised.
    func showOpen(_ screens: OpenScreens) async {
        await show(.accepted(newBalance: screens.newBalance, vouchers: screens.vouchers), .accepted)
        await feedback.show(.walkThrough)
    }

    /// Without a sensor the admission counts as entered once the pulse ended. A sensor that fails
    /// counts as no passage: the guest keeps the money, the operator sees the event.
    func passed() async -> Bool {
        guard let sensor else { return true }
        return (try? await sensor.waitForPassage(timeout: settings.passageTimeout)) ?? false
    }

    // MARK: Step 7 — cancel

    func cancelAll(_ taken: [Taken], admission: Int64) async {
        for t in taken {
            guard let token = t.token else { continue }  // token unknown: already raised to the operator
            do throws(VoucherServiceError) {
                let balance = try await service.cancel(t.code, token: token, amount: t.amount)
                // The redemption's state and its event: one write.
                let cancelled = GateEvent(.cancelled, lane: settings.name, admission: admission, code: t.code.text,
                                          amountCents: t.amount.cents, balanceCents: balance.cents)
                await writeUnopenedAdmission()
                await write(.settle(admission: admission, redemption: t.redemption, from: [.redeemed, .cancelQueued], to: .cancelled,
                                    balanceAfter: balance, event: cancelled))
            } catch {
                let order = CancelOrder(lane: settings.name, outlet: settings.outlet, admission: admission,
                                        redemption: t.redemption, code: t.code.text, token: token,
                                        reference: settings.reference(admission: admission), amountCents: t.amount.cents,
                                        balanceAfterRedeemCents: t.balanceAfter?.cents)
                await queueCancel(order, error: error.detail)
            }
        }
    }

    /// Queues the cancel with its redemption's `cancel_queued` in one write (`Outbox.queueCancel`).
    func queueCancel(_ order: CancelOrder, error: String) async {
        do {
            try await outbox.queueCancel(order)
            await emit(.cancelQueued, admission: order.admission, code: order.code, amountCents: order.amountCents, message: error)
        } catch {
            await emit(.cancelFailed, admission: order.admission, code: order.code, amountCents: order.amountCents,
                       message: "cancel could not be sent nor queued: \(error)")
        }
        outboxKick()
    }
}
