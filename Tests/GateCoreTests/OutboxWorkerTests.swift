import GateCore
import Testing
import TestSupport

@Suite("OutboxWorker: retries, order, dead letters, offline replay, recovery")
struct OutboxWorkerTests {
    let clock = TestClock()
    let eguma = FakeVoucherService()
    let store = MemoryStore()

    func worker(policy: RetryPolicy = RetryPolicy(base: .seconds(2), cap: .seconds(60), jitter: 0)) -> OutboxWorker<TestClock> {
        OutboxWorker(store: store, journal: store, services: ["spa": eguma], policy: policy, clock: clock, unitRandom: { 0 })
    }

    /// A redemption of 2500 taken by the fake e-guma and journalled as redeemed.
    func redeemed(_ code: String, admission: Int64 = 1) async throws -> (Int64, String) {
        await eguma.add(code, balance: 5_000)
        let r = try await eguma.redeem(VoucherCode(unchecked: code), amount: Money(cents: 2_500), reference: "g/main/\(admission)")
        let id = try await store.recordIntent(RedemptionIntent(admission: admission, lane: "main", outlet: "spa",
            code: VoucherCode(unchecked: code), amount: Money(cents: 2_500), reference: "g/main/\(admission)",
            balanceBefore: Money(cents: 5_000)))
        try await store.recordRedeemed(id, token: r.token, balanceAfter: r.newBalance)
        return (id, r.token)
    }

    func cancel(_ code: String, token: String?, redemption: Int64?, admission: Int64 = 1) -> OutboxOperation {
        .cancel(CancelOrder(lane: "main", outlet: "spa", admission: admission, redemption: redemption, code: code,
                            token: token, reference: "g/main/\(admission)", amountCents: 2_500))
    }

    func offlineRedeem(_ code: String, admission: Int64 = 1) -> OutboxOperation {
        .offlineRedeem(OfflineRedeemOrder(lane: "main", outlet: "spa", admission: admission, code: code,
                                          reference: "g/main/\(admission)", amountCents: 2_500))
    }

    @Test func cancelIsRetriedWithBackoffUntilEgumaConfirms() async throws {
        let (rid, token) = try await redeemed("AAAA1111AAAA")
        let id = try await store.enqueue(cancel("AAAA1111AAAA", token: token, redemption: rid))
        await eguma.fail(.cancel, .notSent)
        await eguma.fail(.cancel, .uncertain(applied: false))
        let w = worker()
        let first = await w.runOnce()
        #expect(first == clock.now.advanced(by: .seconds(2)))
        #expect(await w.runOnce() == first)  // not due yet: not tried
        #expect(await eguma.count(.cancel) == 1)
        clock.advance(by: .seconds(2))
        let second = await w.runOnce()
        #expect(second == clock.now.advanced(by: .seconds(4)))  // exponential
        clock.advance(by: .seconds(4))
        #expect(await w.runOnce() == nil)
        #expect(await store.entry(id)?.state == .done)
        #expect(await eguma.netTaken == 0)
        #expect(await store.redemptions.first?.state == .cancelled)
    }

    @Test func aCancelNeverOvertakesTheOfflineRedeemOfTheSameVoucher() async throws {
        await eguma.add("AAAA1111AAAA", balance: 5_000)
        await eguma.fail(.balance, .notSent)
        let redeemID = try await store.enqueue(offlineRedeem("AAAA1111AAAA"))
        let cancelID = try await store.enqueue(cancel("AAAA1111AAAA", token: nil, redemption: nil))
        let w = worker()
        await w.runOnce()
        #expect(await eguma.count(.cancel) == 0)  // held behind the failing redeem
        clock.advance(by: .seconds(2))
        await w.runOnce()  // redeem replays; its cancel goes right after with the replay's token
        await w.runOnce()
        #expect(await store.entry(redeemID)?.state == .done)
        #expect(await store.entry(cancelID)?.state == .done)
        #expect(await eguma.ledger.count == 1)
        #expect(await eguma.netTaken == 0)
    }

    @Test func aCancelEgumaRefusesIsDeadLetteredWithAnOperatorEvent() async throws {
        let (rid, token) = try await redeemed("AAAA1111AAAA")
        await eguma.fail(.cancel, .rejected("redemption already cancelled"))
        let id = try await store.enqueue(cancel("AAAA1111AAAA", token: token, redemption: rid))
        #expect(await worker().runOnce() == nil)
        #expect(await store.entry(id)?.state == .dead)
        #expect(store.events.values.last?.type == .cancelFailed)
        #expect(store.events.values.last?.message?.hasPrefix("redemption already cancelled") == true)
        #expect(await eguma.count(.balance) == 1)  // checked: the balance is not back up
    }

    @Test func offlineRedeemReplayIsBalanceThenRedeemExactlyOnce() async throws {
        await eguma.add("AAAA1111AAAA", balance: 5_000)
        let id = try await store.enqueue(offlineRedeem("AAAA1111AAAA"))
        let w = worker()
        await w.runOnce()
        await w.runOnce()
        #expect(await store.entry(id)?.state == .done)
        #expect(await eguma.ledger.map(\.amount) == [2_500])
        #expect(await eguma.ledger.first?.reference == "g/main/1")
        #expect(await store.redemptions.first?.state == .redeemed)
    }

    /// The guide's rule (issue 25): a replay redeems min(price, balance); what is missing is an
    /// operator event written with the token, and counted in the report.
    @Test func aReplayOfAVoucherHoldingLessThanThePriceTakesWhatThereIsAndRaisesTheShortfall() async throws {
        await eguma.add("AAAA1111AAAA", balance: 1_000)
        let id = try await store.enqueue(offlineRedeem("AAAA1111AAAA"))
        await worker().runOnce()
        #expect(await store.entry(id)?.state == .done)
        #expect(await eguma.ledger.map(\.amount) == [1_000])
        #expect(await store.redemptions.first?.state == .redeemed)
        #expect(await store.redemptions.first?.intent.amount == Money(cents: 1_000))
        let shortfall = try #require(store.events.values.last)
        #expect(shortfall.type == .offlineShortfall && shortfall.amountCents == 1_500 && shortfall.balanceCents == 0)
        #expect(shortfall.type.needsOperator)
        let report = DayReport(admissions: [], redemptions: [], events: store.events.values.map { ReportEvent($0) })
        #expect(report.total.offlineShortfalls == 1 && report.total.offlineShortfallCents == 1_500)
    }

    @Test func aReplayOfAServiceVoucherRedeemsWhatItsLaneWouldAndNeverAShortfall() async throws {
        await eguma.add("MAIS0N1111AA", balance: 0, total: 0, product: "maison")
        let lane = LaneSettings(name: "main", gateName: "g", outlet: "spa", price: Money(cents: 2_500),
                                serviceProducts: ["maison"], serviceRedeem: .zero)
        let id = try await store.enqueue(offlineRedeem("MAIS0N1111AA"))
        await OutboxWorker(store: store, journal: store, services: ["spa": eguma], clock: clock, unitRandom: { 0 },
                           lanes: ["main": lane]).runOnce()
        #expect(await store.entry(id)?.state == .done)
        #expect(await eguma.ledger.map(\.amount) == [0])
        #expect(!store.events.values.contains { $0.type == .offlineShortfall })
        // Elsewhere (no such service product at the lane) it is refused, nothing redeemed.
        await eguma.add("MAIS0N2222AA", balance: 0, total: 0, product: "other")
        let other = try await store.enqueue(offlineRedeem("MAIS0N2222AA", admission: 2))
        await worker().runOnce()
        #expect(await store.entry(other)?.state == .dead)
        #expect(await eguma.ledger.count == 1)
    }

    @Test func offlineRedeemOfAVoucherSpentElsewhereEndsAsOfflineRedeemFailed() async throws {
        await eguma.add("AAAA1111AAAA", balance: 0, total: 5_000, redeemable: false, message: "bereits eingelöst")
        let id = try await store.enqueue(offlineRedeem("AAAA1111AAAA"))
        await worker().runOnce()
        #expect(await store.entry(id)?.state == .dead)
        #expect(store.events.values.last?.type == .offlineRedeemFailed)
        #expect(store.events.values.last?.message == "bereits eingelöst")
        #expect(await eguma.count(.redeem) == 0)  // never a 0-cent redeem
    }

    @Test func uncertainOfflineReplayThatTookEffectIsNotResent() async throws {
        await eguma.add("AAAA1111AAAA", balance: 5_000)
        await eguma.fail(.redeem, .uncertain(applied: true))
        let id = try await store.enqueue(offlineRedeem("AAAA1111AAAA"))
        let w = worker()
        await w.runOnce()  // the replay: uncertain → handed to a settle entry
        #expect(await store.entry(id)?.state == .done)
        #expect(await store.redemptions.first?.state == .uncertain)
        await w.runOnce()  // the settle entry's first check: applied
        #expect(await eguma.count(.redeem) == 1)
        #expect(await store.redemptions.first?.state == .tokenUnknown)
        #expect(store.events.values.last?.message?.contains("refund") == false)  // the guest is in: nothing to refund
        #expect(store.events.values.contains { $0.type == .tokenUnknown })
    }

    @Test func recoverySettlesALostRedeemByBalanceAndCancelsAnInterruptedAdmission() async throws {
        // Admission 1 died after the redeem answer was stored, before passage: must be cancelled.
        let a1 = try await store.openAdmission(lane: "main")
        let (rid, _) = try await redeemed("AAAA1111AAAA", admission: a1)
        // Admission 2 died during the call: the redeem took effect at e-guma, no token stored.
        let a2 = try await store.openAdmission(lane: "main")
        await eguma.add("BBBB2222BBBB", balance: 5_000)
        let lost = try await store.recordIntent(RedemptionIntent(admission: a2, lane: "main", outlet: "spa",
            code: VoucherCode(unchecked: "BBBB2222BBBB"), amount: Money(cents: 2_500), reference: "g/main/\(a2)",
            balanceBefore: Money(cents: 5_000)))
        _ = try await eguma.redeem(VoucherCode(unchecked: "BBBB2222BBBB"), amount: Money(cents: 2_500), reference: "g/main/\(a2)")
        let w = worker()
        await w.recoverInterrupted()
        await w.runOnce()
        #expect(await store.redemptionsByID[rid]?.state == .cancelled)
        #expect(await store.redemptionsByID[lost]?.state == .tokenUnknown)
        #expect(await store.outcome(a1) == .cancelled)
        #expect(await eguma.balanceOf("AAAA1111AAAA") == 5_000)
    }

    /// An offline guest who never walked through owes nothing: a replay queued again after its
    /// first try proved not applied must not charge them (the lane's cancel found nothing to cancel).
    @Test func aReplayOfAnOfflineAdmissionClosedWithoutPassageRedeemsNothing() async throws {
        await eguma.add("AAAA1111AAAA", balance: 5_000)
        let admission = try await store.openAdmission(lane: "main")
        try await store.closeAdmission(admission, outcome: .cancelled)
        let id = try await store.enqueue(offlineRedeem("AAAA1111AAAA", admission: admission))
        #expect(await worker().runOnce() == nil)
        #expect(await store.entry(id)?.state == .done)
        #expect(await eguma.count(.redeem) == 0)
    }

    /// A replay whose admission's outcome cannot be read waits and redeems nothing: an unreadable
    /// journal is no evidence that the guest walked through.
    @Test func aReplayWhoseAdmissionCannotBeReadWaitsAndRedeemsNothing() async throws {
        await eguma.add("AAAA1111AAAA", balance: 5_000)
        let admission = try await store.openAdmission(lane: "main")
        try await store.closeAdmission(admission, outcome: .cancelled)
        let id = try await store.enqueue(offlineRedeem("AAAA1111AAAA", admission: admission))
        await store.setFailOutcomeReads(true)
        #expect(await worker().runOnce() != nil, "retried later")
        #expect(await store.entry(id)?.state == .pending)
        #expect(await eguma.count(.redeem) == 0)
        #expect(await eguma.count(.balance) == 0)
        await store.setFailOutcomeReads(false)
        #expect(await worker().runOnce() == nil)
        #expect(await store.entry(id)?.state == .done)
        #expect(await eguma.count(.redeem) == 0)
    }

    /// An intent journalled for the redeem of `code` (balance 5000 before, amount 2500) and its settle entry.
    func uncertain(_ code: String, admission: Int64 = 1) async throws -> (redemption: Int64, settle: OutboxOperation) {
        await eguma.add(code, balance: 5_000)
        let id = try await store.recordIntent(RedemptionIntent(admission: admission, lane: "main", outlet: "spa",
            code: VoucherCode(unchecked: code), amount: Money(cents: 2_500), reference: "g/main/\(admission)",
            balanceBefore: Money(cents: 5_000)))
        let order = SettleOrder(lane: "main", outlet: "spa", admission: admission, redemption: id, code: code,
                                amountCents: 2_500, balanceBeforeCents: 5_000, guestEntered: false)
        return (id, .settle(order))
    }

    /// Issue 12 item 1: e-guma applies the redeem after the first checks saw the old balance.
    @Test func aRedeemAppliedAfterTheFirstChecksIsFoundLaterAndRaisedAsChargedWithoutEntry() async throws {
        let (rid, op) = try await uncertain("AAAA1111AAAA")
        try await store.enqueue(op)
        let w = OutboxWorker(store: store, journal: store, services: ["spa": eguma],
                             settleSchedule: SettleSchedule(delays: [.seconds(10), .seconds(60), .seconds(300)]),
                             clock: clock, unitRandom: { 0 })
        await w.runOnce()
        clock.advance(by: .seconds(10))
        await w.runOnce()
        #expect(await store.redemptionsByID[rid]?.state == .intent)  // not proven either way yet
        await eguma.setBalance("AAAA1111AAAA", 2_500)  // e-guma finished the slow request
        clock.advance(by: .seconds(60))
        #expect(await w.runOnce() == nil)
        #expect(await store.redemptionsByID[rid]?.state == .tokenUnknown)
        let raised = store.events.values.filter { $0.type == .tokenUnknown }
        #expect(raised.count == 1 && raised.first?.message?.contains("charged without entry — refund the guest") == true)
    }

    @Test func aBalanceMovedByAnotherAmountIsAnOperatorQuestionNeverASilentNotApplied() async throws {
        let (rid, op) = try await uncertain("AAAA1111AAAA")
        let id = try await store.enqueue(op)
        await eguma.setBalance("AAAA1111AAAA", 4_000)  // spent 10.00 at another till
        #expect(await worker().runOnce() == nil)
        #expect(await store.entry(id)?.state == .dead)
        #expect(store.events.values.last?.type == .settleUnclear)
        #expect(await store.redemptionsByID[rid]?.state == .intent)
    }

    /// A restart must not bring a settle check forward: its delays are what proves "not applied".
    @Test func aRestartKeepsTheSettleCheckDelay() async throws {
        let (rid, op) = try await uncertain("AAAA1111AAAA")
        try await store.enqueue(op)
        let schedule = SettleSchedule(delays: [.seconds(10), .seconds(60)])
        let before = OutboxWorker(store: store, journal: store, services: ["spa": eguma], settleSchedule: schedule,
                                  clock: clock, unitRandom: { 0 })
        #expect(await before.runOnce() == clock.now.advanced(by: .seconds(10)))
        let restarted = OutboxWorker(store: store, journal: store, services: ["spa": eguma], settleSchedule: schedule,
                                     clock: clock, unitRandom: { 0 })
        #expect(await restarted.runOnce() == clock.now.advanced(by: .seconds(10)))  // waits, no check
        #expect(await eguma.count(.balance) == 1)
        #expect(await store.redemptionsByID[rid]?.state == .intent)
    }

    /// Issue 12 item 6: two workers (or a worker after a restart) settle one redemption: one event.
    @Test func settlingTheSameRedemptionTwiceRaisesTokenUnknownOnce() async throws {
        let (rid, op) = try await uncertain("AAAA1111AAAA")
        try await store.enqueue(op)
        try await store.enqueue(op)  // a duplicate, as a crash between queueing and the state change leaves
        _ = try await eguma.redeem(VoucherCode(unchecked: "AAAA1111AAAA"), amount: Money(cents: 2_500), reference: "g/main/1")
        async let first = worker().runOnce()
        async let second = worker().runOnce()
        _ = await (first, second)
        await worker().recoverInterrupted()  // a restart afterwards changes nothing
        await worker().runOnce()
        #expect(await store.redemptionsByID[rid]?.state == .tokenUnknown)
        #expect(store.events.values.filter { $0.type == .tokenUnknown }.count == 1)
        #expect(try await store.pendingEntries().isEmpty)
    }

    /// Issue 12 item 2: a cancel applied at e-guma whose answer was lost is refused on retry;
    /// the balance back up by the amount closes it as cancelled, not `cancel_failed`.
    @Test func aRefusedRetryOfACancelThatWasAppliedIsClosedAsCancelled() async throws {
        let (rid, token) = try await redeemed("AAAA1111AAAA")
        _ = try await eguma.cancel(VoucherCode(unchecked: "AAAA1111AAAA"), token: token, amount: Money(cents: 2_500))
        let op = OutboxOperation.cancel(CancelOrder(lane: "main", outlet: "spa", admission: 1, redemption: rid,
                                                    code: "AAAA1111AAAA", token: token, reference: "g/main/1",
                                                    amountCents: 2_500, balanceAfterRedeemCents: 2_500))
        let id = try await store.enqueue(op)
        #expect(await worker().runOnce() == nil)
        #expect(await store.entry(id)?.state == .done)
        #expect(await store.redemptionsByID[rid]?.state == .cancelled)
        #expect(!store.events.values.contains { $0.type == .cancelFailed })
        #expect(store.events.values.last?.type == .cancelled)
        #expect(await eguma.netTaken == 0)
    }

    /// Review item 1 (a): admission 1's cancel waits in the outbox, admission 2's redeem of the
    /// same voucher lost its answer but was applied. The queued cancel then brings the balance
    /// back to admission 2's "before": the settle check must not read that as "not applied".
    @Test func aSettleCheckBesideOtherActivityOnTheVoucherIsAnOperatorQuestion() async throws {
        let (r1, token) = try await redeemed("AAAA1111AAAA")  // e-guma: 5000 → 2500
        try await store.enqueue(cancel("AAAA1111AAAA", token: token, redemption: r1))
        let r2 = try await store.recordIntent(RedemptionIntent(admission: 2, lane: "main", outlet: "spa",
            code: VoucherCode(unchecked: "AAAA1111AAAA"), amount: Money(cents: 2_500), reference: "g/main/2",
            balanceBefore: Money(cents: 2_500)))
        _ = try await eguma.redeem(VoucherCode(unchecked: "AAAA1111AAAA"), amount: Money(cents: 2_500), reference: "g/main/2")
        let settle = try await store.enqueue(.settle(SettleOrder(lane: "main", outlet: "spa", admission: 2, redemption: r2,
            code: "AAAA1111AAAA", amountCents: 2_500, balanceBeforeCents: 2_500, guestEntered: false)))
        let w = OutboxWorker(store: store, journal: store, services: ["spa": eguma], settleSchedule: SettleSchedule(delays: []),
                             clock: clock, unitRandom: { 0 })
        await w.runOnce()  // the cancel goes through (balance 2500 = r2's "before"), then the settle check
        #expect(await store.redemptionsByID[r1]?.state == .cancelled)
        #expect(await store.entry(settle)?.state == .dead)
        #expect(await store.redemptionsByID[r2]?.state == .intent)  // never concluded "not applied"
        let raised = store.events.values.filter { $0.type == .settleUnclear }
        #expect(raised.count == 1 && raised.first?.message?.contains("refund the guest") == true)
    }

    /// Review item 1 (c): the first try of a cancel was applied (answer lost), then the guest's
    /// voucher was charged again. The retry is refused and the balance is not "back up": that is
    /// no proof of a real refusal either — an operator question, not a dead `cancel_failed`.
    @Test func aRefusedCancelBesideAnotherChargeOfTheVoucherIsAnOperatorQuestion() async throws {
        let (r1, token) = try await redeemed("AAAA1111AAAA")  // 5000 → 2500
        _ = try await eguma.cancel(VoucherCode(unchecked: "AAAA1111AAAA"), token: token, amount: Money(cents: 2_500))
        let r2 = try await store.recordIntent(RedemptionIntent(admission: 2, lane: "main", outlet: "spa",
            code: VoucherCode(unchecked: "AAAA1111AAAA"), amount: Money(cents: 2_500), reference: "g/main/2",
            balanceBefore: Money(cents: 5_000)))
        let second = try await eguma.redeem(VoucherCode(unchecked: "AAAA1111AAAA"), amount: Money(cents: 2_500), reference: "g/main/2")
        try await store.recordRedeemed(r2, token: second.token, balanceAfter: second.newBalance)
        let id = try await store.enqueue(.cancel(CancelOrder(lane: "main", outlet: "spa", admission: 1, redemption: r1,
            code: "AAAA1111AAAA", token: token, reference: "g/main/1", amountCents: 2_500, balanceAfterRedeemCents: 2_500)))
        #expect(await worker().runOnce() == nil)
        #expect(await store.entry(id)?.state == .dead)
        #expect(!store.events.values.contains { $0.type == .cancelFailed })
        #expect(store.events.values.last?.type == .settleUnclear)
        #expect(await store.redemptionsByID[r2]?.state == .redeemed)
    }

    /// Review item 3: checks that added attempts but no time (journal not readable, operator
    /// `outbox retry`, restarts) never conclude "not applied": only the time since the intent does.
    @Test func manyAttemptsInLittleTimeNeverConcludeNotApplied() async throws {
        let (rid, op) = try await uncertain("AAAA1111AAAA")
        let id = try await store.enqueue(op)
        for _ in 0..<4 { try await store.markRetry(id, error: "journal not readable", delay: .zero) }
        let schedule = SettleSchedule(delays: [.seconds(10), .seconds(60)])
        let w = OutboxWorker(store: store, journal: store, services: ["spa": eguma], settleSchedule: schedule,
                             clock: clock, unitRandom: { 0 })
        #expect(await w.runOnce() == clock.now.advanced(by: .seconds(70)))  // 4 attempts, no time: the whole wait
        #expect(await store.redemptionsByID[rid]?.state == .intent)
        clock.advance(by: .seconds(70))
        #expect(await w.runOnce() == nil)
        #expect(await store.redemptionsByID[rid]?.state == .notRedeemed)
    }

    /// Review item 5: a guest who entered after a redeem whose answer arrived but whose journal
    /// write failed is not "charged without entry": recovery raises a lost token, not a refund.
    @Test func recoveryOfAnIntentWhoseGuestEnteredRaisesALostTokenNotARefund() async throws {
        let admission = try await store.openAdmission(lane: "main")
        let (rid, _) = try await uncertain("AAAA1111AAAA", admission: admission)
        _ = try await eguma.redeem(VoucherCode(unchecked: "AAAA1111AAAA"), amount: Money(cents: 2_500), reference: "g/main/\(admission)")
        try await store.closeAdmission(admission, outcome: .entered)
        await worker().recoverInterrupted()
        #expect(await store.redemptionsByID[rid]?.state == .tokenUnknown)
        let raised = try #require(store.events.values.last { $0.type == .tokenUnknown })
        #expect(raised.message?.contains("refund") == false)
        #expect(raised.message?.contains("entered") == true)
        #expect(await store.outcome(admission) == .entered)  // not rewritten as cancelled
        #expect(await eguma.balanceOf("AAAA1111AAAA") == 2_500)  // the charge stands
    }

    /// Recovery that cannot read whether the guest entered concludes nothing: a Balance showing
    /// the charge would otherwise say "charged without entry — refund the guest" about a guest
    /// who walked in, and staff would pay the money out twice.
    @Test func recoveryThatCannotReadTheOutcomeConcludesNothing() async throws {
        let admission = try await store.openAdmission(lane: "main")
        let (rid, _) = try await uncertain("AAAA1111AAAA", admission: admission)
        _ = try await eguma.redeem(VoucherCode(unchecked: "AAAA1111AAAA"), amount: Money(cents: 2_500), reference: "g/main/\(admission)")
        try await store.closeAdmission(admission, outcome: .entered)
        await store.setFailOutcomeReads(true)
        await worker().recoverInterrupted()
        #expect(await store.redemptionsByID[rid]?.state == .intent)
        #expect(!store.events.values.contains { $0.type == .tokenUnknown })
        #expect(await store.outcome(admission) == .entered, "an outcome it could not read is not overwritten as cancelled")
        await store.setFailOutcomeReads(false)
        await worker().recoverInterrupted()
        let raised = try #require(store.events.values.last { $0.type == .tokenUnknown })
        #expect(raised.message?.contains("refund") == false, "\(raised)")
    }

    /// Recovery whose cancel cannot be queued (a full disk) leaves the admission open, so the
    /// redemption is still owed back at the next start — closing it as cancelled dropped it from
    /// every later recovery with the guest charged.
    @Test func anInterruptedAdmissionWhoseCancelCannotBeQueuedStaysOwedForTheNextStart() async throws {
        let admission = try await store.openAdmission(lane: "main")
        let (rid, _) = try await redeemed("AAAA1111AAAA", admission: admission)
        await store.setFailEnqueue(true)
        await worker().recoverInterrupted()
        #expect(await store.outcome(admission) == nil)
        #expect(await store.redemptionsByID[rid]?.state == .redeemed)
        #expect(store.events.values.contains { $0.type == .settleUnclear && $0.message?.contains("do not refund") == true })
        #expect(try await store.unsettledRedemptions().map(\.id) == [rid])

        await store.setFailEnqueue(false)
        await worker().recoverInterrupted()
        #expect(await store.redemptionsByID[rid]?.state == .cancelQueued)
        #expect(await store.outcome(admission) == .cancelled)
    }

    @Test func runWakesUpWhenKickedAndWhenABackoffExpires() async throws {
        let (rid, token) = try await redeemed("AAAA1111AAAA")
        let w = worker()
        let running = Task { await w.run() }
        await eguma.fail(.cancel, .notSent)
        try await store.enqueue(cancel("AAAA1111AAAA", token: token, redemption: rid))
        w.kick()
        #expect(await clock.waitForSleepers(1))  // backing off after the failed try
        clock.advance(by: .seconds(2))
        try await store.events.waitFor("cancel confirmed") { $0.type == .cancelled }
        #expect(await eguma.netTaken == 0)
        running.cancel()
        await running.value
    }
}
