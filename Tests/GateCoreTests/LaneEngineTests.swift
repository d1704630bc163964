import GateCore
import Testing
import TestSupport

@Suite("LaneEngine: SPEC §3 admission flow")
struct LaneEngineTests {
    // MARK: Step 1 — read

    @Test func emptyReadShowsEmptyCodeAndNeverCallsEguma() async {
        let lane = LaneHarness()
        await lane.scan("\r\n")
        #expect(lane.states.last == .denied(.emptyCode))
        #expect(await lane.eguma.calls.isEmpty)
    }

    @Test func unreadableCodeNeverReachesEguma() async {
        let lane = LaneHarness()
        await lane.scan("ABC/../x")
        #expect(lane.states.last == .denied(.unreadableCode))
        #expect(await lane.eguma.calls.isEmpty)
    }

    @Test func sameCodeTwiceWithinDebounceIsTakenOnce() async {
        let lane = LaneHarness()
        await lane.eguma.add("L4FU5LQTKJR3", balance: 10_000)
        await lane.scan("L4FU5LQTKJR3")
        lane.clock.advance(by: .milliseconds(500))
        await lane.scan("L4FU5LQTKJR3")
        #expect(await lane.eguma.count(.redeem) == 1)
        #expect(await lane.eguma.balanceOf("L4FU5LQTKJR3") == 7_500)
    }

    @Test func oneVoucherAdmitsAFamilyOneAfterAnother() async {
        let lane = LaneHarness()
        await lane.eguma.add("L4FU5LQTKJR3", balance: 10_000)
        await lane.scan("L4FU5LQTKJR3")
        lane.clock.advance(by: .milliseconds(2_500))
        await lane.scan("L4FU5LQTKJR3")
        #expect(await lane.eguma.count(.redeem) == 2)
        #expect(await lane.eguma.balanceOf("L4FU5LQTKJR3") == 5_000)
    }

    // MARK: Step 2 — validate

    @Test func voucherWithMoreThanPriceRedeemsOnlyThePriceAndEnters() async throws {
        let lane = LaneHarness()
        await lane.eguma.add("L4FU5LQTKJR3", balance: 10_000)
        await lane.scan("L4FU-5LQT-KJR3")
        let ledger = await lane.eguma.ledger
        #expect(ledger.map(\.amount) == [2_500])
        #expect(ledger.first?.reference == "spa-north/main/1")
        #expect(lane.eventTypes == [.scanned, .redeemed, .opened, .entered])
        #expect(lane.states.contains(.accepted(newBalance: Money(cents: 7_500), vouchers: [
            VoucherPaid(code: "••••-••••-KJR3", amount: Money(cents: 2_500), newBalance: Money(cents: 7_500))])))
        #expect(await lane.store.outcome(1) == .entered)
        let r = try #require(await lane.store.redemptions.first)
        #expect(r.state == .redeemed && r.token == "tok-1" && r.intent.balanceBefore == Money(cents: 10_000))
        #expect(await lane.relay.pulses == [.milliseconds(800)])
    }

    /// SPEC §10: events carry where their code entered; a typed code takes the scan's path.
    @Test func eventsCarryWhereTheCodeEntered() async {
        let lane = LaneHarness()
        await lane.eguma.add("L4FU5LQTKJR3", balance: 10_000)
        await lane.eguma.add("ZZ7PWR2HQ9XA", balance: 10_000)
        await lane.scan("L4FU5LQTKJR3")
        lane.clock.advance(by: .seconds(5))
        await lane.type("ZZ7P-WR2H-Q9XA")
        let events = lane.store.events.values
        #expect(events.filter { $0.code == "L4FU5LQTKJR3" }.map(\.source) == [.scanner, .scanner])
        #expect(events.filter { $0.code?.hasPrefix("ZZ7P") == true }.map(\.source) == [.keypad, .keypad])
        #expect(events.filter { $0.code == nil }.allSatisfy { $0.source == nil })
        #expect(await lane.eguma.count(.redeem) == 2)
    }

    /// An entry whose closing the journal refused is not left open for the next start's
    /// recovery (which would cancel — refund — it): the lane writes it, with its events, before
    /// it handles anything else.
    @Test func aRefusedClosingOfAnEntryIsWrittenBeforeTheNextInput() async throws {
        let lane = LaneHarness()
        await lane.eguma.add("L4FU5LQTKJR3", balance: 10_000)
        await lane.eguma.add("K7QM2XPA9HTD", balance: 10_000)
        await lane.store.setFailClosings(true)
        await lane.scan("L4FU5LQTKJR3")
        #expect(await lane.store.outcome(1) == nil)
        #expect(lane.eventTypes == [.scanned, .redeemed, .opened])  // with a sensor: "opened" at the pulse's end
        await lane.scan("K7QM2XPA9HTD")  // still refused: kept, and the second entry with it
        #expect(await lane.store.outcome(1) == nil)
        await lane.store.setFailClosings(false)
        _ = await lane.engine.handle(.pauseEnded)  // any input
        #expect(await lane.store.outcome(1) == .entered)
        #expect(lane.eventTypes == [.scanned, .redeemed, .opened, .scanned, .redeemed, .opened, .entered, .entered])
        let second = try #require(await lane.store.redemptions.last?.intent.admission)
        #expect(await lane.store.outcome(second) == .entered)
        #expect(await lane.store.redemptions.allSatisfy { $0.state == .redeemed })
    }

    @Test func notRedeemableIsDeniedWithEgumasMessageVerbatim() async {
        let lane = LaneHarness()
        await lane.eguma.add("L4FU5LQTKJR3", balance: 0, total: 5_000, redeemable: false, message: "Gutschein bereits eingelöst")
        await lane.scan("L4FU5LQTKJR3")
        #expect(lane.states.last == .denied(.eguma(message: "Gutschein bereits eingelöst")))
        #expect(await lane.eguma.count(.redeem) == 0)
        #expect(await lane.relay.pulses.isEmpty)
    }

    @Test func unknownCodeIsDeniedWithEgumasNotFoundMessage() async {
        let lane = LaneHarness()
        await lane.scan("ZZZZZZZZZZZZ")
        #expect(lane.states.last == .denied(.eguma(message: "Gutschein nicht gefunden")))
    }

    @Test func shortCodeIsRedeemedAndStoredUnderTheRealCode() async throws {
        let lane = LaneHarness()
        await lane.eguma.add("L4FU5LQTKJR3", balance: 5_000, shortCode: "42")
        await lane.scan("42")
        #expect(await lane.eguma.ledger.map(\.code) == ["L4FU5LQTKJR3"])
        #expect(try #require(await lane.store.redemptions.first).intent.code.text == "L4FU5LQTKJR3")
    }

    @Test func productNotInAcceptProductsIsDenied() async {
        let lane = LaneHarness { $0.acceptProducts = ["spa-day"] }
        await lane.eguma.add("L4FU5LQTKJR3", balance: 5_000, product: "massage")
        await lane.scan("L4FU5LQTKJR3")
        #expect(lane.states.last == .denied(.notValidHere))
        #expect(await lane.eguma.count(.redeem) == 0)
    }

    @Test func serviceVoucherListedInServiceProductsIsRedeemedWithServiceAmount() async {
        let lane = LaneHarness { $0.serviceProducts = ["svc-spa-day"]; $0.serviceRedeem = Money(cents: 0) }
        await lane.eguma.add("SERV1CEVOUCH", balance: 0, total: 0, product: "svc-spa-day")
        await lane.scan("SERV1CEVOUCH")
        #expect(await lane.eguma.ledger.map(\.amount) == [0])
        #expect(lane.eventTypes.last == .entered)
    }

    @Test func serviceVoucherNotListedIsDenied() async {
        let lane = LaneHarness()
        await lane.eguma.add("SERV1CEVOUCH", balance: 0, total: 0, product: "svc-spa-day")
        await lane.scan("SERV1CEVOUCH")
        #expect(lane.states.last == .denied(.notValidHere))
    }

    // MARK: Step 3 — split payment

    @Test func splitPaymentRedeemsNothingUntilCoveredThenBoth() async {
        let lane = LaneHarness()
        await lane.eguma.add("AAAA1111AAAA", balance: 1_000)
        await lane.eguma.add("BBBB2222BBBB", balance: 5_000)
        let timer = await lane.scan("AAAA1111AAAA")
        #expect(timer != nil)
        #expect(lane.states.last == .awaitingMore(remaining: Money(cents: 1_500)))
        #expect(await lane.eguma.count(.redeem) == 0)
        await lane.scan("BBBB2222BBBB")
        #expect(await lane.eguma.ledger.map(\.amount) == [1_000, 1_500])
        #expect(Set(await lane.eguma.ledger.map(\.reference)) == ["spa-north/main/1"])
        #expect(lane.eventTypes.filter { $0 == .redeemed }.count == 2)
        #expect(lane.eventTypes.last == .entered)
        // The guest reads both vouchers: each one's amount and new balance.
        #expect(lane.states.contains(.accepted(newBalance: Money(cents: 3_500), vouchers: [
            VoucherPaid(code: "••••-••••-AAAA", amount: Money(cents: 1_000), newBalance: .zero),
            VoucherPaid(code: "••••-••••-BBBB", amount: Money(cents: 1_500), newBalance: Money(cents: 3_500))])))
    }

    @Test func splitPaymentTimesOutWithNothingRedeemed() async throws {
        let lane = LaneHarness()
        await lane.eguma.add("AAAA1111AAAA", balance: 1_000)
        let running = Task { await lane.engine.run() }
        lane.engine.inbox.send(.scanner(.frame(Array("AAAA1111AAAA".utf8))))
        try await lane.feedback.states.waitFor("awaiting more") { $0 == .awaitingMore(remaining: Money(cents: 1_500)) }
        #expect(await lane.clock.waitForSleepers(1))
        lane.clock.advance(by: .milliseconds(30_000))
        try await lane.feedback.states.waitFor("split timeout") { $0 == .denied(.splitTimeout) }
        #expect(await lane.eguma.count(.redeem) == 0)
        #expect(await lane.store.outcome(1) == .denied)
        lane.engine.inbox.finish()
        await running.value
    }

    @Test func splitPaymentOffDeniesAVoucherThatDoesNotCoverThePrice() async {
        let lane = LaneHarness { $0.splitPayment = false }
        await lane.eguma.add("AAAA1111AAAA", balance: 1_000)
        await lane.scan("AAAA1111AAAA")
        #expect(lane.states.last == .denied(.insufficientBalance(balance: Money(cents: 1_000))))
        #expect(await lane.eguma.count(.redeem) == 0)
    }

    @Test func splitPaymentWhoseSecondRedeemIsRefusedCancelsTheFirstAndDenies() async {
        let lane = LaneHarness()
        await lane.eguma.add("AAAA1111AAAA", balance: 1_000)
        await lane.eguma.add("BBBB2222BBBB", balance: 5_000)
        await lane.scan("AAAA1111AAAA")
        await lane.eguma.fail(.redeem, .rejected("Gutschein gesperrt"), code: "BBBB2222BBBB")
        await lane.scan("BBBB2222BBBB")
        #expect(await lane.eguma.ledger.map(\.amount) == [1_000])
        #expect(await lane.eguma.netTaken == 0)
        #expect(await lane.eguma.balanceOf("AAAA1111AAAA") == 1_000)
        #expect(await lane.relay.pulses.isEmpty)
        #expect(lane.states.last == .denied(.eguma(message: "Gutschein gesperrt")))
    }

    @Test func splitPaymentWhoseSecondRedeemCannotBeSentCancelsTheFirst() async {
        let lane = LaneHarness()
        await lane.eguma.add("AAAA1111AAAA", balance: 1_000)
        await lane.eguma.add("BBBB2222BBBB", balance: 5_000)
        await lane.scan("AAAA1111AAAA")
        await lane.eguma.fail(.redeem, .notSent, code: "BBBB2222BBBB")
        await lane.scan("BBBB2222BBBB")
        #expect(await lane.eguma.netTaken == 0)
        #expect(lane.states.last == .denied(.redeemFailed))
    }

    @Test func aRefusedVoucherDuringSplitPaymentKeepsTheLaneWaiting() async {
        let lane = LaneHarness()
        await lane.eguma.add("AAAA1111AAAA", balance: 1_000)
        await lane.eguma.add("USEDUSEDUSED", balance: 0, total: 5_000, redeemable: false, message: "bereits eingelöst")
        await lane.scan("AAAA1111AAAA")
        await lane.scan("USEDUSEDUSED")
        #expect(lane.states.suffix(2) == [.denied(.eguma(message: "bereits eingelöst")), .awaitingMore(remaining: Money(cents: 1_500))])
        #expect(await lane.eguma.count(.redeem) == 0)
    }

    // MARK: Step 4 — redeem, uncertain outcomes

    @Test func intentIsJournalledBeforeTheRedeemAndAFailedJournalRedeemsNothing() async {
        let lane = LaneHarness()
        await lane.eguma.add("L4FU5LQTKJR3", balance: 5_000)
        await lane.store.setFailIntents(true)
        await lane.scan("L4FU5LQTKJR3")
        #expect(await lane.eguma.count(.redeem) == 0)
        #expect(lane.states.last == .denied(.outOfOrder))
    }

    @Test func uncertainRedeemThatTookEffectAdmitsAndRaisesTokenUnknown() async throws {
        let lane = LaneHarness()
        await lane.eguma.add("L4FU5LQTKJR3", balance: 5_000)
        await lane.eguma.fail(.redeem, .uncertain(applied: true))
        await lane.scan("L4FU5LQTKJR3")
        #expect(await lane.eguma.count(.redeem) == 1)  // never re-sent
        #expect(lane.eventTypes.contains(.tokenUnknown))
        #expect(lane.eventTypes.last == .entered)
        #expect(try #require(await lane.store.redemptions.first).state == .tokenUnknown)
    }

    /// Issue 12 item 1: an unchanged balance right after an uncertain redeem proves nothing (e-guma
    /// may apply it late). The guest is denied as "payment not confirmed", the redemption stays
    /// uncertain, and only a check after the whole schedule closes it as not applied.
    @Test func uncertainRedeemWithUnchangedBalanceIsDeniedAndClosedAsNotAppliedOnlyAfterTheLastCheck() async throws {
        let lane = LaneHarness()
        await lane.eguma.add("L4FU5LQTKJR3", balance: 5_000)
        await lane.eguma.fail(.redeem, .uncertain(applied: false))
        await lane.scan("L4FU5LQTKJR3")
        #expect(await lane.eguma.count(.redeem) == 1)
        #expect(lane.states.last == .denied(.paymentUnconfirmed))
        #expect(await lane.relay.pulses.isEmpty)
        #expect(try #require(await lane.store.redemptions.first).state == .uncertain)
        let entry = try #require(await lane.store.outbox.first)
        guard case .settle = entry.operation else { Issue.record("not a settle order"); return }

        // While it is being checked, the same voucher is refused at the lane (no second charge).
        lane.clock.advance(by: .seconds(3))
        await lane.scan("L4FU5LQTKJR3")
        #expect(lane.states.last == .denied(.voucherBeingChecked))
        #expect(await lane.eguma.count(.redeem) == 1)

        let schedule = SettleSchedule(delays: [.seconds(10), .seconds(60)])
        let worker = OutboxWorker(store: lane.store, journal: lane.store, services: ["spa": lane.eguma as any VoucherService],
                                  settleSchedule: schedule, clock: lane.clock, unitRandom: { 0 })
        #expect(await worker.runOnce() == lane.clock.now.advanced(by: .seconds(10)))  // check 0: not yet
        lane.clock.advance(by: .seconds(10))
        #expect(await worker.runOnce() == lane.clock.now.advanced(by: .seconds(60)))  // check 1: not yet
        #expect(try #require(await lane.store.redemptions.first).state == .uncertain)
        lane.clock.advance(by: .seconds(60))
        #expect(await worker.runOnce() == nil)  // check 2, after the whole schedule: not applied
        #expect(try #require(await lane.store.redemptions.first).state == .notRedeemed)
        #expect(!lane.eventTypes.contains(.tokenUnknown))
        #expect(await lane.eguma.count(.redeem) == 1)  // never re-sent
    }

    @Test func uncertainRedeemWhoseBalanceCheckFailsTooIsDeniedAndSettledLaterByTheOutbox() async throws {
        let lane = LaneHarness()
        await lane.eguma.add("L4FU5LQTKJR3", balance: 5_000)
        await lane.eguma.fail(.balance, .pass)       // step 2 answers
        await lane.eguma.fail(.redeem, .uncertain(applied: true))
        await lane.eguma.fail(.balance, .notSent)    // the settling Balance fails too
        await lane.scan("L4FU5LQTKJR3")
        #expect(lane.states.last == .denied(.paymentUnconfirmed))
        #expect(await lane.relay.pulses.isEmpty)
        #expect(try #require(await lane.store.redemptions.first).state == .uncertain)
        let entry = try #require(await lane.store.outbox.first)
        guard case .settle = entry.operation else { Issue.record("not a settle order"); return }

        let worker = OutboxWorker(store: lane.store, journal: lane.store, services: ["spa": lane.eguma as any VoucherService],
                                  clock: lane.clock, unitRandom: { 0 })
        await worker.runOnce()
        #expect(try #require(await lane.store.redemptions.first).state == .tokenUnknown)
        #expect(lane.eventTypes.last == .tokenUnknown)
        #expect(lane.store.events.values.last?.message?.contains("refund the guest") == true)
        #expect(await lane.eguma.count(.redeem) == 1)  // settled, never re-sent
    }

    /// Review item 2: an uncertain redeem whose settle entry cannot be queued (disk full) is
    /// raised at once and swept into the outbox by the worker once it can write — no restart.
    @Test func anUncertainRedeemWhoseCheckCannotBeQueuedIsRaisedAndSweptLater() async throws {
        let lane = LaneHarness()
        await lane.eguma.add("L4FU5LQTKJR3", balance: 5_000)
        await lane.eguma.fail(.redeem, .uncertain(applied: false))
        await lane.store.setFailEnqueue(true)
        await lane.scan("L4FU5LQTKJR3")
        #expect(lane.states.last == .denied(.paymentUnconfirmed))
        #expect(try #require(await lane.store.redemptions.first).state == .intent)
        #expect(lane.eventTypes.contains(.settleUnclear))
        #expect(await lane.store.outbox.isEmpty)

        await lane.store.setFailEnqueue(false)
        let worker = OutboxWorker(store: lane.store, journal: lane.store, services: ["spa": lane.eguma as any VoucherService],
                                  clock: lane.clock, unitRandom: { 0 }, forgottenAfter: .seconds(180))
        await worker.settleForgottenIntents()
        #expect(await lane.store.outbox.isEmpty)  // just seen: a lane may still be busy with it
        lane.clock.advance(by: .seconds(180))
        await worker.settleForgottenIntents()
        let entry = try #require(await lane.store.outbox.first)
        guard case .settle(let order) = entry.operation else { Issue.record("not a settle order"); return }
        #expect(order.code == "L4FU5LQTKJR3" && order.balanceBeforeCents == 5_000)
        #expect(try #require(await lane.store.redemptions.first).state == .uncertain)
        await worker.settleForgottenIntents()
        #expect(await lane.store.outbox.count == 1)  // never queued twice
    }

    /// Issue 12 item 4: a 5xx or garbage answer is e-guma answering, not e-guma unreachable.
    @Test func aBadBalanceAnswerDeniesWithEgumaErrorEvenWhenOfflineAdmits() async {
        let lane = LaneHarness { $0.offline = .admit }
        await lane.eguma.add("L4FU5LQTKJR3", balance: 5_000)
        await lane.eguma.fail(.balance, .badAnswer)
        await lane.eguma.fail(.balance, .badAnswer)
        await lane.scan("L4FU5LQTKJR3")
        lane.clock.advance(by: .seconds(3))
        await lane.scan("L4FU5LQTKJR3")
        #expect(lane.states.last == .denied(.egumaError))
        #expect(!lane.eventTypes.contains(.offlineAdmitted))
        #expect(await lane.store.outbox.isEmpty)
        #expect(await lane.relay.pulses.isEmpty)
        #expect(await !lane.online.isOffline)  // answers, however bad, never make the gate "offline"
    }

    // MARK: Steps 5–7 — open, passage, cancel

    @Test func noPassageCancelsTheRedemptionAndRestoresTheBalance() async throws {
        let lane = LaneHarness()
        await lane.eguma.add("L4FU5LQTKJR3", balance: 5_000)
        await lane.sensor.push(false)
        let handling = Task { await lane.scan("L4FU5LQTKJR3") }
        #expect(await lane.clock.waitForSleepers(1))
        lane.clock.advance(by: .milliseconds(10_000))
        _ = await handling.value
        #expect(await lane.eguma.balanceOf("L4FU5LQTKJR3") == 5_000)
        #expect(lane.eventTypes.suffix(2) == [.noPassage, .cancelled])
        #expect(lane.states.last == .cancelled)
        #expect(await lane.store.outcome(1) == .cancelled)
        #expect(try #require(await lane.store.redemptions.first).state == .cancelled)
    }

    @Test func passageJustBeforeTheTimeoutEnters() async {
        let lane = LaneHarness()
        await lane.eguma.add("L4FU5LQTKJR3", balance: 5_000)
        await lane.sensor.push(true)
        await lane.scan("L4FU5LQTKJR3")
        #expect(lane.eventTypes.last == .entered)
        #expect(await lane.sensor.armed == 1)
    }

    @Test func withoutSensorTheAdmissionIsEnteredWhenThePulseEnds() async {
        let lane = LaneHarness { $0.hasSensor = false }
        await lane.eguma.add("L4FU5LQTKJR3", balance: 5_000)
        await lane.scan("L4FU5LQTKJR3")
        #expect(lane.eventTypes.last == .entered)
        #expect(await lane.sensor.armed == 0)
    }

    @Test func relayFailureAfterRedeemCancelsTheRedemption() async {
        let lane = LaneHarness()
        await lane.eguma.add("L4FU5LQTKJR3", balance: 5_000)
        await lane.relay.setBroken(true)
        await lane.scan("L4FU5LQTKJR3")
        #expect(await lane.eguma.netTaken == 0)
        #expect(!lane.eventTypes.contains(.opened))
        #expect(lane.states.last == .cancelled)
    }

    @Test func cancelThatCannotBeSentGoesToTheOutbox() async throws {
        let lane = LaneHarness()
        await lane.eguma.add("L4FU5LQTKJR3", balance: 5_000)
        await lane.relay.setBroken(true)
        await lane.eguma.fail(.cancel, .notSent)
        await lane.scan("L4FU5LQTKJR3")
        let entry = try #require(await lane.store.outbox.first)
        guard case .cancel(let order) = entry.operation else { Issue.record("not a cancel"); return }
        #expect(order.token == "tok-1" && order.amountCents == 2_500 && order.code == "L4FU5LQTKJR3")
        #expect(lane.eventTypes.contains(.cancelQueued))
        #expect(try #require(await lane.store.redemptions.first).state == .cancelQueued)
    }

    /// Review item 1 (a): a queued cancel blocks the voucher. A rescan charged beside it would
    /// make the cancel's and any later settle check's balance evidence ambiguous.
    @Test func aVoucherWithAQueuedCancelIsRefusedUntilTheOutboxIsDone() async throws {
        let lane = LaneHarness()
        await lane.eguma.add("L4FU5LQTKJR3", balance: 5_000)
        await lane.relay.setBroken(true)
        await lane.eguma.fail(.cancel, .notSent)
        await lane.scan("L4FU5LQTKJR3")
        #expect(try #require(await lane.store.redemptions.first).state == .cancelQueued)
        await lane.relay.setBroken(false)
        lane.clock.advance(by: .seconds(5))
        await lane.scan("L4FU5LQTKJR3")
        #expect(lane.states.last == .denied(.voucherBeingChecked))
        #expect(await lane.eguma.count(.redeem) == 1)
        #expect(lane.store.events.values.last?.message?.contains("still pending in the outbox") == true)

        let worker = OutboxWorker(store: lane.store, journal: lane.store, services: ["spa": lane.eguma as any VoucherService],
                                  clock: lane.clock, unitRandom: { 0 })
        #expect(await worker.runOnce() == nil)  // the cancel goes through
        lane.clock.advance(by: .seconds(5))
        await lane.scan("L4FU5LQTKJR3")
        #expect(await lane.eguma.count(.redeem) == 2)  // nothing pending: admitted again
        #expect(lane.eventTypes.last == .entered)
    }

    /// Review item 1 (b): an offline admission waiting for its replay blocks the voucher online.
    @Test func aVoucherWithAPendingOfflineRedeemIsRefusedOnline() async throws {
        let lane = LaneHarness()
        try await lane.store.enqueue(.offlineRedeem(OfflineRedeemOrder(lane: "main", outlet: "spa", admission: 99,
                                                                   code: "L4FU5LQTKJR3", reference: "spa-north/main/99",
                                                                   amountCents: 2_500)))
        await lane.eguma.add("L4FU5LQTKJR3", balance: 5_000)
        await lane.scan("L4FU5LQTKJR3")
        #expect(lane.states.last == .denied(.voucherBeingChecked))
        #expect(await lane.eguma.count(.redeem) == 0)
    }

    /// Issue 13: the lane reads the outbox while Balance is on the wire, so work queued for the
    /// voucher during the call (another lane's settle, the worker) is only seen by the intent's
    /// own guarded transaction — which must refuse it: no Redeem beside pending work.
    @Test func workQueuedForTheVoucherDuringBalanceStopsTheRedeem() async throws {
        let lane = LaneHarness()
        await lane.eguma.add("L4FU5LQTKJR3", balance: 5_000)
        let store = lane.store
        await lane.eguma.onNextBalance {
            // Queued only after the lane's early read, which then saw nothing pending.
            _ = try? await withDeadline(.seconds(10), "the lane's outbox read during Balance") { await store.awaitPendingEntryRead() }
            _ = try? await store.enqueue(.settle(SettleOrder(lane: "east", outlet: "spa", admission: 77, redemption: 7,
                                                             code: "L4FU5LQTKJR3", amountCents: 2_500,
                                                             balanceBeforeCents: 7_500, guestEntered: false)))
        }
        await lane.scan("L4FU5LQTKJR3")
        #expect(await lane.eguma.count(.balance) == 1)
        #expect(await lane.eguma.count(.redeem) == 0)
        #expect(await lane.store.redemptions.isEmpty)  // no intent written beside the pending settle
        #expect(lane.states.last == .denied(.voucherBeingChecked))
        #expect(lane.eventTypes.suffix(2) == [.scanned, .denied])
        #expect(lane.store.events.values.last?.message?.contains("still pending in the outbox") == true)
        let admission = try #require(lane.store.events.values.last?.admission)
        #expect(await lane.store.outcome(admission) == .denied)
    }

    // MARK: Offline

    @Test func offlineDenyTellsTheGuestToAskStaffAndQueuesNothing() async {
        let lane = LaneHarness()
        await lane.eguma.fail(.balance, .notSent)
        await lane.scan("L4FU5LQTKJR3")
        #expect(lane.states.last == .offline)
        #expect(await lane.store.outbox.isEmpty)
        #expect(await lane.relay.pulses.isEmpty)
    }

    @Test func offlineAdmitLetsAFullCodeInOnceAndQueuesTheRedeem() async throws {
        let lane = LaneHarness { $0.offline = .admit }
        await lane.eguma.fail(.balance, .notSent)
        await lane.scan("L4FU-5LQT-KJR3")
        #expect(lane.eventTypes.contains(.offlineAdmitted))
        #expect(lane.eventTypes.last == .entered)
        let entry = try #require(await lane.store.outbox.first)
        guard case .offlineRedeem(let order) = entry.operation else { Issue.record("not a redeem"); return }
        #expect(order.code == "L4FU5LQTKJR3" && order.amountCents == 2_500 && order.reference == "spa-north/main/1")
        lane.clock.advance(by: .seconds(3))
        await lane.eguma.fail(.balance, .notSent)
        await lane.scan("L4FU5LQTKJR3")
        #expect(lane.states.last == .denied(.offlineNotPossible))
        #expect(await lane.store.outbox.count == 1)
    }

    @Test func offlineAdmitRefusesAShortCode() async {
        let lane = LaneHarness { $0.offline = .admit }
        await lane.eguma.fail(.balance, .notSent)
        await lane.scan("42")
        #expect(lane.states.last == .denied(.offlineNotPossible))
        #expect(await lane.store.outbox.isEmpty)
    }

    @Test func offlineAdmissionWithoutPassageWithdrawsTheQueuedRedeem() async throws {
        let lane = LaneHarness { $0.offline = .admit }
        await lane.eguma.fail(.balance, .notSent)
        await lane.sensor.push(false)
        let handling = Task { await lane.scan("L4FU5LQTKJR3") }
        #expect(await lane.clock.waitForSleepers(1))
        lane.clock.advance(by: .milliseconds(10_000))
        _ = await handling.value
        #expect(try #require(await lane.store.outbox.first).state == .withdrawn)
        #expect(lane.states.last == .cancelled)
    }

    /// Issue 12 item 4: `offline_max_admissions` per outage, reset by e-guma's next answer.
    @Test func offlineAdmissionsAreBoundedPerOutageAndTheBoundResetsWhenEgumaAnswers() async throws {
        let lane = LaneHarness { $0.offline = .admit; $0.offlineMaxAdmissions = 2 }
        for code in ["AAAA1111AAAA", "BBBB2222BBBB", "CCCC3333CCCC"] {
            await lane.eguma.fail(.balance, .notSent)
            await lane.scan(code)
            lane.clock.advance(by: .seconds(20))
        }
        #expect(lane.eventTypes.filter { $0 == .offlineAdmitted }.count == 2)
        #expect(lane.eventTypes.filter { $0 == .offlineLimit }.count == 1)
        #expect(lane.states.last == .denied(.offlineNotPossible))
        #expect(lane.store.events.values.last { $0.type == .offlineLimit }?.message?.contains("offline_max_admissions") == true)
        // e-guma answers once (the outage is over), then goes away again: a new outage.
        await lane.eguma.add("DDDD4444DDDD", balance: 5_000)
        await lane.scan("DDDD4444DDDD")
        lane.clock.advance(by: .seconds(20))
        await lane.eguma.fail(.balance, .notSent)
        await lane.scan("CCCC3333CCCC")
        #expect(lane.eventTypes.filter { $0 == .offlineAdmitted }.count == 3)
    }

    @Test func offlineAdmissionsAreBoundedPerRollingHour() async throws {
        let lane = LaneHarness { $0.offline = .admit; $0.offlineMaxPerHour = 1 }
        await lane.eguma.add("DDDD4444DDDD", balance: 50_000)
        await lane.eguma.fail(.balance, .notSent)
        await lane.scan("AAAA1111AAAA")
        lane.clock.advance(by: .seconds(20))
        await lane.scan("DDDD4444DDDD")  // an answer: a new outage, but the hour still counts
        lane.clock.advance(by: .seconds(20))
        await lane.eguma.fail(.balance, .notSent)
        await lane.scan("BBBB2222BBBB")
        #expect(lane.eventTypes.filter { $0 == .offlineAdmitted }.count == 1)
        #expect(lane.store.events.values.last { $0.type == .offlineLimit }?.message?.contains("offline_max_per_hour") == true)
        lane.clock.advance(by: .seconds(3_600))
        await lane.eguma.fail(.balance, .notSent)
        await lane.scan("BBBB2222BBBB")
        #expect(lane.eventTypes.filter { $0 == .offlineAdmitted }.count == 2)
    }

    @Test func offlineKnownOnlyAdmitsOnlyCodesSeenRedeemableWithAtLeastThePrice() async throws {
        let lane = LaneHarness { $0.offline = .admit; $0.offlineKnownOnly = true }
        await lane.eguma.add("AAAA1111AAAA", balance: 10_000, redeemable: false, message: "gesperrt")
        await lane.eguma.add("BBBB2222BBBB", balance: 3_000)  // after one entry 5.00 is left: below the price
        await lane.eguma.add("CCCC3333CCCC", balance: 10_000)
        for code in ["AAAA1111AAAA", "BBBB2222BBBB", "CCCC3333CCCC"] {
            await lane.scan(code)
            lane.clock.advance(by: .seconds(3))
        }
        for code in ["AAAA1111AAAA", "BBBB2222BBBB", "CCCC3333CCCC", "EEEE5555EEEE"] {
            await lane.eguma.fail(.balance, .notSent)
            await lane.scan(code)
            lane.clock.advance(by: .seconds(20))
        }
        let admitted = lane.store.events.values.filter { $0.type == .offlineAdmitted }.compactMap(\.code)
        #expect(admitted == ["CCCC3333CCCC"])
        #expect(lane.eventTypes.filter { $0 == .offlineLimit }.count == 3)
    }

    @Test func afterRepeatedFailuresTheLaneGoesOfflineWithoutCallingThenProbesBack() async {
        let lane = LaneHarness()
        await lane.eguma.add("L4FU5LQTKJR3", balance: 50_000)
        await lane.eguma.fail(.balance, .notSent)
        await lane.eguma.fail(.balance, .notSent)
        await lane.scan("L4FU5LQTKJR3")
        lane.clock.advance(by: .seconds(3))
        await lane.scan("L4FU5LQTKJR3")
        #expect(await lane.online.isOffline)
        lane.clock.advance(by: .seconds(3))
        await lane.scan("L4FU5LQTKJR3")
        #expect(await lane.eguma.count(.balance) == 2)  // skipped: offline, no probe yet
        lane.clock.advance(by: .seconds(15))
        await lane.scan("L4FU5LQTKJR3")
        #expect(await lane.eguma.count(.balance) == 3)  // the probe
        #expect(await !lane.online.isOffline)
        #expect(lane.eventTypes.last == .entered)
    }

    @Test func manualOpenPulsesTheRelayAndIsJournalled() async {
        let lane = LaneHarness()
        _ = await lane.engine.handle(.manualOpen(reason: "staff"))
        #expect(await lane.relay.pulses.count == 1)
        #expect(lane.eventTypes == [.manualOpen])
    }
}
