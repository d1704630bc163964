/// The admission state machine of one lane (SPEC §3 steps 1–7).
///
/// It owns no I/O: e-guma, the relay, the sensor, the lights, the display, the journal and the
/// outbox are ports, and time is the injected clock. Inputs are handled strictly one after the
/// other (`run` feeds them from one stream), so a lane never has two admissions in flight.
///
/// Money rules kept here:
/// - nothing is redeemed before the whole price is covered (split payment);
/// - every redeem intent is journalled before the call, its token right after;
/// - an uncertain redeem is never re-sent: a Balance right after it can prove it applied (the
///   guest paid and goes in); otherwise the guest is denied (not known to have paid) and the
///   outbox re-checks it at growing delays (`SettleSchedule`);
/// - offline admission only when e-guma is unreachable, never on an answer it gave, and bounded
///   per outage, per hour and optionally to codes seen redeemable recently;
/// - every redemption of an admission that did not end with a passage is cancelled, and a cancel
///   that cannot be sent goes to the durable outbox.
public actor LaneEngine<C: Clock> where C.Duration == Duration {
    /// Something that happens to a lane.
    public enum Input: Sendable {
        case scanner(ScannerEvent)
        /// The split-payment timer of admission generation `generation` ran out.
        case splitTimeout(generation: UInt64)
        /// Staff opened the lane by hand (control socket). Also ends a guard pause.
        case manualOpen(reason: String)
        /// Staff ended a guard pause (`eguma-gate unlock LANE`).
        case unlock(reason: String)
        /// A guard pause may be over (its timer ran out).
        case pauseEnded
    }

    /// A voucher accepted for the admission being collected, not yet redeemed.
    struct Planned: Sendable {
        var code: VoucherCode
        var amount: Money
        var balanceBefore: Money
    }

    /// Split payment in progress.
    struct Collecting: Sendable {
        var admission: Int64
        var planned: [Planned]
        var remaining: Money
        var generation: UInt64
    }

    /// A voucher that was (or, by the balance, must have been) redeemed.
    struct Taken: Sendable {
        var redemption: Int64
        var code: VoucherCode
        var amount: Money
        var token: String?
        var balanceAfter: Money?
    }

    public private(set) var settings: LaneSettings
    private let service: any VoucherService
    private let relay: any Relay
    private let sensor: (any PassageSensor)?
    private let lights: (any SignalLights)?
    private let feedback: any GuestFeedback
    private let journal: any AdmissionJournal
    private let outbox: any Outbox
    private let online: OnlineMonitor<C>
    private let clock: C
    private let outboxKick: @Sendable () -> Void
    private let emergency: EmergencySignal?

    private var debounce: AdmissionDebounce<C.Instant>
    private var collecting: Collecting?
    /// The "scanned" event of an admission whose id is reserved but not yet written: the row and
    /// the event go to disk with the admission's first durable fact — the redeem intent
    /// (`beginRedemption`) or whatever else the scan ends in (`writeUnopenedAdmission`) — so a
    /// paying scan makes two commits before the relay opens, not five (issue 13).
    private var unopened: GateEvent?
    /// The last reserved admission whose row could not be written (journal failing).
    private var unwritten: Int64?
    /// Closings of entered admissions the journal refused (disk full; `ObservedJournal` logged
    /// and counted it and the lane is out of order), oldest first. The guest is through, so each
    /// is written again before the lane handles anything else — never left to the next start's
    /// recovery, which takes an open admission with a redeemed voucher for an interrupted one and
    /// cancels it: a refund of an entry.
    private var unclosedEntries: [(admission: Int64, events: [GateEvent])] = []
    /// A balance Balance reported, remembered for `offline_known_only` once the scan is handled
    /// (after the relay), not while the guest waits.
    private var unremembered: (code: VoucherCode, balance: Money)?
    private var generation: UInt64 = 0
    /// Offline admissions of the current outage, and `online.answers` when it was counted.
    private var offlineThisOutage = 0
    private var outageMark: UInt64?
    /// When the offline admissions of the last hour happened (`offline_max_per_hour`).
    private var offlineTimes: [C.Instant] = []
    private var guessGuard: GuessGuard<C.Instant>
    /// A guard pause that began and whose end still needs a timer (armed by `run`).
    private var pauseToArm: C.Instant?

    /// - Parameters:
    ///   - outboxKick: wakes the outbox worker after something was queued.
    ///   - emergency: while it is open every door is held open and a scan is charged nothing.
    public init(settings: LaneSettings, service: any VoucherService, relay: any Relay,
                sensor: (any PassageSensor)?, lights: (any SignalLights)? = nil, feedback: any GuestFeedback,
                journal: any AdmissionJournal, outbox: any Outbox, online: OnlineMonitor<C>, clock: C,
                outboxKick: @escaping @Sendable () -> Void = {}, emergency: EmergencySignal? = nil) {
        self.emergency = emergency
        self.settings = settings; self.service = service; self.relay = relay
        self.sensor = settings.hasSensor ? sensor : nil
        self.lights = lights; self.feedback = feedback; self.journal = journal; self.outbox = outbox
        self.online = online; self.clock = clock; self.outboxKick = outboxKick
        self.debounce = AdmissionDebounce(window: settings.debounce)
        self.guessGuard = GuessGuard(policy: settings.guessPolicy)
    }

    /// True while the code-guessing guard holds the lane paused.
    public var isPaused: Bool { guessGuard.pausedUntil.map { clock.now < $0 } ?? false }

    /// Applies reloaded settings (SIGHUP): price, products, policies and timings. Takes effect
    /// from the next scan; an admission in flight finishes under the settings it started with
    /// only where it already committed (its amounts), not for timeouts still to come.
    public func update(settings new: LaneSettings) {
        guard new.name == settings.name else { return }
        var applied = new
        applied.hasSensor = settings.hasSensor  // the sensor is hardware: it changes with a restart
        settings = applied
        debounce = AdmissionDebounce(window: applied.debounce)
        guessGuard.update(policy: applied.guessPolicy)
    }

    /// Runs the lane until `scanner` finishes. `control` carries staff inputs (manual open).
    public func run(scanner: AsyncStream<ScannerEvent>, control: AsyncStream<Input>? = nil) async {
        let (inputs, continuation) = AsyncStream<Input>.makeStream()
        let clock = self.clock
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await event in scanner { continuation.yield(.scanner(event)) }
                continuation.finish()
            }
            if let control {
                group.addTask { for await input in control { continuation.yield(input) } }
            }
            for await input in inputs {
                if case let (deadline, generation)? = await handle(input) {
                    group.addTask {
                        do {
                            try await clock.sleep(until: deadline, tolerance: nil)
                            continuation.yield(.splitTimeout(generation: generation))
                        } catch {}
                    }
                }
                if let until = takePauseToArm() {
                    group.addTask {
                        do {
                            try await clock.sleep(until: until, tolerance: nil)
                            continuation.yield(.pauseEnded)
                        } catch {}
                    }
                }
            }
            group.cancelAll()
        }
    }

    /// Handles one input to the end. Returns a split-payment deadline to arm, if one started.
    public func handle(_ input: Input) async -> (C.Instant, UInt64)? {
        await closeUnclosedEntries()
        switch input {
        case .scanner(.frame(let bytes)):
            return await scanned(bytes)
        case .scanner(.attached(let device)):
            await emit(.scannerAttached, message: device)
            await show(.idle, .idle)
        case .scanner(.detached(let device, let reason)):
            await emit(.scannerDetached, message: "\(device): \(reason)")
            await lights?.signal(.outOfOrder)
        case .splitTimeout(let generation):
            guard let c = collecting, c.generation == generation else { return nil }
            collecting = nil
            await deny(.splitTimeout, admission: c.admission, message: "split payment timed out")
            await closeAdmission(c.admission, outcome: .denied)
        case .manualOpen(let reason):
            await emit(.manualOpen, message: reason)
            await endPause(reason)
            try? await relay.pulse(for: settings.pulse)
        case .unlock(let reason):
            await endPause(reason)
        case .pauseEnded:
            if guessGuard.expire(at: clock.now) {
                await emit(.laneUnlocked, message: "pause over")
                await show(.idle, .idle)
            }
        }
        return nil
    }

    // MARK: Code-guessing guard

    private func takePauseToArm() -> C.Instant? {
        defer { pauseToArm = nil }
        return pauseToArm
    }

    private func endPause(_ reason: String) async {
        guard guessGuard.unlock(at: clock.now) else { return }
        await emit(.laneUnlocked, message: reason)
        await show(.idle, .idle)
    }

    /// Before any e-guma call: a paused lane, a refused ShortCode or a spent ShortCode budget
    /// ends the scan here. Returns false when the scan must not go on.
    private func passesGuard(_ code: VoucherCode) async -> Bool {
        if guessGuard.expire(at: clock.now) { await emit(.laneUnlocked, message: "pause over") }
        switch guessGuard.check(isShortCode: code.isShortCode, at: clock.now) {
        case .allowed:
            return true
        case .paused:
            await deny(.lanePaused, admission: nil, code: code.text, message: "lane paused after too many invalid codes")
        case .shortCodesOff:
            await deny(.shortCodeNotAccepted, admission: nil, code: code.text, message: "ShortCodes are not accepted on this lane")
        case .shortCodeBudgetSpent(let lock):
            await deny(.shortCodeNotAccepted, admission: nil, code: code.text,
                       message: "more than \(settings.guessPolicy.shortCodesPerMinute) ShortCodes within a minute")
            if let lock { await locked(lock) }
        }
        await resumeCollecting()
        return false
    }

    /// e-guma did not know the code or would not redeem it: one more failure for the guard.
    private func guessFailed() async {
        if let lock = guessGuard.recordFailure(at: clock.now) { await locked(lock) }
    }

    private func locked(_ lock: GuessGuard<C.Instant>.Lock) async {
        pauseToArm = lock.until
        if let c = collecting {
            // A split payment in progress ends: nothing of it was redeemed yet.
            collecting = nil
            try? await journal.closeAdmission(c.admission, outcome: .denied)
        }
        await emit(.laneLocked, message: "\(lock.failures) unknown or unredeemable codes within \(settings.guessPolicy.window) — "
                   + "lane paused for \(lock.pause); `eguma-gate unlock \(settings.name)` ends the pause")
        await show(.denied(.lanePaused), .outOfOrder)
    }

    // MARK: Step 1 — read

    private func scanned(_ bytes: [UInt8]) async -> (C.Instant, UInt64)? {
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

    private func admit(_ scanned: VoucherCode) async -> (C.Instant, UInt64)? {
        let admission: Int64
        if let c = collecting {
            admission = c.admission
            await emit(.scanned, admission: admission, code: scanned.text)
        } else {
            do { admission = try await journal.reserveAdmission(lane: settings.name) } catch {
                await deny(.outOfOrder, admission: nil, message: "journal: \(error)")
                return nil
            }
            unopened = GateEvent(.scanned, lane: settings.name, admission: admission, code: scanned.text)
        }
        await feedback.show(.checking)

        guard await online.shouldTryCall() else {
            await offline(scanned, admission: admission)
            return nil
        }
        // Read while Balance is on the wire (it is a guest-facing early answer; the intent's own
        // transaction checks again, atomically: `beginRedemption` throws `VoucherBusy`).
        async let scannedIsBusy = hasPendingEntry(for: scanned)
        let started = clock.now
        let balance: VoucherBalance
        do throws(VoucherServiceError) {
            balance = try await service.balance(of: scanned)
            await online.recordAnswer(latency: started.duration(to: clock.now))
        } catch {
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

    /// Why a voucher with pending outbox work is refused (early read, guarded intent, offline).
    private static var pendingWork: String {
        "earlier work on this voucher (a check, cancel or offline redeem) is still pending in the outbox"
    }

    /// Whether the outbox holds pending work for `code`; an unreadable outbox counts as yes.
    private nonisolated func hasPendingEntry(for code: VoucherCode) async -> Bool {
        (try? await outbox.hasPendingEntry(for: code)) ?? true
    }

    /// One voucher is refused. A split admission keeps collecting; a lone one ends denied.
    private func refuseVoucher(_ reason: DenyReason, admission: Int64, code: VoucherCode, message: String) async {
        await deny(reason, admission: admission, code: code.text, message: message)
        if collecting != nil {
            await resumeCollecting()
        } else {
            await closeAdmission(admission, outcome: .denied)
        }
    }

    private func resumeCollecting() async {
        guard let c = collecting else { return }
        await show(.awaitingMore(remaining: c.remaining), .awaitingMore)
    }

    // MARK: Step 4 — redeem

    private func redeemAndOpen(_ c: Collecting) async {
        let reference = settings.reference(admission: c.admission)
        var taken: [Taken] = []
        for item in c.planned {
            let intent = RedemptionIntent(admission: c.admission, lane: settings.name, outlet: settings.outlet,
                                          code: item.code, amount: item.amount, reference: reference,
                                          balanceBefore: item.balanceBefore)
            let redemption: Int64
            // Commit 1 of 2 before the relay: admission and "scanned" (first voucher) with the
            // intent, guarded against pending outbox work for the voucher.
            let scanned = unopened
            unopened = nil
            do {
                redemption = try await journal.beginRedemption(intent, scanned: scanned)
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
                // Commit 2 of 2: the token with its "redeemed" event. A failure is logged and
                // counted by the journal; the guest, who paid, still goes in.
                let redeemed = GateEvent(.redeemed, lane: settings.name, admission: c.admission, code: item.code.text,
                                         amountCents: item.amount.cents, balanceCents: answer.newBalance.cents)
                try? await journal.recordRedeemed(redemption, token: answer.token, balanceAfter: answer.newBalance,
                                                  event: redeemed)
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
                try? await journal.updateRedemption(redemption, state: .notRedeemed, balanceAfter: nil)
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

    /// An uncertain redeem (SPEC §3 "Uncertain outcomes", issue 12 item 1). A Balance right
    /// after it showing balance-before − amount proves it applied: the redemption becomes
    /// `token_unknown` (operator event) and the guest, who paid, goes in — returns the balance.
    /// Anything else proves nothing (e-guma may still apply it late): the redemption becomes
    /// `uncertain`, a `settle` entry re-checks it from the outbox, and nil tells the caller to
    /// deny (the guest is not known to have paid).
    private func provenApplied(_ item: Planned, admission: Int64, redemption: Int64) async -> Money? {
        if let now = try? await service.balance(of: item.code), now.balance == item.balanceBefore - item.amount {
            let event = GateEvent(.tokenUnknown, lane: settings.name, admission: admission, code: item.code.text,
                                  amountCents: item.amount.cents, balanceCents: now.balance.cents,
                                  message: "redeem took effect but its token was lost; it cannot be cancelled through the API")
            _ = try? await journal.settleRedemption(redemption, from: [.intent], to: .tokenUnknown,
                                                    balanceAfter: now.balance, event: event)
            return now.balance
        }
        let order = SettleOrder(lane: settings.name, outlet: settings.outlet, admission: admission,
                                redemption: redemption, code: item.code.text, amountCents: item.amount.cents,
                                balanceBeforeCents: item.balanceBefore.cents, guestEntered: false)
        // Queued first: a crash before the state change leaves `intent`, which recovery settles.
        do {
            try await outbox.enqueue(.settle(order))
            _ = try? await journal.settleRedemption(redemption, from: [.intent], to: .uncertain, balanceAfter: nil, event: nil)
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
    private func fail(_ admission: Int64, taken: [Taken], reason: DenyReason, message: String) async {
        await cancelAll(taken, admission: admission)
        await deny(reason, admission: admission, message: message)
        await closeAdmission(admission, outcome: .denied)
    }

    // MARK: Steps 5, 6 — open, passage

    private func open(_ admission: Int64, taken: [Taken], showsBalance: Bool = true) async {
        await sensor?.arm()
        let newBalance = showsBalance ? taken.last?.balanceAfter : nil
        do {
            // The relay first, the screens the moment it is energised: the turnstile is released
            // as soon as the token is durable, and never behind what the guest is told.
            try await relay.pulse(for: settings.pulse) { await self.showOpen(newBalance: newBalance) }
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
    /// entry); a refused commit is kept in `unclosedEntries` and written again.
    private func closeEntered(_ admission: Int64, events: [GateEvent]) async {
        do {
            try await journal.closeAdmission(admission, outcome: .entered, events: events)
        } catch {
            unclosedEntries.append((admission, events))
        }
    }

    /// Writes the kept closings, oldest first; stops at the first the journal still refuses.
    private func closeUnclosedEntries() async {
        while let first = unclosedEntries.first {
            do { try await journal.closeAdmission(first.admission, outcome: .entered, events: first.events) } catch { return }
            unclosedEntries.removeFirst()
        }
    }

    /// "Accepted" (green) and "walk through", shown once the relay is energised.
    private func showOpen(newBalance: Money?) async {
        await show(.accepted(newBalance: newBalance), .accepted)
        await feedback.show(.walkThrough)
    }

    /// Without a sensor the admission counts as entered once the pulse ended. A sensor that fails
    /// counts as no passage: the guest keeps the money, the operator sees the event.
    private func passed() async -> Bool {
        guard let sensor else { return true }
        return (try? await sensor.waitForPassage(timeout: settings.passageTimeout)) ?? false
    }

    // MARK: Step 7 — cancel

    private func cancelAll(_ taken: [Taken], admission: Int64) async {
        for t in taken {
            guard let token = t.token else { continue }  // token unknown: already raised to the operator
            do throws(VoucherServiceError) {
                let balance = try await service.cancel(t.code, token: token, amount: t.amount)
                try? await journal.updateRedemption(t.redemption, state: .cancelled, balanceAfter: balance)
                await emit(.cancelled, admission: admission, code: t.code.text, amountCents: t.amount.cents, balanceCents: balance.cents)
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
    private func queueCancel(_ order: CancelOrder, error: String) async {
        do {
            try await outbox.queueCancel(order)
            await emit(.cancelQueued, admission: order.admission, code: order.code, amountCents: order.amountCents, message: error)
        } catch {
            await emit(.cancelFailed, admission: order.admission, code: order.code, amountCents: order.amountCents,
                       message: "cancel could not be sent nor queued: \(error)")
        }
        outboxKick()
    }

    // MARK: Offline

    private func offline(_ scanned: VoucherCode, admission: Int64) async {
        await writeUnopenedAdmission()
        if let c = collecting {
            // Nothing of a split admission was redeemed yet: it ends here.
            collecting = nil
            await deny(.offlineNotPossible, admission: c.admission, message: "e-guma unreachable during split payment")
            await closeAdmission(c.admission, outcome: .denied)
            return
        }
        guard settings.offline == .admit else {
            await emit(.denied, admission: admission, code: scanned.text, message: "offline")
            await show(.offline, .outOfOrder)
            await closeAdmission(admission, outcome: .denied)
            return
        }
        let code = VoucherCode(unchecked: scanned.undashed)
        let known = (try? await journal.wasOfflineAdmitted(code)) ?? true
        guard scanned.isFullVoucherCode, !known else {
            await deny(.offlineNotPossible, admission: admission, code: scanned.text,
                       message: known ? "already admitted offline" : "offline: only a full voucher code can be admitted")
            await closeAdmission(admission, outcome: .denied)
            return
        }
        if await hasPendingEntry(for: code) {
            await deny(.voucherBeingChecked, admission: admission, code: code.text,
                       message: "offline: " + Self.pendingWork)
            await closeAdmission(admission, outcome: .denied)
            return
        }
        if let limit = await offlineLimit(code) {
            await emit(.offlineLimit, admission: admission, code: code.text, message: limit)
            await deny(.offlineNotPossible, admission: admission, code: code.text, message: "offline: \(limit)")
            await closeAdmission(admission, outcome: .denied)
            return
        }
        let reference = settings.reference(admission: admission)
        let order = OfflineRedeemOrder(lane: settings.name, outlet: settings.outlet, admission: admission,
                                       code: code.text, reference: reference, amountCents: settings.price.cents)
        let entry: Int64
        do {
            entry = try await outbox.enqueue(.offlineRedeem(order))
            try await journal.rememberOfflineAdmitted(code, admission: admission)
        } catch {
            await deny(.outOfOrder, admission: admission, code: code.text, message: "journal: \(error)")
            await closeAdmission(admission, outcome: .denied)
            return
        }
        offlineThisOutage += 1
        offlineTimes.append(clock.now)
        await emit(.offlineAdmitted, admission: admission, code: code.text, amountCents: settings.price.cents)
        await sensor?.arm()
        let pulsed = (try? await relay.pulse(for: settings.pulse) { await self.showOpen(newBalance: nil) }) != nil
        if pulsed { await emit(.opened, admission: admission) }
        if pulsed, await passed() {
            await closeAdmission(admission, outcome: .offlineEntered)
            await emit(.entered, admission: admission, amountCents: settings.price.cents)
            outboxKick()
            await show(.idle, .idle)
            return
        }
        if pulsed { await emit(.noPassage, admission: admission) }
        if (try? await outbox.withdraw(entry)) != true {
            // The replay already ran (e-guma came back meanwhile): cancel it after it, in order.
            let cancel = CancelOrder(lane: settings.name, outlet: settings.outlet, admission: admission, redemption: nil,
                                     code: code.text, token: nil, reference: reference, amountCents: settings.price.cents)
            await queueCancel(cancel, error: "offline redeem already replayed")
        } else {
            await emit(.cancelled, admission: admission, code: code.text, amountCents: settings.price.cents,
                       message: "queued offline redeem withdrawn")
        }
        await show(.cancelled, .denied)
        await closeAdmission(admission, outcome: .cancelled)
    }

    /// The bound an offline admission of `code` would break, or nil (issue 12 item 4). Counters
    /// live in memory: a restart starts them again (a restart is staff's doing, not a guest's).
    private func offlineLimit(_ code: VoucherCode) async -> String? {
        let answers = await online.answers
        if outageMark != answers { outageMark = answers; offlineThisOutage = 0 }  // e-guma answered since: new outage
        if offlineThisOutage >= settings.offlineMaxAdmissions {
            return "offline_max_admissions (\(settings.offlineMaxAdmissions) per outage) reached"
        }
        let hourAgo = clock.now.advanced(by: .seconds(-3_600))
        offlineTimes.removeAll { $0 <= hourAgo }
        if offlineTimes.count >= settings.offlineMaxPerHour {
            return "offline_max_per_hour (\(settings.offlineMaxPerHour)) reached"
        }
        if settings.offlineKnownOnly {
            let known = (try? await journal.knownBalance(of: code, withinDays: settings.offlineKnownDays)) ?? nil
            guard let known, known >= settings.price else {
                return "offline_known_only: not seen redeemable with at least \(settings.price) in the last \(settings.offlineKnownDays) days"
            }
        }
        return nil
    }

    /// Remembers a voucher's balance for `offline_known_only` (only where it is on: one more
    /// durable write per scan).
    private func rememberForOffline(_ code: VoucherCode, balance: Money) async {
        guard settings.offline == .admit, settings.offlineKnownOnly else { return }
        try? await journal.rememberVoucherBalance(code, balance: balance)
    }

    // MARK: Output

    private func deny(_ reason: DenyReason, admission: Int64?, code: String? = nil, message: String) async {
        await emit(.denied, admission: admission, code: code, message: message)
        await show(.denied(reason), .denied)
    }

    private func show(_ state: GuestState, _ pattern: SignalPattern) async {
        await feedback.show(state)
        await lights?.signal(pattern)
    }

    /// Writes the reserved admission and its "scanned" event of a scan that ends without a
    /// redeem intent (denied, offline, waiting for more), before anything else of it is written.
    private func writeUnopenedAdmission() async {
        guard let scanned = unopened, let id = scanned.admission else { return }
        unopened = nil
        do { try await journal.openAdmission(id, lane: settings.name, scanned: scanned) } catch { unwritten = id }
    }

    /// An admission whose row could not be written is not closed: the UPDATE would change
    /// nothing, yet succeed, and count as "the journal works again" on a full disk.
    private func closeAdmission(_ id: Int64, outcome: AdmissionOutcome) async {
        await writeUnopenedAdmission()
        guard unwritten != id else { return }
        try? await journal.closeAdmission(id, outcome: outcome)
    }

    private func emit(_ type: GateEventType, admission: Int64? = nil, code: String? = nil, amountCents: Int64? = nil,
                      balanceCents: Int64? = nil, message: String? = nil) async {
        await writeUnopenedAdmission()
        // Events are the narrative; the money facts (intent, token, outbox) are written with
        // their own durable calls above, so a failed event write loses no money.
        try? await journal.append(GateEvent(type, lane: settings.name, admission: admission, code: code,
                                            amountCents: amountCents, balanceCents: balanceCents, message: message))
    }
}
