import Foundation
import GateCore
import GateDaemon
@testable import GateStore
import GRDB
import Testing
import TestSupport

/// `JournalView`: what `events` and `outbox list` read and print (issue 11 items 1 and 7; the
/// commands only parse and print). The binary's own tests check the commands end to end.
@Suite struct JournalViewTests {
    static func view() async throws -> (JournalView, String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("journal-view-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try await GateDatabase.open(path: directory + "/gate.db").close()  // as the daemon's first start would
        return (try await JournalView.open(path: directory + "/gate.db"), directory)
    }

    static func fill(_ db: GateDatabase, _ count: Int, lane: String = "main", type: GateEventType = .entered) async throws {
        for i in 0..<count { try await db.append(GateEvent(type, lane: lane, admission: Int64(i + 1))) }
    }

    @Test func aMissingJournalSaysTheDaemonHasNotRun() async throws {
        await #expect { _ = try await JournalView.open(path: "/nonexistent/gate.db") } throws: { error in
            "\(error)".contains("no journal at /nonexistent/gate.db yet — has the daemon run?")
        }
    }

    @Test func sinceReadsEveryMatchingRowInPagesOldestFirst() async throws {
        let (view, directory) = try await Self.view(); defer { try? FileManager.default.removeItem(atPath: directory) }
        try await Self.fill(view.database, 2_345)
        try await Self.fill(view.database, 10, lane: "side")
        var seen: [JournalEvent] = []
        let position = try await view.history(.init(lane: "main", since: .distantPast), last: 50) { seen.append($0) }
        #expect(seen.count == 2_345, "more than two pages of 1,000")
        #expect(seen.map(\.id) == seen.map(\.id).sorted())
        #expect(seen.allSatisfy { $0.event.lane == "main" })
        #expect(position.afterID == (try await view.database.newestEventID()), "follow starts after the newest row, whatever the filter")
    }

    @Test func withoutSinceTheNewestRowsComeOldestFirst() async throws {
        let (view, directory) = try await Self.view(); defer { try? FileManager.default.removeItem(atPath: directory) }
        try await Self.fill(view.database, 120)
        try await view.database.append(GateEvent(.denied, lane: "main", admission: 999, message: "Gutschein abgelaufen"))
        var seen: [JournalEvent] = []
        _ = try await view.history(.init(), last: 5) { seen.append($0) }
        #expect(seen.map { $0.event.admission } == [117, 118, 119, 120, 999])
        var denied: [JournalEvent] = []
        _ = try await view.history(.init(types: [.denied]), last: 50) { denied.append($0) }
        #expect(denied.map(\.event.type) == [.denied])
        let json = JournalView.line(seen.last!, json: true)
        #expect(json.contains(#""type":"denied""#) && json.contains(#""balance_cents":null"#) && json.contains(#""message":"Gutschein abgelaufen""#), "\(json)")
        #expect(JournalView.line(seen.last!, json: false).contains("#999 — Gutschein abgelaufen"))
    }

    @Test func followHandsOverOnlyRowsWrittenAfterTheHistory() async throws {
        let (view, directory) = try await Self.view(); defer { try? FileManager.default.removeItem(atPath: directory) }
        try await Self.fill(view.database, 30)
        let position = try await view.history(.init(), last: 0) { _ in }
        let followed = Recorder<Int64>()
        let following = Task {
            try await view.follow(.init(lane: "main"), from: position, interval: .milliseconds(20)) { fresh in
                for e in fresh { followed.append(e.event.admission ?? 0) }
            }
        }
        defer { following.cancel() }
        try await view.database.append(GateEvent(.entered, lane: "side", admission: 500))
        try await view.database.append(GateEvent(.entered, lane: "main", admission: 501))
        try await followed.waitFor("admission 501 followed") { $0 == 501 }
        #expect(followed.values == [501], "no backlog replayed, other lanes filtered out")
    }

    @Test func theOutboxListPutsUnreadableRowsFirstAsDead() async throws {
        let (view, directory) = try await Self.view(); defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(try await view.outboxLines(json: false).isEmpty)
        let cancel = OutboxOperation.cancel(CancelOrder(lane: "main", outlet: "demo", admission: 7, redemption: nil, code: "AAAA1111AAAA",
                                                        token: "t", reference: "g/main/7", amountCents: 2_500))
        let good = try await view.database.enqueue(cancel)
        let bad = try await view.database.writer.write { db in
            try db.execute(sql: """
                INSERT INTO outbox (operation, code, payload, state, attempts, next_attempt_at, created_at, updated_at)
                VALUES ('cancel', 'BBBB2222BBBB', 'not json', 'pending', 0, ?, ?, ?)
                """, arguments: [Date(), Date(), Date()])
            return db.lastInsertedRowID
        }
        let text = try await view.outboxLines(json: false)
        #expect(text.count == 2)
        #expect(text[0].hasPrefix("#\(bad) cancel dead — ") && text[0].contains("outbox drop \(bad) --reason"), "\(text)")
        #expect(text[1].hasPrefix("#\(good) cancel pending lane main admission #7") && text[1].contains("25.00 — 0 attempt(s)"), "\(text)")
        let json = try await view.outboxLines(json: true)
        let objects = try json.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(objects[0]["state"] as? String == "dead")
        #expect(objects[1]["amount_cents"] as? Int == 2_500 && objects[1]["last_error"] is NSNull)
    }
}
