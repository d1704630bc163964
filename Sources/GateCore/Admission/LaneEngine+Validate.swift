/// Steps 1–3: reading a scan, Balance, and collecting the price (split payment).
extension LaneEngine {
    // MARK: Step 1 — read

    func scanned(_ bytes: [UInt8]) async -> (C.Instant, UInt64)? {
        let code: VoucherCode
        switch VoucherCode.normalise(bytes) {
        case .failure(.empty):
            await deny(.emptyCode, admission: collecting?.admission, message: "empty code")
            await resumeCollecting()
            return nil
        case .failure:
            await deny(.unreadableCode, admission: collecting?.admission, message: "unreadable code")
            await resumeCollecting()
            return nil
        case .success(let c):
            code = c
        }
        if debounce.isDoubleScan(code.text, at: clock.now) { return nil }
        if emergency?.isOpen == true {
            // The emergency hold keeps every relay released: a redeem would charge a guest who
            // could walk through anyway. The scan is recorded; e-guma is not called.
            await emit(.emergencyScan, code: code.text, message: "emergency: doors held open, nothing charged")
            await show(.emergency, .emergency)
            debounce.finished(code.text, at: clock.now)
            return nil
        }
        guard await passesGuard(code) else {
            debounce.finished(code.text, at: clock.now)
            return nil
        }
        let deadline = await admit(code)
        await writeUnopenedAdmission()  // every path ends written, even one that forgot
        if let seen = unremembered {
            unremembered = nil
            await rememberForOffline(seen.code, balance: seen.balance)
        }
        debounce.finished(code.text, at: clock.now)
        return deadline
    }

    // MARK: Step 2 — validate

    func admit(_ scanned: VoucherCode) async -> (C.Instant, UInt64)? {
        let admission: Int64
        if let c = collecting {
            admission = c.admission
            await emit(.scanned, admission: admission, code: scanned.text)
        } else {
            do { admission = try await journal.reserveAdmission(lane: settings.name) } catch {
                await deny(.outOfOrder, admission: nil, message: "journal: \(error)")
                return nil
            }
            unopened = GateEvent(.scanned, lane: settings.name, admission: admission, code: scanned.text, source: source)
        }
        guard await online.shouldTryCall() else {
            await feedback.show(.checking)
            await offline(scanned, admission: admission)
            return nil
        }
        // "Checking" goes to the screens once the Balance request is on the wire, not ahead of
        // it: handing a screen to the kiosk and the displays kept the request 0.17 ms from the
        // wire (issue 24). Awaited before anything else is shown: no answer's screen overtakes it.
        let sent = WakeSignal()
        async let checkingShown: Void = showChecking(after: sent)
        // Read while Balance is on the wire (it is a guest-facing early answer; the intent's own
        // transaction checks again, atomically: `beginRedemption` throws `VoucherBusy`).
        async let scannedIsBusy = hasPendingEntry(for: scanned)
        let started = clock.now
        let balance: VoucherBalance
        do throws(VoucherServiceError) {
            balance = try await service.balance(of: scanned, sent: { sent.signal() })
            sent.signal()
            await checkingShown
            await online.recordAnswer(latency: started.duration(to: clock.now))
        } catch {
            sent.signal()
            await checkingShown
            await online.record(error, latency: started.duration(to: clock.now))
            if error.isConnectivityFailure {
                await offline(scanned, admission: admission)
            } else if case .rejected(let message) = error.kind {
                await refuseVoucher(.eguma(message: message), admission: admission, code: scanned, message: message)
                await guessFailed()
            } else {
                // e-guma answered, badly: reachable, so no offline admission (issue 12 item 4).
                await refuseVoucher(.egumaError, admission: admission, code: scanned, message: "e-guma error: \(error.detail)")
            }
            return nil
        }

        let code = balance.code  // from here on only the code Balance returned (ShortCodes)
        // Any pending entry (settle, cancel, offline redeem) blocks the voucher: a new redeem
        // beside it would make the balance and list evidence of that entry ambiguous.
        let busy = code.undashed == scanned.undashed ? await scannedIsBusy : await hasPendingEntry(for: code)
        if busy {
            await refuseVoucher(.voucherBeingChecked, admission: admission, code: code,
                                message: Self.pendingWork)
            return nil
        }
        if balance.isRedeemable { unremembered = (code, balance.balance) }
        if let c = collecting, c.planned.contains(where: { $0.code == code }) {
            await resumeCollecting()  // the same voucher again while collecting: already counted
            return nil
        }
        guard balance.isRedeemable else {
            let message = balance.message ?? "not redeemable"
            await refuseVoucher(.eguma(message: balance.message), admission: admission, code: code, message: message)
            await guessFailed()
            return nil
        }
        if !settings.acceptProducts.isEmpty, !settings.acceptProducts.contains(balance.productID ?? "") {
            await refuseVoucher(.notValidHere, admission: admission, code: code, message: "product not accepted at this entrance")
            return nil
        }

        var c = collecting ?? Collecting(admission: admission, planned: [], remaining: settings.price, generation: 0)
        if balance.isServiceVoucher {
            guard settings.serviceProducts.contains(balance.productID ?? "") else {
                await refuseVoucher(.notValidHere, admission: admission, code: code, message: "service voucher not accepted at this entrance")
                return nil
            }
            c.planned.append(Planned(code: code, amount: settings.serviceRedeem, balanceBefore: balance.balance))
            c.remaining = .zero
        } else {
            guard balance.balance > .zero else {
                await refuseVoucher(.noBalance, admission: admission, code: code, message: "no balance left")
                return nil
            }
            let amount = min(c.remaining, balance.balance)
            if amount < c.remaining, !settings.splitPayment {
                await refuseVoucher(.insufficientBalance(balance: balance.balance), admission: admission, code: code,
                                    message: "balance \(balance.balance) below price \(settings.price)")
                return nil
            }
            c.planned.append(Planned(code: code, amount: amount, balanceBefore: balance.balance))
            c.remaining = c.remaining - amount
        }

        // Step 3 — split payment: nothing is redeemed until the price is covered.
        if c.remaining > .zero {
            let first = collecting == nil
            if first { generation += 1; c.generation = generation }
            collecting = c
            await emit(.awaitingMore, admission: admission, code: code.text, amountCents: c.remaining.cents,
                       balanceCents: balance.balance.cents)
            await show(.awaitingMore(remaining: c.remaining), .awaitingMore)
            return first ? (clock.now.advanced(by: settings.splitTimeout), c.generation) : nil
        }
        collecting = nil
        unremembered = nil  // the redeem's answer has the newer balance
        await redeemAndOpen(c)
        return nil
    }

    /// Shows "checking" once `sent` is signalled (the Balance request is written, or the call
    /// ended), or after `checkingAtLatest` when the request is not out by then (a connection
    /// still being made): the guest never waits on an unchanged screen.
    nonisolated func showChecking(after sent: WakeSignal) async {
        let realTime = ContinuousClock()
        await sent.wait(until: realTime.now.advanced(by: checkingAtLatest), on: realTime)
        await feedback.show(.checking)
    }

    /// Why a voucher with pending outbox work is refused (early read, guarded intent, offline).
    static var pendingWork: String {
        "earlier work on this voucher (a check, cancel or offline redeem) is still pending in the outbox"
    }

    /// Whether the outbox holds pending work for `code`; an unreadable outbox counts as yes.
    nonisolated func hasPendingEntry(for code: VoucherCode) async -> Bool {
        (try? await outbox.hasPendingEntry(for: code)) ?? true
    }

    /// One voucher is refused. A split admission keeps collecting; a lone one ends denied.
    func refuseVoucher(_ reason: DenyReason, admission: Int64, code: VoucherCode, message: String) async {
        await deny(reason, admission: admission, code: code.text, message: message)
        if collecting != nil {
            await resumeCollecting()
        } else {
            await closeAdmission(admission, outcome: .denied)
        }
    }

    func resumeCollecting() async {
        guard let c = collecting else { return }
        await show(.awaitingMore(remaining: c.remaining), .awaitingMore)
    }
}
