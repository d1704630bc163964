import Foundation
import GateCore
@testable import GateStore
import GRDB
import Testing
import TestSupport

/// A fresh database file in its own temporary directory, removed at the end.
struct TempDatabase {
    let directory: URL
    var path: String { directory.appendingPathComponent("gate.db").path }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("gate-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func open() async throws -> GateDatabase { try await GateDatabase.open(path: path) }
    func remove() { try? FileManager.default.removeItem(at: directory) }
}

func intent(admission: Int64, code: String = "AAAA1111AAAA", amount: Int64 = 2_500) -> RedemptionIntent {
    RedemptionIntent(admission: admission, lane: "main", outlet: "spa", code: VoucherCode(unchecked: code),
                     amount: Money(cents: amount), reference: "spa-north/main/\(admission)", balanceBefore: Money(cents: 5_000))
}

func cancelOp(_ code: String = "AAAA1111AAAA", admission: Int64 = 1) -> OutboxOperation {
    .cancel(CancelOrder(lane: "main", outlet: "spa", admission: admission, redemption: 1, code: code, token: "tok-1",
                        reference: "spa-north/main/\(admission)", amountCents: 2_500))
}

@Suite("GateDatabase on a real SQLite file")
struct GateDatabaseTests {
    @Test func databaseFileIsCreatedPrivateInWALModeWithSynchronousFull() async throws {
        let tmp = try TempDatabase(); defer { tmp.remove() }
        let db = try await tmp.open()
        let attributes = try FileManager.default.attributesOfItem(atPath: tmp.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let (mode, sync) = try await db.writer.write { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
        }
        #expect(mode == "wal")
        #expect(sync == 2)  // FULL
        let walMode = try FileManager.default.attributesOfItem(atPath: tmp.path + "-wal")[.posixPermissions] as? Int
        #expect(walMode == 0o600)
    }

    @Test func intentAndTokenAreReadBackAfterReopening() async throws {
        let tmp = try TempDatabase(); defer { tmp.remove() }
        do {
            let db = try await tmp.open()
            let a = try await db.openAdmission(lane: "main")
            let r = try await db.recordIntent(intent(admission: a))
            try await db.recordRedeemed(r, token: "tok-1", balanceAfter: Money(cents: 2_500))
        }
        let reopened = try await tmp.open()
        let stored = try #require(try await reopened.redemption(reference: "spa-north/main/1"))
        #expect(stored.state == .redeemed && stored.token == "tok-1")
        #expect(stored.intent.amount == Money(cents: 2_500) && stored.intent.balanceBefore == Money(cents: 5_000))
        #expect(stored.balanceAfter == Money(cents: 2_500))
    }

    @Test func unsettledRedemptionsAreIntentsAndRedeemedOnesOfOpenAdmissions() async throws {
        let tmp = try TempDatabase(); defer { tmp.remove() }
        let db = try await tmp.open()
        let open = try await db.openAdmission(lane: "main")
        let inFlight = try await db.recordIntent(intent(admission: open))
        let closed = try await db.openAdmission(lane: "main")
        let done = try await db.recordIntent(intent(admission: closed, code: "BBBB2222BBBB"))
        try await db.recordRedeemed(done, token: "t", balanceAfter: .zero)
        try await db.closeAdmission(closed, outcome: .entered)
        let interrupted = try await db.openAdmission(lane: "main")
        let taken = try await db.recordIntent(intent(admission: interrupted, code: "CCCC3333CCCC"))
        try await db.recordRedeemed(taken, token: "t2", balanceAfter: .zero)
        #expect(try await db.unsettledRedemptions().map(\.id) == [inFlight, taken])
    }

    /// Issue 12 item 6 at the store: the guarded change happens once, with its event in the same
    /// transaction; a second settle of the same redemption changes and writes nothing.
    @Test func settlingARedemptionIsGuardedAndWritesItsEventOnce() async throws {
        let tmp = try TempDatabase(); defer { tmp.remove() }
        let db = try await tmp.open()
        let admission = try await db.openAdmission(lane: "main")
        let id = try await db.recordIntent(intent(admission: admission))
        let event = GateEvent(.tokenUnknown, lane: "main", admission: admission, message: "charged without entry")
        #expect(try await db.settleRedemption(id, from: [.intent], to: .uncertain, balanceAfter: nil, event: nil))
        #expect(try await db.settleRedemption(id, from: [.intent, .uncertain], to: .tokenUnknown,
                                              balanceAfter: Money(cents: 2_500), event: event))
        #expect(try await !db.settleRedemption(id, from: [.intent, .uncertain], to: .tokenUnknown,
                                               balanceAfter: Money(cents: 2_500), event: event))
        #expect(try await db.redemption(id: id)?.state == .tokenUnknown)
        #expect(try await db.redemption(id: id)?.balanceAfter == Money(cents: 2_500))
        #expect(try await db.events().filter { $0.event.type == .tokenUnknown }.count == 1)
    }

    @Test func aSettleEntryKeepsItsRetryDelayAcrossAReopenAndBlocksItsVoucher() async throws {
        let tmp = try TempDatabase(); defer { tmp.remove() }
        let order = SettleOrder(lane: "main", outlet: "spa", admission: 1, redemption: 1, code: "AAAA1111AAAA",
                                amountCents: 2_500, balanceBeforeCents: 5_000)
        let id = try await tmp.open().enqueue(.settle(order))
        #expect(try await tmp.open().hasPendingEntry(for: VoucherCode(unchecked: "AAAA1111AAAA")))
        #expect(try await !tmp.open().hasPendingEntry(for: VoucherCode(unchecked: "BBBB2222BBBB")))
        #expect(try await tmp.open().pendingEntries().first?.dueIn == nil)
        try await tmp.open().markRetry(id, error: "balance unchanged", delay: .seconds(60))
        let due = try #require(try await tmp.open().pendingEntries().first?.dueIn)
        #expect(due > .seconds(55) && due <= .seconds(60))
    }

    /// Review item 1: what counts as other activity on a voucher after a redemption's intent —
    /// never its own settle, cancel or replay entries nor another voucher; always another
    /// redemption or outbox entry of the same voucher created or changed since.
    @Test func otherActivityOnAVoucherIgnoresTheRedemptionsOwnEntriesOnly() async throws {
        let tmp = try TempDatabase(); defer { tmp.remove() }
        let db = try await tmp.open()
        let code = VoucherCode(unchecked: "AAAA1111AAAA")
        let earlier = try await db.recordIntent(intent(admission: 1))
        try await db.recordRedeemed(earlier, token: "tok-1", balanceAfter: Money(cents: 2_500))
        let cancelEarlier = try await db.enqueue(.cancel(CancelOrder(lane: "main", outlet: "spa", admission: 1, redemption: earlier,
            code: code.text, token: "tok-1", reference: "spa-north/main/1", amountCents: 2_500)))
        try await db.writer.write { db in  // a second earlier: same-millisecond writes count as activity
            for table in ["redemption", "outbox"] {
                try db.execute(sql: """
                    UPDATE \(table) SET created_at = strftime('%Y-%m-%d %H:%M:%f', created_at, '-1 second'),
                                        updated_at = strftime('%Y-%m-%d %H:%M:%f', updated_at, '-1 second')
                    """)
            }
        }
        let mine = try await db.recordIntent(intent(admission: 2))
        #expect(try await !db.otherActivity(on: code, after: mine))
        try await db.enqueue(.settle(SettleOrder(lane: "main", outlet: "spa", admission: 2, redemption: mine, code: code.text,
                                                 amountCents: 2_500, balanceBeforeCents: 5_000)))
        try await db.recordRedeemed(mine, token: "tok-2", balanceAfter: Money(cents: 2_500))
        try await db.enqueue(.cancel(CancelOrder(lane: "main", outlet: "spa", admission: 2, redemption: mine, code: code.text,
                                                 token: "tok-2", reference: "spa-north/main/2", amountCents: 2_500)))
        try await db.recordIntent(intent(admission: 3, code: "BBBB2222BBBB"))
        #expect(try await !db.otherActivity(on: code, after: mine))  // its own entries, another voucher
        try await db.markDone(cancelEarlier)  // the earlier admission's cancel completes after the intent
        #expect(try await db.otherActivity(on: code, after: mine))
        #expect(try await db.otherActivity(on: code, after: 999))  // unknown: counts as activity
        let later = try await tmp.open()
        try await later.recordIntent(intent(admission: 4))
        #expect(try await later.otherActivity(on: code, after: earlier))
    }

    @Test func aKnownVoucherBalanceIsRememberedForOfflineKnownOnly() async throws {
        let tmp = try TempDatabase(); defer { tmp.remove() }
        let db = try await tmp.open()
        let code = VoucherCode(unchecked: "AAAA1111AAAA")
        #expect(try await db.knownBalance(of: code, withinDays: 30) == nil)
        try await db.rememberVoucherBalance(code, balance: Money(cents: 7_500))
        try await db.rememberVoucherBalance(code, balance: Money(cents: 5_000))
        #expect(try await tmp.open().knownBalance(of: code, withinDays: 30) == Money(cents: 5_000))
        let pruned = try await db.prune(retentionDays: 1, now: Date().addingTimeInterval(2 * 86_400))
        #expect(pruned.events == 0)
        #expect(try await db.knownBalance(of: code, withinDays: 30) == nil)
    }

    @Test func outboxEntryLivesThroughRetryDeadLetterOperatorRetryAndDone() async throws {
        let tmp = try TempDatabase(); defer { tmp.remove() }
        let db = try await tmp.open()
        let id = try await db.enqueue(cancelOp())
        #expect(try await db.pendingEntries().map(\.operation) == [cancelOp()])
        try await db.markRetry(id, error: "connection refused", delay: .seconds(4))
        try await db.markDead(id, error: "HTTP 400: token unknown")
        #expect(try await db.pendingEntries().isEmpty)
        let open = try #require(try await db.openEntries().first)
        #expect(open.state == .dead && open.attempts == 2 && open.lastError == "HTTP 400: token unknown")
        #expect(try await db.retry(id))
        #expect(try await db.pendingEntries().count == 1)
        try await db.markDone(id)
        #expect(try await db.openEntries().isEmpty)
        #expect(try await !db.retry(id))
    }

    @Test func withdrawIsRefusedOnceTheReplayJournalledItsIntentAndDropAlwaysWorks() async throws {
        let tmp = try TempDatabase(); defer { tmp.remove() }
        let db = try await tmp.open()
        func redeemOp(_ admission: Int64) -> OutboxOperation {
            .offlineRedeem(OfflineRedeemOrder(lane: "main", outlet: "spa", admission: admission, code: "AAAA1111AAAA",
                                              reference: "spa-north/main/\(admission)", amountCents: 2_500))
        }
        let a = try await db.enqueue(redeemOp(1))
        let b = try await db.enqueue(redeemOp(2))
        _ = try await db.recordIntent(intent(admission: 2))  // the worker began replaying b
        #expect(try await !db.withdraw(b))
        #expect(try await db.isPending(b))
        #expect(try await db.withdraw(a))
        #expect(try await !db.isPending(a))
        #expect(try await db.drop(b))
        #expect(try await db.openEntries().isEmpty)
    }

    @Test func pendingOutboxEntriesSurviveReopening() async throws {
        let tmp = try TempDatabase(); defer { tmp.remove() }
        do { try await tmp.open().enqueue(cancelOp()) }
        #expect(try await tmp.open().pendingEntries().map(\.operation) == [cancelOp()])
    }

    @Test func pruningRemovesOldFinishedRowsButNeverPendingWork() async throws {
        let tmp = try TempDatabase(); defer { tmp.remove() }
        let db = try await tmp.open()
        let finished = try await db.openAdmission(lane: "main")
        let r1 = try await db.recordIntent(intent(admission: finished))
        try await db.recordRedeemed(r1, token: "t1", balanceAfter: .zero)
        try await db.closeAdmission(finished, outcome: .entered)
        try await db.append(GateEvent(.entered, lane: "main", admission: finished))
        let cancelling = try await db.openAdmission(lane: "main")
        let r2 = try await db.recordIntent(intent(admission: cancelling, code: "BBBB2222BBBB"))
        try await db.forceRedemption(r2, state: .cancelQueued, balanceAfter: nil)
        try await db.closeAdmission(cancelling, outcome: .cancelled)
        try await db.enqueue(cancelOp("BBBB2222BBBB", admission: cancelling))
        let inFlight = try await db.openAdmission(lane: "main")
        _ = try await db.recordIntent(intent(admission: inFlight, code: "CCCC3333CCCC"))

        let result = try await db.prune(retentionDays: 400, now: Date().addingTimeInterval(401 * 86_400))
        #expect(result.events == 1 && result.redemptions == 1 && result.admissions == 1)
        let left = try await db.redemptions()
        #expect(left.map(\.intent.code.text) == ["BBBB2222BBBB", "CCCC3333CCCC"])
        #expect(try await db.pendingEntries().count == 1)
    }

    @Test func admissionIdsAreNeverReusedAfterPruning() async throws {
        let tmp = try TempDatabase(); defer { tmp.remove() }
        let db = try await tmp.open()
        let first = try await db.openAdmission(lane: "main")
        try await db.closeAdmission(first, outcome: .denied)
        try await db.prune(retentionDays: 1, now: Date().addingTimeInterval(2 * 86_400))
        #expect(try await db.openAdmission(lane: "main") == first + 1)
    }

    @Test func eventsAreReadBackInOrderFilteredByLane() async throws {
        let tmp = try TempDatabase(); defer { tmp.remove() }
        let db = try await tmp.open()
        try await db.append(GateEvent(.scanned, lane: "main", admission: 1, code: "AAAA1111AAAA", source: .keypad))
        try await db.append(GateEvent(.scanned, lane: "side", admission: 2))
        try await db.append(GateEvent(.redeemed, lane: "main", admission: 1, amountCents: 2_500, balanceCents: 2_500))
        let main = try await db.events(lane: "main")
        #expect(main.map(\.event.type) == [.scanned, .redeemed])
        #expect(main.last?.event.amountCents == 2_500)
        #expect(main.map(\.event.source) == [.keypad, nil])
        #expect(try await db.events(afterID: main[0].id).count == 2)
    }

    @Test func offlineAdmittedCodesAreRememberedAcrossDashedAndUndashedForms() async throws {
        let tmp = try TempDatabase(); defer { tmp.remove() }
        let db = try await tmp.open()
        _ = try await db.queueOfflineRedeem(OfflineRedeemOrder(lane: "main", outlet: "spa", admission: 7, code: "L4FU-5LQT-KJR3",
                                                           reference: "spa/main/7", amountCents: 2_500))
        #expect(try await db.wasOfflineAdmitted(VoucherCode(unchecked: "L4FU5LQTKJR3")))
        #expect(try await db.isOfflineAdmission(7))
        #expect(try await !db.isOfflineAdmission(8))
    }
}
