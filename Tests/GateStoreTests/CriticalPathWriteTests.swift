import Foundation
import GateCore
@testable import GateStore
import GRDB
import Testing
import TestSupport

/// The store's side of issue 13: the two transactions before the relay, and admission ids
/// handed out without a write.
@Suite("Writes before the relay")
struct CriticalPathWriteTests {
    @Test func beginRedemptionWritesTheAdmissionItsScannedEventAndTheIntentTogether() async throws {
        let temp = try TempDatabase(); defer { temp.remove() }
        let db = try await temp.open()
        let admission = db.reserveAdmission(lane: "main")
        #expect(try await db.outcome(ofAdmission: admission) == nil)
        #expect(try await db.events().isEmpty)  // reserving writes nothing
        let scanned = GateEvent(.scanned, lane: "main", admission: admission, code: "AAAA1111AAAA")
        let redemption = try await db.beginRedemption(intent(admission: admission), scanned: scanned)
        try db.close()

        let reopened = try await temp.open()
        #expect(try await reopened.events().map(\.event) == [scanned])
        #expect(try await reopened.redemption(id: redemption)?.state == .intent)
        #expect(try await reopened.unsettledRedemptions().map(\.id) == [redemption])
        let started = try await reopened.writer.read { try Int64.fetchOne($0, sql: "SELECT COUNT(*) FROM admission WHERE id = ?", arguments: [admission]) }
        #expect(started == 1)
        try reopened.close()
    }

    /// A transaction whose statements fail half-way writes nothing and leaves no transaction
    /// open: the next write commits (`GateDatabase.transaction`, BEGIN and COMMIT prepared once).
    @Test func aTransactionThatThrowsHalfWayWritesNothingAndTheNextOneCommits() async throws {
        struct HalfWay: Error {}
        let temp = try TempDatabase(); defer { temp.remove() }
        let db = try await temp.open()
        let first = GateEvent(.scanned, lane: "main", code: "AAAA1111AAAA")
        await #expect(throws: HalfWay.self) {
            try await db.write(critical: true) { conn in
                try GateDatabase.insert(first, at: JournalTime.now, in: conn)
                throw HalfWay()
            }
        }
        #expect(try await db.events().isEmpty)
        let second = GateEvent(.scanned, lane: "main", code: "BBBB2222BBBB")
        try await db.write { conn in try GateDatabase.insert(second, at: JournalTime.now, in: conn) }
        try await db.write { conn in try GateDatabase.insert(second, at: JournalTime.now, in: conn) }
        #expect(try await db.events().map(\.event) == [second, second])
        try db.close()
    }

    /// The WAL is never checkpointed by the intent or the token commit — the next ordinary commit
    /// does it (`CheckpointDeferral`): the main file does not change while only critical commits
    /// come, however large the WAL grows, and takes the pages at the first ordinary commit.
    @Test func walCheckpointsWaitForAnOrdinaryCommit() async throws {
        let temp = try TempDatabase(); defer { temp.remove() }
        let db = try GateDatabase.open(path: temp.path, synchronous: "FULL", checkpointPages: 4)
        let deferral = try #require(db.checkpointing)
        let mainFile = { try #require(FileManager.default.attributesOfItem(atPath: temp.path)[.size] as? Int) }
        let before = try mainFile()
        var tokens: [Int64: String] = [:]
        for _ in 0..<20 {
            let admission = db.reserveAdmission(lane: "main")
            let redemption = try await db.beginRedemption(intent(admission: admission), scanned: GateEvent(.scanned, lane: "main", admission: admission))
            try await db.recordRedeemed(redemption, token: "tok-\(admission)", balanceAfter: Money(cents: 2_500),
                                        event: GateEvent(.redeemed, lane: "main", admission: admission, amountCents: 2_500))
            tokens[redemption] = "tok-\(admission)"
        }
        #expect(deferral.checkpoints == 0)
        #expect(deferral.deferred >= 30, "40 critical commits over a 4-page threshold: nearly all deferred, \(deferral.deferred) were")
        #expect(try mainFile() == before, "a critical commit checkpointed: the main file changed")

        try await db.append(GateEvent(.opened, lane: "main", admission: 1))  // an ordinary commit
        #expect(deferral.checkpoints == 1)
        #expect(try mainFile() > before, "the ordinary commit did not checkpoint")
        try db.close()

        let reopened = try await temp.open()
        for (redemption, token) in tokens {  // every token is there
            #expect(try await reopened.redemption(id: redemption)?.token == token)
        }
        try reopened.close()
    }

    /// A complete checkpoint makes a WAL restart due: the first commit after it writes the WAL
    /// from its start under a new header (new salts) and, with FULL, fsyncs that header before
    /// its frames — one fsync more. The store makes the restart right after the ordinary commit
    /// that checkpointed, so the next guest's intent appends under the same header.
    @Test func theWalRestartAfterACheckpointIsNotLeftToTheNextIntent() async throws {
        let temp = try TempDatabase(); defer { temp.remove() }
        let db = try GateDatabase.open(path: temp.path, synchronous: "FULL", checkpointPages: 4)
        let deferral = try #require(db.checkpointing)
        for admission in Int64(1)...50 where deferral.checkpoints == 0 {  // ordinary commits until one checkpoints
            try await db.append(GateEvent(.opened, lane: "main", admission: admission))
        }
        #expect(deferral.checkpoints == 1)
        #expect(deferral.restarts == 1)
        let salts = try walSalts(temp.path)
        let admission = db.reserveAdmission(lane: "main")
        let redemption = try await db.beginRedemption(intent(admission: admission), scanned: GateEvent(.scanned, lane: "main", admission: admission))
        #expect(try walSalts(temp.path) == salts, "the intent's commit restarted the WAL: its header fsync fell before the relay")
        try await db.recordRedeemed(redemption, token: "tok-1", balanceAfter: Money(cents: 2_500),
                                    event: GateEvent(.redeemed, lane: "main", admission: admission, amountCents: 2_500))
        #expect(try walSalts(temp.path) == salts)
        try db.close()

        let reopened = try await temp.open()
        #expect(try await reopened.redemption(id: redemption)?.token == "tok-1")
        try reopened.close()
    }

    /// Salt-1 and salt-2 of the WAL's header (bytes 16–23): new at every restart of the WAL.
    private func walSalts(_ path: String) throws -> [UInt8] {
        let header = try #require(FileHandle(forReadingAtPath: path + "-wal")).readData(ofLength: 32)
        try #require(header.count == 32, "the WAL has no header yet")
        return Array(header[16..<24])
    }

    /// A critical write that is refused (here a second token) rolls back and has no commit: its
    /// mark must not fall on the next, ordinary commit, which checkpoints as it would have.
    @Test func aRefusedCriticalWriteLeavesNoMarkForTheNextCommit() async throws {
        let temp = try TempDatabase(); defer { temp.remove() }
        let db = try GateDatabase.open(path: temp.path, synchronous: "FULL", checkpointPages: 4)
        let deferral = try #require(db.checkpointing)
        let admission = db.reserveAdmission(lane: "main")
        let redemption = try await db.beginRedemption(intent(admission: admission), scanned: GateEvent(.scanned, lane: "main", admission: admission))
        let redeemed = GateEvent(.redeemed, lane: "main", admission: admission, amountCents: 2_500)
        try await db.recordRedeemed(redemption, token: "tok-1", balanceAfter: Money(cents: 2_500), event: redeemed)
        await #expect(throws: GateStoreError.self) {
            try await db.recordRedeemed(redemption, token: "tok-2", balanceAfter: Money(cents: 0), event: redeemed)
        }
        #expect(deferral.checkpoints == 0)
        try await db.append(GateEvent(.opened, lane: "main", admission: admission))  // ordinary, WAL over 4 pages
        #expect(deferral.checkpoints == 1, "the refused write's mark deferred the ordinary commit's checkpoint")
        try db.close()
    }

    @Test func theTokenAndItsEventAreWrittenOnlyWhileTheRedemptionIsAnIntent() async throws {
        let temp = try TempDatabase(); defer { temp.remove() }
        let db = try await temp.open()
        let admission = db.reserveAdmission(lane: "main")
        let redemption = try await db.beginRedemption(intent(admission: admission),
                                                      scanned: GateEvent(.scanned, lane: "main", admission: admission))
        let redeemed = GateEvent(.redeemed, lane: "main", admission: admission, amountCents: 2_500)
        try await db.recordRedeemed(redemption, token: "tok-1", balanceAfter: Money(cents: 2_500), event: redeemed)
        #expect(try await db.redemption(id: redemption)?.token == "tok-1")
        // A second token for the same redemption (already redeemed) is refused and writes no event.
        await #expect(throws: GateStoreError.self) {
            try await db.recordRedeemed(redemption, token: "tok-2", balanceAfter: Money(cents: 0), event: redeemed)
        }
        #expect(try await db.redemption(id: redemption)?.token == "tok-1")
        #expect(try await db.events().map(\.event.type) == [.scanned, .redeemed])
        try db.close()
    }

    /// `queueCancel`: the cancel entry and its redemption's `cancel_queued` in one transaction,
    /// the state change guarded (only a `redeemed` redemption becomes `cancel_queued`).
    /// The lane's intent is refused inside its own transaction while the outbox holds pending
    /// work for the voucher: nothing written, no commit; the worker's unguarded intent still goes.
    @Test func aLaneIntentBesidePendingOutboxWorkWritesNothing() async throws {
        let temp = try TempDatabase(); defer { temp.remove() }
        let db = try await temp.open()
        try await db.enqueue(.settle(SettleOrder(lane: "east", outlet: "spa", admission: 1, redemption: 1, code: "AAAA1111AAAA",
                                                 amountCents: 2_500, balanceBeforeCents: 5_000, guestEntered: false)))
        let commits = CommitCounter()
        try await db.writer.writeWithoutTransaction { $0.add(transactionObserver: commits, extent: .databaseLifetime) }
        let admission = db.reserveAdmission(lane: "main")
        await #expect(throws: VoucherBusy.self) {
            try await db.beginRedemption(intent(admission: admission), scanned: GateEvent(.scanned, lane: "main", admission: admission))
        }
        #expect(commits.commits == 0)
        #expect(try await db.redemptions().isEmpty)
        #expect(try await db.events().isEmpty)
        #expect(try await db.outcome(ofAdmission: admission) == nil)
        // Another voucher is not affected.
        _ = try await db.beginRedemption(intent(admission: admission, code: "BBBB2222BBBB"), scanned: GateEvent(.scanned, lane: "main", admission: admission))
        #expect(commits.commits == 1)
        _ = try await db.recordIntent(intent(admission: 99))  // an offline replay's own intent
        try db.close()
    }

    @Test func aQueuedCancelAndItsRedemptionStateAreOneCommit() async throws {
        let temp = try TempDatabase(); defer { temp.remove() }
        let db = try await temp.open()
        let admission = db.reserveAdmission(lane: "main")
        let redemption = try await db.beginRedemption(intent(admission: admission),
                                                      scanned: GateEvent(.scanned, lane: "main", admission: admission))
        try await db.recordRedeemed(redemption, token: "tok-1", balanceAfter: Money(cents: 2_500))
        let order = CancelOrder(lane: "main", outlet: "spa", admission: admission, redemption: redemption, code: "AAAA1111AAAA",
                                token: "tok-1", reference: "spa-north/main/\(admission)", amountCents: 2_500)
        let commits = CommitCounter()
        try await db.writer.writeWithoutTransaction { $0.add(transactionObserver: commits, extent: .databaseLifetime) }
        let entry = try await db.queueCancel(order)
        #expect(commits.commits == 1)
        #expect(try await db.redemption(id: redemption)?.state == .cancelQueued)
        #expect(try await db.pendingEntries().map(\.id) == [entry])

        // Settled meanwhile (cancelled by another path): the state is not taken back.
        try await db.forceRedemption(redemption, state: .cancelled, balanceAfter: Money(cents: 5_000))
        try await db.queueCancel(order)
        #expect(try await db.redemption(id: redemption)?.state == .cancelled)
        try db.close()
    }

    @Test func admissionIDsNeverRepeatAWrittenOneAcrossReopening() async throws {
        let temp = try TempDatabase(); defer { temp.remove() }
        var db = try await temp.open()
        let first = try await db.openAdmission(lane: "main")
        let reserved = db.reserveAdmission(lane: "main")
        try await db.openAdmission(reserved, lane: "main", scanned: nil)
        let unwritten = db.reserveAdmission(lane: "main")  // the process "dies" before writing it
        #expect([first, reserved, unwritten] == [1, 2, 3])
        try db.close()
        db = try await temp.open()
        // Pruned rows do not bring ids back (AUTOINCREMENT's sqlite_sequence is read too).
        try await db.writer.write { try $0.execute(sql: "DELETE FROM admission") }
        try db.close()
        db = try await temp.open()
        #expect(db.reserveAdmission(lane: "main") == 3)  // 3 was never written, so it may come again
        #expect(try await db.openAdmission(lane: "main") == 4)
        try db.close()
    }
}
