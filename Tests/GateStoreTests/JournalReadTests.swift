import Foundation
import GateCore
@testable import GateStore
import GRDB
import Testing

/// What operators read from the journal (issue 11): the newest rows whatever the journal's size,
/// through indexes, and an outbox that keeps going past a row it cannot decode.
@Suite("Journal reads on a real SQLite file")
struct JournalReadTests {
    /// `count` events in one transaction: every fifth an `entered` on lane "side", the rest `scanned` on "main".
    static func fill(_ db: GateDatabase, count: Int, at ts: Date = Date()) async throws {
        try await db.writer.write { db in
            for i in 1...count {
                let side = i % 5 == 0
                try db.execute(sql: "INSERT INTO event (ts, lane, type, message) VALUES (?, ?, ?, ?)",
                               arguments: [ts, side ? "side" : "main", side ? "entered" : "scanned", "n\(i)"])
            }
        }
    }

    @Test func theNewestEventsAreShownPastTenThousandRows() async throws {
        let tmp = try TempDatabase(); defer { tmp.remove() }
        let db = try await tmp.open()
        try await Self.fill(db, count: 12_000)
        let last = try await db.latestEvents(limit: 3)
        #expect(last.map(\.event.message) == ["n11998", "n11999", "n12000"], "oldest first, ending with the newest row")
        let side = try await db.latestEvents(.init(lane: "side"), limit: 2)
        #expect(side.map(\.event.message) == ["n11995", "n12000"])
        let entered = try await db.latestEvents(.init(types: [.entered]), limit: 1)
        #expect(entered.map(\.event.message) == ["n12000"])
        let mixed = try await db.latestEvents(.init(lane: "main", types: [.entered, .scanned]), limit: 3)
        #expect(mixed.map(\.event.message) == ["n11997", "n11998", "n11999"], "merged newest first across types")
        #expect(try await db.latestEvents(.init(types: [.cancelFailed]), limit: 5).isEmpty)
        #expect(try await db.newestEventID() == 12_000)
        let after = try await db.events(after: 11_990, .init(lane: "main"), limit: 100)
        #expect(after.map(\.id) == [11_991, 11_992, 11_993, 11_994, 11_996, 11_997, 11_998, 11_999])
    }

    @Test func entriesAreCountedPerLaneSinceAStart() async throws {
        let tmp = try TempDatabase(); defer { tmp.remove() }
        let db = try await tmp.open()
        try await Self.fill(db, count: 50, at: Date().addingTimeInterval(-2 * 86_400))  // 10 entries two days ago
        try await Self.fill(db, count: 25)  // 5 entries now
        let counts = try await db.entryCounts(since: Date().addingTimeInterval(-86_400))
        #expect(counts == ["side": 5])
    }

    /// The reads behind `events --last`, `events --lane/--type`, `status` and the entries count
    /// use an index, never a scan of the whole event table.
    @Test func operatorReadsUseAnIndex() async throws {
        let tmp = try TempDatabase(); defer { tmp.remove() }
        let db = try await tmp.open()
        let queries: [(String, StatementArguments)] = [
            ("SELECT * FROM event WHERE 1 AND lane = ? ORDER BY id DESC LIMIT 5", ["main"]),
            ("SELECT * FROM event WHERE 1 AND type IN (?) ORDER BY id DESC LIMIT 5", ["entered"]),
            ("SELECT * FROM event WHERE 1 AND lane = ? AND type IN (?) ORDER BY id DESC LIMIT 5", ["main", "entered"]),
            ("SELECT lane, COUNT(*) AS n FROM event WHERE type = ? AND ts >= ? GROUP BY lane", ["entered", Date()]),
        ]
        for (sql, arguments) in queries {
            let plan = try await db.writer.read { db in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { $0["detail"] as String }
            }
            #expect(plan.contains { $0.contains("USING INDEX") || $0.contains("USING COVERING INDEX") }, "\(sql): \(plan)")
            #expect(!plan.contains { $0.hasPrefix("SCAN event") && !$0.contains("INDEX") }, "\(sql): \(plan)")
        }
    }

    @Test func anUndecodablePayloadIsSetAsideAndTheRestGoesOn() async throws {
        let tmp = try TempDatabase(); defer { tmp.remove() }
        let db = try await tmp.open()
        let first = try await db.enqueue(cancelOp("AAAA1111AAAA", admission: 1))
        let bad = try await db.writer.write { db in
            try db.execute(sql: """
                INSERT INTO outbox (operation, code, payload, state, attempts, next_attempt_at, created_at, updated_at)
                VALUES ('cancel', 'BBBB2222BBBB', '{"cancel":{"_0":{"lane":', 'pending', 0, ?, ?, ?)
                """, arguments: [Date(), Date(), Date()])
            return db.lastInsertedRowID
        }
        let third = try await db.enqueue(cancelOp("CCCC3333CCCC", admission: 3))

        let (entries, setAside) = try await db.pendingEntriesSettingAside()
        #expect(entries.map(\.id) == [first, third])
        #expect(setAside.map(\.id) == [bad])
        #expect(setAside.first?.error.hasPrefix("payload cannot be decoded") == true)
        // Set aside once, for good: dead with its error, listed apart, no longer pending.
        #expect(try await db.pendingEntriesSettingAside().setAside.isEmpty)
        #expect(try await db.pendingEntries().map(\.id) == [first, third])
        #expect(try await !db.isPending(bad))
        #expect(try await db.undecodableEntries().map(\.id) == [bad])
        #expect(try await db.outboxSummary().dead == 1)
        #expect(try await db.outboxSummary().pending == 2)
    }

    @Test func aDropIsRecordedWithUserAndReasonInTheSameTransaction() async throws {
        let tmp = try TempDatabase(); defer { tmp.remove() }
        let db = try await tmp.open()
        let id = try await db.enqueue(cancelOp("AAAA1111AAAA", admission: 4))
        try await db.markDead(id, error: "Gutschein gesperrt")
        let event = try #require(try await db.dropRecorded(id, user: "anna", reason: "refunded at the desk"))
        #expect(event.type == .outboxDropped)
        #expect(event.lane == "main" && event.admission == 4 && event.amountCents == 2_500)
        #expect(event.message?.contains("dropped by anna: refunded at the desk") == true)
        #expect(event.message?.contains("Gutschein gesperrt") == true)
        #expect(try await db.latestEvents(limit: 1).map(\.event) == [event])
        #expect(try await db.openEntries().isEmpty)
        #expect(try await db.dropRecorded(id, user: "anna", reason: "again") == nil, "a dropped entry is not dropped twice")
    }
}
