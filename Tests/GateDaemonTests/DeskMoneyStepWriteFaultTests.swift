import Foundation
import GateCore
import GateDaemon
import GateStore
import Testing
import TestSupport

/// The money steps of issue 25 — a desk redemption (intent, Redeem, closing) and an admission's
/// void — cut at each of their writes in turn, on the real SQLite store (as a full disk refuses a
/// commit), in the style of `MoneyStepWriteFaultTests`. After each cut the disk heals and the gate
/// goes on, in the same process (the daemon's worker and sweeps) or after a restart (recovery
/// first): no redemption may stay `intent`/`uncertain`, no entry pending, and e-guma's ledger
/// must equal what the journal says was taken.
@Suite struct DeskMoneyStepWriteFaultTests {
    static let code = "DESK1111CCCC"
    static let price: Int64 = 2_500

    typealias Run = WriteCutJournal

    static func fresh() async throws -> Run { try await WriteCutJournal(code: code, balance: 10_000, outlet: "spa") }
}

extension WriteCutJournal {
    var desk: DeskRedemption { DeskRedemption(database: database, service: eguma, gateName: "north", outlet: "spa") }

    func heal(restart: Bool) async throws { try await heal(worker(), restart: restart) }

    func expectSettled(_ label: String) async throws {
        let redemptions = try await database.redemptions()
        let unsettled = redemptions.filter { [.intent, .uncertain, .cancelQueued].contains($0.state) }
        #expect(unsettled.isEmpty, "\(label): left unsettled: \(unsettled.map { "#\($0.id) \($0.state)" })")
        #expect(try await database.pendingEntries().isEmpty, "\(label): outbox entries pending")
        let ledger = await eguma.netTaken
        let journal = redemptions.filter { $0.state == .redeemed || $0.state == .tokenUnknown }.reduce(0) { $0 + $1.intent.amount.cents }
        #expect(journal == ledger, "\(label): the journal says \(journal) taken, e-guma's ledger \(ledger)")
        #expect(await eguma.count(.redeem) <= 1, "\(label): a redeem was sent twice")
        let tokenLost = redemptions.filter { $0.state == .tokenUnknown }.count
        let raised = try await database.events().filter { $0.event.type == .tokenUnknown }.count
        #expect(raised >= tokenLost, "\(label): \(tokenLost) token_unknown redemption(s), \(raised) event(s)")
    }
}

extension DeskMoneyStepWriteFaultTests {
    /// Cuts `step` at write 1, 2, … until a run reaches no cut; returns the writes it made.
    static func cutEveryWrite(_ name: String, prepare: (Run) async throws -> Void = { _ in },
                              step: (Run) async throws -> Void, after: (Run, String) async throws -> Void = { _, _ in }) async throws -> Int {
        var k = 1
        while k < 20 {
            var reached = false
            for restart in [false, true] {
                let run = try await fresh(); defer { run.remove() }
                try await prepare(run)
                run.faults.failing(at: k)
                try await step(run)
                reached = run.faults.fired
                let label = "\(name), write \(k) cut, \(restart ? "restart" : "same process")"
                try await run.heal(restart: restart)
                try await run.expectSettled(label)
                try await after(run, label)
            }
            if !reached { return k - 1 }
            k += 1
        }
        Issue.record("\(name): more writes than the step makes")
        return k
    }

    @Test func aDeskRedemptionCutAtEveryWriteEndsWithTheJournalAgreeingWithEguma() async throws {
        let writes = try await Self.cutEveryWrite("desk redemption", step: { run in
            do { _ = try await run.desk.run(code: Self.code, amount: Money(cents: Self.price), user: "desk") } catch {
                // Cut before the Redeem (the intent's write): nothing may have been taken.
                #expect(await run.eguma.count(.redeem) == 0)
            }
        }, after: { run, label in
            let open = try await run.database.admissionRecords(from: .distantPast, to: .distantFuture).filter { $0.outcome == nil }
            #expect(open.isEmpty, "\(label): a desk admission left open")
        })
        #expect(writes >= 2, "intent, then the closing step")
    }

    @Test func anAdmissionVoidCutAtEveryWriteIsWholeOrNothingAndGivesTheMoneyBack() async throws {
        let writes = try await Self.cutEveryWrite("admission void", prepare: { run in
            let outcome = try await run.desk.run(code: Self.code, amount: Money(cents: Self.price), user: "desk")
            #expect(outcome.exitCode == 0, "\(outcome)")
        }, step: { run in
            let id = try #require(try await run.database.admissionRecords(from: .distantPast, to: .distantFuture).first?.id)
            do { _ = try await run.database.voidAdmission(id, user: "anna", reason: "test") } catch {
                // Refused whole: no cancel queued, the redemption still `redeemed`, no event.
                #expect(try await run.database.pendingEntries().isEmpty)
                #expect(try await run.database.redemptions().map(\.state) == [.redeemed])
                #expect(try await run.database.events().filter { $0.event.type == .admissionVoided }.isEmpty)
            }
        }, after: { run, label in
            if try await run.database.events().filter({ $0.event.type == .admissionVoided }).isEmpty {
                // The void was refused: the operator runs it again once the disk has room.
                let id = try #require(try await run.database.admissionRecords(from: .distantPast, to: .distantFuture).first?.id)
                _ = try await run.database.voidAdmission(id, user: "anna", reason: "test")
                try await run.heal(restart: false)
                try await run.expectSettled(label + ", void run again")
            }
            #expect(await run.eguma.netTaken == 0, "\(label): the money is back")
        })
        #expect(writes >= 1)
    }
}

extension DeskMoneyStepWriteFaultTests {
    /// A Redeem without an answer whose Balance right after proves nothing (unreachable): the
    /// desk says "not known to be paid" (exit 3), the redemption is `uncertain` with a settle
    /// entry, and the outbox decides by evidence — applied or not — without sending it again.
    @Test(arguments: [true, false])
    func aDeskRedeemWithoutAnswerOrProofIsSettledByTheOutboxNeverResent(applied: Bool) async throws {
        let run = try await Self.fresh(); defer { run.remove() }
        await run.eguma.fail(.balance, .pass)
        await run.eguma.fail(.redeem, .uncertain(applied: applied))
        await run.eguma.fail(.balance, .uncertain(applied: false))
        let outcome = try await run.desk.run(code: Self.code, amount: Money(cents: Self.price), user: "desk")
        #expect(outcome.exitCode == 3, "\(outcome)")
        #expect(outcome.lines.contains { $0.contains("Do not redeem it again") }, "\(outcome)")
        #expect(try await run.database.redemptions().map(\.state) == [.uncertain])
        #expect(try await run.database.pendingEntries().map(\.operation.name) == ["settle"])
        let open = try await run.database.admissionRecords(from: .distantPast, to: .distantFuture).filter { $0.outcome == nil }
        #expect(open.isEmpty, "the desk admission is closed with the settle entry")

        try await run.heal(restart: false)
        try await run.expectSettled(applied ? "applied late" : "not applied")
        #expect(try await run.database.redemptions().map(\.state) == [applied ? .tokenUnknown : .notRedeemed])
        #expect(await run.eguma.count(.redeem) == 1)
    }
}
