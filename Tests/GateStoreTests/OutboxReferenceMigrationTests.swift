import Foundation
import GateCore
@testable import GateStore
import GRDB
import Testing

/// Migration v5-outbox-reference: entries queued by an older version (reference only inside the
/// JSON payload) keep protecting what they refer to after the upgrade.
@Suite("Outbox reference column")
struct OutboxReferenceMigrationTests {
    @Test func entriesQueuedBeforeTheUpgradeGetTheirReferenceAndStillBlockWithdrawAndPrune() async throws {
        let temp = try TempDatabase(); defer { temp.remove() }
        // A journal as the previous version left it: schema up to v2, entries without the column.
        let old = try DatabaseQueue(path: temp.path)
        try GateDatabase.migrator.migrate(old, upTo: "v2-known-vouchers")
        let replay = OutboxOperation.offlineRedeem(OfflineRedeemOrder(lane: "main", outlet: "spa", admission: 7,
                                                                      code: "AAAA1111AAAA", reference: "spa-north/main/7", amountCents: 2_500))
        let cancel = cancelOp("BBBB2222BBBB", admission: 8)
        let long = Date().addingTimeInterval(-400 * 86_400)
        try await old.write { db in
            for operation in [replay, cancel] {
                let payload = String(decoding: try JSONEncoder().encode(operation), as: UTF8.self)
                try db.execute(sql: """
                    INSERT INTO outbox (operation, code, payload, state, attempts, next_attempt_at, created_at, updated_at)
                    VALUES (?, ?, ?, 'pending', 0, ?, ?, ?)
                    """, arguments: [operation.name, operation.code.undashed, payload, long, long, long])
            }
            // The cancel's redemption, long finished: prune would delete it without the entry.
            try db.execute(sql: "INSERT INTO admission (id, lane, started_at, closed_at, outcome) VALUES (8, 'main', ?, ?, 'cancelled')",
                           arguments: [long, long])
            try db.execute(sql: """
                INSERT INTO redemption (admission_id, lane, outlet, code, amount_cents, reference, token,
                    balance_before_cents, state, created_at, updated_at)
                VALUES (8, 'main', 'spa', 'BBBB2222BBBB', 2500, 'spa-north/main/8', 'tok-1', 5000, 'redeemed', ?, ?)
                """, arguments: [long, long])
        }
        try old.close()

        let db = try await temp.open()  // migrates to the current schema
        let references = try await db.writer.read { try String?.fetchAll($0, sql: "SELECT reference FROM outbox ORDER BY id") }
        #expect(references == ["spa-north/main/7", "spa-north/main/8"])
        // The replay journalled its intent: withdrawing it is refused, as before the upgrade.
        _ = try await db.recordIntent(intent(admission: 7))
        #expect(try await !db.withdraw(1))
        // The pending cancel still protects its redemption from pruning.
        _ = try await db.prune(retentionDays: 30)
        #expect(try await db.redemption(reference: "spa-north/main/8") != nil)
        try db.close()
    }

    /// Migration v6-outbox-redemption: a settle (of an offline replay) and a cancel queued by the
    /// previous version — their redemption only inside the payload — are still the redemption's
    /// own entries after the upgrade, not "other activity" on its voucher.
    @Test func entriesQueuedBeforeV6GetTheirRedemptionAndStayTheRedemptionsOwn() async throws {
        let temp = try TempDatabase(); defer { temp.remove() }
        let code = VoucherCode(unchecked: "AAAA1111AAAA")
        let mine: Int64 = 1
        let replay = OfflineRedeemOrder(lane: "main", outlet: "spa", admission: 2, code: code.text,
                                        reference: "spa-north/main/2", amountCents: 2_500)
        let settle = OutboxOperation.settle(SettleOrder(lane: "main", outlet: "spa", admission: 2, redemption: mine, code: code.text,
                                                        amountCents: 2_500, balanceBeforeCents: 5_000, replay: replay))
        let cancel = OutboxOperation.cancel(CancelOrder(lane: "main", outlet: "spa", admission: 2, redemption: mine, code: code.text,
                                                        token: "tok-2", reference: "spa-north/main/2", amountCents: 2_500))
        // A journal as v5 left it: the redemption, and its settle and cancel with the reference
        // column for the cancel only and no redemption column.
        let v5 = try DatabaseQueue(path: temp.path)
        try GateDatabase.migrator.migrate(v5, upTo: "v5-outbox-reference")
        try await v5.write { db in
            #expect(try !db.columns(in: "outbox").map(\.name).contains("redemption"))
            try db.execute(sql: "INSERT INTO admission (id, lane, started_at) VALUES (2, 'main', ?)", arguments: [Date()])
            try db.execute(sql: """
                INSERT INTO redemption (id, admission_id, lane, outlet, code, amount_cents, reference, token,
                    balance_before_cents, state, created_at, updated_at)
                VALUES (?, 2, 'main', 'spa', ?, 2500, 'spa-north/main/2', NULL, 5000, 'intent', ?, ?)
                """, arguments: [mine, code.undashed, Date(), Date()])
            for (operation, reference) in [(settle, nil), (cancel, "spa-north/main/2")] as [(OutboxOperation, String?)] {
                let payload = String(decoding: try JSONEncoder().encode(operation), as: UTF8.self)
                try db.execute(sql: """
                    INSERT INTO outbox (operation, code, reference, payload, state, attempts, next_attempt_at, created_at, updated_at)
                    VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?)
                    """, arguments: [operation.name, operation.code.undashed, reference, payload, Date(), Date(), Date()])
            }
        }
        try v5.close()

        let db = try await temp.open()  // runs v6
        let rows = try await db.writer.read { try Row.fetchAll($0, sql: "SELECT redemption, reference FROM outbox ORDER BY id") }
        #expect(rows.map { $0["redemption"] as Int64? } == [mine, mine])
        #expect(rows.map { $0["reference"] as String? } == ["spa-north/main/2", "spa-north/main/2"])
        #expect(try await !db.otherActivity(on: code, after: mine), "its own settle and cancel are not other activity")
        // What v6 writes from now on has the same columns without any JSON path.
        try await db.enqueue(settle)
        let fresh = try await db.writer.read { try Row.fetchOne($0, sql: "SELECT redemption, reference FROM outbox ORDER BY id DESC LIMIT 1") }
        #expect(fresh?["redemption"] as Int64? == mine && fresh?["reference"] as String? == "spa-north/main/2")
        try db.close()
    }
}
