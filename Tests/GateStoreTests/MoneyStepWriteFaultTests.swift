import Foundation
import Synchronization
import GateCore
@testable import GateStore
import Testing
import TestSupport

/// Every money step, cut at each of its writes in turn (issue 24): the real SQLite store refuses
/// the k-th write the way a full disk refuses a commit, for k = 1, 2, … until a run reaches no
/// k-th write. After each cut the disk "heals" and the gate goes on — either the same process
/// (its memory kept) or a restart (memory lost: recovery, then the worker) — and the journal must
/// end where money is right: no redemption left `intent` or `uncertain`, no entry pending, what
/// e-guma's ledger took equals what the journal says was taken, and nothing redeemed twice.
@Suite struct MoneyStepWriteFaultTests {
    static let code = "AAAA1111BBBB"
    static let price: Int64 = 2_500

    /// One run: a fresh journal and e-guma, `prepare` (no faults), then `step` with write `k` cut.
    struct Run {
        let journal: WriteCutJournal
        var database: GateDatabase { journal.database }
        var faults: WriteFaults { journal.faults }
        var eguma: FakeVoucherService { journal.eguma }
        var clock: TestClock { journal.clock }

        init() async throws {
            journal = try await WriteCutJournal(code: MoneyStepWriteFaultTests.code, balance: 10_000, outlet: "spa")
        }

        func worker() -> OutboxWorker<TestClock> { journal.worker() }

        func remove() { journal.remove() }

        func heal(_ worker: OutboxWorker<TestClock>, restart: Bool) async throws { try await journal.heal(worker, restart: restart) }

        var intent: RedemptionIntent {
            RedemptionIntent(admission: 1, lane: "main", outlet: "spa", code: VoucherCode(unchecked: MoneyStepWriteFaultTests.code),
                             amount: Money(cents: MoneyStepWriteFaultTests.price), reference: "spa-north/main/1",
                             balanceBefore: Money(cents: 10_000))
        }

        /// The end state every cut must reach.
        func expectSettled(taken expected: Int64, _ label: String) async throws {
            let redemptions = try await database.redemptions()
            let unsettled = redemptions.filter { [.intent, .uncertain, .cancelQueued].contains($0.state) }
            #expect(unsettled.isEmpty, "\(label): left unsettled: \(unsettled.map { "#\($0.id) \($0.state)" })")
            let open = try await database.openEntries()
            let pending = open.filter { $0.state == .pending }
            #expect(pending.isEmpty, "\(label): outbox entries pending: \(pending.map { "#\($0.id) \($0.operation.name)" })")
            // A dead entry is an operator's question: never without the event that asks it.
            let dead = open.filter { $0.state == .dead }.count
            let asked = try await database.events().filter { [.offlineRedeemFailed, .cancelFailed, .settleUnclear].contains($0.event.type) }.count
            #expect(dead <= asked, "\(label): \(dead) dead entries, \(asked) operator events")
            let ledger = await eguma.netTaken
            let journal = redemptions.filter { $0.state == .redeemed || $0.state == .tokenUnknown }.reduce(0) { $0 + $1.intent.amount.cents }
            #expect(ledger == expected, "\(label): e-guma took \(ledger), expected \(expected)")
            #expect(journal == ledger, "\(label): the journal says \(journal) taken, e-guma's ledger \(ledger)")
            let twice = Dictionary(grouping: await eguma.ledger, by: \.code).filter { $0.value.count > 1 }.keys
            #expect(twice.isEmpty, "\(label): more than one redeem of \(twice.map(VoucherCode.mask)) reached e-guma")
            // An uncancellable charge is always an operator event.
            let tokenLost = redemptions.filter { $0.state == .tokenUnknown }.count
            let raised = try await database.events().filter { $0.event.type == .tokenUnknown }.count
            #expect(raised >= tokenLost, "\(label): \(tokenLost) token_unknown redemption(s), \(raised) event(s)")
        }
    }

    /// Cuts `step` at write 1, 2, … (each in a fresh run, healed by the same process and by a
    /// restart) until it runs with no write left to cut. Returns the writes the step made.
    @discardableResult
    static func cutEveryWrite(_ name: String, taken expected: Int64,
                              prepare: @escaping (Run) async throws -> Void,
                              step: @escaping (Run, OutboxWorker<TestClock>) async throws -> Void) async throws -> Int {
        try await cutEveryWrite(name, taken: { _ in expected }, prepare: prepare, step: step)
    }

    /// `taken`: what e-guma must have kept at the end, from the run's end state (a lane's
    /// guest denied because the intent could not be written paid nothing).
    @discardableResult
    static func cutEveryWrite(_ name: String, taken expected: @escaping (Run) async throws -> Int64,
                              prepare: @escaping (Run) async throws -> Void,
                              step: @escaping (Run, OutboxWorker<TestClock>) async throws -> Void) async throws -> Int {
        var k = 1
        while true {
            var reached = false
            for restart in [false, true] {
                let run = try await Run(); defer { run.remove() }
                try await prepare(run)
                let worker = run.worker()
                run.faults.failing(at: k)
                try await step(run, worker)
                reached = run.faults.fired
                try await run.heal(restart ? run.worker() : worker, restart: restart)
                try await run.expectSettled(taken: try await expected(run), "\(name), write \(k) cut, \(restart ? "restart" : "same process")")
            }
            if !reached { return k - 1 }
            k += 1
            #expect(k < 40, "\(name): more writes than any step makes")
            if k >= 40 { return k }
        }
    }

    // MARK: The worker's steps

    /// A redeemed admission whose cancel waits in the outbox (no passage, e-guma was down).
    static func queuedCancel(_ run: Run) async throws {
        let answer = try await run.eguma.redeem(run.intent.code, amount: run.intent.amount, reference: run.intent.reference)
        try await run.database.openAdmission(1, lane: "main", scanned: nil)
        let redemption = try await run.database.beginRedemption(run.intent, scanned: nil)
        try await run.database.recordRedeemed(redemption, token: answer.token, balanceAfter: answer.newBalance,
                                              event: GateEvent(.redeemed, lane: "main", admission: 1))
        try await run.database.queueCancel(CancelOrder(lane: "main", outlet: "spa", admission: 1, redemption: redemption,
                                                       code: code, token: answer.token, reference: run.intent.reference,
                                                       amountCents: price, balanceAfterRedeemCents: answer.newBalance.cents))
        try await run.database.closeAdmission(1, outcome: .cancelled)
    }

    /// An offline admission whose guest walked through: its redeem waits for replay.
    static func offlineEntered(_ run: Run) async throws {
        try await run.database.openAdmission(1, lane: "main", scanned: nil)
        _ = try await run.database.queueOfflineRedeem(OfflineRedeemOrder(lane: "main", outlet: "spa", admission: 1, code: code,
                                                                         reference: run.intent.reference, amountCents: price))
        try await run.database.closeAdmission(1, outcome: .offlineEntered)
    }

    @Test func aCancelFromTheOutbox() async throws {
        let writes = try await Self.cutEveryWrite("cancel", taken: 0, prepare: Self.queuedCancel) { _, worker in
            await worker.runOnce()
        }
        #expect(writes >= 2)
    }

    @Test func anOfflineReplay() async throws {
        let writes = try await Self.cutEveryWrite("replay", taken: Self.price, prepare: Self.offlineEntered) { _, worker in
            await worker.runOnce()
        }
        #expect(writes >= 3)
    }

    @Test func anOfflineReplayWhoseRedeemAnswerIsLostButApplied() async throws {
        try await Self.cutEveryWrite("replay, answer lost, applied", taken: Self.price, prepare: { run in
            try await Self.offlineEntered(run)
            await run.eguma.fail(.redeem, .uncertain(applied: true))
        }) { _, worker in
            await worker.runOnce()
        }
    }

    @Test func anOfflineReplayWhoseRedeemAnswerIsLostAndNotApplied() async throws {
        try await Self.cutEveryWrite("replay, answer lost, not applied", taken: Self.price, prepare: { run in
            try await Self.offlineEntered(run)
            await run.eguma.fail(.redeem, .uncertain(applied: false))
        }) { _, worker in
            await worker.runOnce()
        }
    }

    @Test func anOfflineReplayEgumaRefuses() async throws {
        try await Self.cutEveryWrite("replay refused", taken: 0, prepare: { run in
            try await Self.offlineEntered(run)
            // Refused every time it is asked (a replay queued again after a restart asks again).
            for _ in 0..<10 { await run.eguma.fail(.redeem, .rejected("Gutschein gesperrt")) }
        }) { _, worker in
            await worker.runOnce()  // the refusal is final: the entry ends dead with its operator event
        }
    }

    @Test func aRefusedCancelWhoseEarlierTryWasApplied() async throws {
        try await Self.cutEveryWrite("cancel refused, earlier try applied", taken: 0, prepare: { run in
            try await Self.queuedCancel(run)
            // An earlier try of the cancel was applied and its answer lost: this try is refused,
            // and the balance proves the money is back.
            let token = await run.eguma.ledger.first?.token ?? ""
            _ = try await run.eguma.cancel(run.intent.code, token: token, amount: run.intent.amount)
        }) { _, worker in
            await worker.runOnce()
        }
    }

    // MARK: Start-up recovery

    @Test func recoveryOfAnAdmissionCutShortAfterItsRedeem() async throws {
        try await Self.cutEveryWrite("recovery, redeemed", taken: 0, prepare: { run in
            let answer = try await run.eguma.redeem(run.intent.code, amount: run.intent.amount, reference: run.intent.reference)
            try await run.database.openAdmission(1, lane: "main", scanned: nil)
            let redemption = try await run.database.beginRedemption(run.intent, scanned: nil)
            try await run.database.recordRedeemed(redemption, token: answer.token, balanceAfter: answer.newBalance,
                                                  event: GateEvent(.redeemed, lane: "main", admission: 1))
        }) { _, worker in
            await worker.recoverInterrupted()
        }
    }

    @Test func recoveryOfARedeemWhoseAnswerWasNeverJournalled() async throws {
        try await Self.cutEveryWrite("recovery, intent applied", taken: Self.price, prepare: { run in
            try await run.database.openAdmission(1, lane: "main", scanned: nil)
            _ = try await run.database.beginRedemption(run.intent, scanned: nil)
            _ = try await run.eguma.redeem(run.intent.code, amount: run.intent.amount, reference: run.intent.reference)
        }) { _, worker in
            await worker.recoverInterrupted()
        }
        try await Self.cutEveryWrite("recovery, intent not applied", taken: 0, prepare: { run in
            try await run.database.openAdmission(1, lane: "main", scanned: nil)
            _ = try await run.database.beginRedemption(run.intent, scanned: nil)
        }) { _, worker in
            await worker.recoverInterrupted()
        }
    }

    // MARK: A lane's admission over the same store

    static func lane(_ run: Run, passes: Bool, offline: Bool = false) -> LaneEngine<TestClock> {
        var settings = LaneSettings(name: "main", gateName: "spa-north", outlet: "spa", price: Money(cents: price))
        if offline { settings.offline = .admit }
        return LaneEngine(settings: settings, service: run.eguma, relay: ScriptedRelay(),
                          sensor: ScriptedPassageSensor(clock: run.clock, script: [passes]), feedback: RecordingGuestFeedback(),
                          journal: run.database, outbox: run.database, online: OnlineMonitor(clock: run.clock), clock: run.clock)
    }

    /// A scan handled to its end with write k cut; the lane then handles one more input (its
    /// kept writes go first) before the outbox heals what is left. The passage timeout runs on
    /// the test clock: whenever the lane waits on it, it is moved past the timeout.
    static func scan(_ run: Run, passes: Bool, offline: Bool = false, codes: [String] = [code]) async {
        let lane = lane(run, passes: passes, offline: offline)
        let finished = Mutex(false)
        let scan = Task {
            for code in codes { _ = await lane.handle(.scanner(.frame(Array(code.utf8)))) }
            finished.withLock { $0 = true }
        }
        let limit = ContinuousClock.now + TestPatience.scaled(.seconds(10))
        while !finished.withLock({ $0 }), ContinuousClock.now < limit {
            if run.clock.sleeperCount > 0 { run.clock.advance(by: .seconds(60)) }
            await Task.yield()
        }
        #expect(finished.withLock { $0 }, "the lane did not finish the scan")
        _ = await scan.value
        run.faults.failing(at: nil)
        _ = await lane.handle(.unlock(reason: "next input"))
    }

    /// The price when the guest entered (online or offline), else nothing.
    static func paidIfEntered(_ run: Run) async throws -> Int64 {
        let outcome = try await run.database.outcome(ofAdmission: 1)
        return outcome == .entered || outcome == .offlineEntered ? price : 0
    }

    @Test func aLaneAdmissionWithPassage() async throws {
        try await Self.cutEveryWrite("lane, entered", taken: Self.paidIfEntered, prepare: { _ in }) { run, _ in
            await Self.scan(run, passes: true)
        }
    }

    @Test func aLaneAdmissionWithoutPassage() async throws {
        try await Self.cutEveryWrite("lane, no passage", taken: 0, prepare: { _ in }) { run, _ in
            await Self.scan(run, passes: false)
        }
    }

    @Test func aLaneRedeemWhoseAnswerIsLost() async throws {
        try await Self.cutEveryWrite("lane, redeem answer lost", taken: 0, prepare: { run in
            await run.eguma.fail(.redeem, .uncertain(applied: false))
        }) { run, _ in
            await Self.scan(run, passes: true)
        }
    }

    /// A split payment (issue 24): voucher 1 pays 10.00 of 25.00, voucher 2 the rest; token 1
    /// and intent 2 share one commit, and a cut there (or anywhere) ends with both vouchers
    /// charged once and kept (guest in) or nothing kept.
    @Test func aLaneSplitPaymentWithPassage() async throws {
        let first = "CCCC2222DDDD"
        try await Self.cutEveryWrite("lane, split payment, entered", taken: Self.paidIfEntered, prepare: { run in
            await run.eguma.add(first, balance: 1_000)
        }) { run, _ in
            await Self.scan(run, passes: true, codes: [first, Self.code])
        }
    }

    /// e-guma unreachable: the lane admits offline (one commit: the queued redeem and the
    /// remembered code); the replay after the heal takes the price once, or nothing when the
    /// guest never walked through (the queued redeem withdrawn).
    @Test func aLaneOfflineAdmissionWithPassage() async throws {
        try await Self.cutEveryWrite("lane offline, entered", taken: Self.paidIfEntered, prepare: { run in
            await run.eguma.fail(.balance, .notSent)
        }) { run, _ in
            await Self.scan(run, passes: true, offline: true)
        }
    }

    @Test func aLaneOfflineAdmissionWithoutPassage() async throws {
        try await Self.cutEveryWrite("lane offline, no passage", taken: 0, prepare: { run in
            await run.eguma.fail(.balance, .notSent)
        }) { run, _ in
            await Self.scan(run, passes: false, offline: true)
        }
    }

    // MARK: The change sequence

    @Test func everyStepBumpsTheChangeSequenceInItsOwnTransaction() async throws {
        let run = try await Run(); defer { run.remove() }
        func sequence() async throws -> Int64 { try await run.database.changeSequence() }
        let start = try await sequence()
        try await Self.offlineEntered(run)
        let queued = try await sequence()
        #expect(queued > start)
        await run.worker().runOnce()
        let replayed = try await sequence()
        #expect(replayed > queued)
        // The redemption the replay settled carries a number from that step, above the queueing.
        let changed = try await run.database.changedRows(after: queued)
        #expect(changed.contains { $0.table == "redemption" })
        #expect(changed.contains { $0.table == "outbox" })
        #expect(changed.allSatisfy { $0.sequence > queued && $0.sequence <= replayed })
        // A cut step bumps nothing: the sequence is part of the transaction.
        run.faults.failing(at: 1)
        _ = try? await run.database.queueOfflineRedeem(OfflineRedeemOrder(lane: "main", outlet: "spa", admission: 2, code: "CCCC2222DDDD",
                                                                          reference: "spa-north/main/2", amountCents: 100))
        run.faults.failing(at: nil)
        #expect(try await sequence() == replayed)
    }
}
