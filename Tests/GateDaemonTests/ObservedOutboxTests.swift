import Foundation
import GateCore
@testable import GateDaemon
@testable import GateStore
import GRDB
import Logging
import Testing
import TestSupport

/// What operators hear from the outbox (issue 11 items 4 and 5): a failed call that will be
/// retried once at info, a dead letter and a set-aside row at warning, counted.
@Suite struct ObservedOutboxTests {
    /// The outbox over a real SQLite file, logging into `lines` with syslog priorities.
    struct Rig {
        let directory: String
        let database: GateDatabase
        let metrics = GateMetrics()
        let lines = Recorder<String>()
        let outbox: ObservedOutbox

        init() async throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("observed-outbox-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            database = try await GateDatabase.open(path: directory + "/gate.db")
            let lines = self.lines
            let logger = Logger(label: "outbox") { label in
                GateLogHandler(label: label, level: .debug, environment: ["JOURNAL_STREAM": "8:1"], sink: { lines.append($0) })
            }
            let journal = ObservedJournal(database: database, file: directory + "/gate.db", events: Broadcast<GateEvent>(),
                                          metrics: metrics, logger: logger, health: JournalHealth())
            outbox = ObservedOutbox(journal: journal, metrics: metrics, logger: logger)
        }

        func remove() {
            try? database.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    static func cancel(_ admission: Int64) -> OutboxOperation {
        .cancel(CancelOrder(lane: "main", outlet: "spa", admission: admission, redemption: 1, code: "AAAA1111AAAA",
                            token: "tok", reference: "g/main/\(admission)", amountCents: 2_500))
    }

    @Test func aRetriedCallIsLoggedOnceAtInfoAndADeadLetterAtWarning() async throws {
        let rig = try await Rig(); defer { rig.remove() }
        let id = try await rig.outbox.enqueue(Self.cancel(1))
        for _ in 0..<4 { try await rig.outbox.markRetry(id, error: "connect timed out", delay: .seconds(2)) }
        #expect(rig.lines.values.count == 1)
        #expect(rig.lines.values.first?.hasPrefix("<6>outbox: outbox entry #\(id) failed, will be retried") == true)
        try await rig.outbox.markDead(id, error: "Gutschein gesperrt")
        #expect(rig.lines.values.count == 2)
        #expect(rig.lines.values.last?.hasPrefix("<4>outbox: outbox entry #\(id) is dead") == true)
        #expect(rig.lines.values.last?.contains("Gutschein gesperrt") == true)
    }

    @Test func anUndecodableRowIsLoggedCountedAndTheRestIsReturned() async throws {
        let rig = try await Rig(); defer { rig.remove() }
        let good = try await rig.outbox.enqueue(Self.cancel(2))
        let bad = try await rig.database.writer.write { db in
            try db.execute(sql: """
                INSERT INTO outbox (operation, code, payload, state, attempts, next_attempt_at, created_at, updated_at)
                VALUES ('cancel', 'BBBB2222BBBB', 'not json', 'pending', 0, ?, ?, ?)
                """, arguments: [Date(), Date(), Date()])
            return db.lastInsertedRowID
        }
        #expect(try await rig.outbox.pendingEntries().map(\.id) == [good])
        #expect(rig.lines.values.contains { $0.hasPrefix("<4>") && $0.contains("#\(bad) (cancel) set aside as dead") })
        #expect(rig.metrics.render().contains("eguma_gate_outbox_undecodable_total 1"))
        // Set aside once: the next read neither logs nor counts it again.
        #expect(try await rig.outbox.pendingEntries().map(\.id) == [good])
        #expect(rig.metrics.render().contains("eguma_gate_outbox_undecodable_total 1"))
    }
}
