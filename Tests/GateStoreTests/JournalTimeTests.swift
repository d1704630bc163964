import Foundation
@testable import GateStore
import GRDB
import Testing
import TestSupport

/// The journal's own timestamp text (no DateFormatter, no ICU) against GRDB's, which wrote every
/// row of journals made before it: the same text, the same order, read back as the same time.
@Suite("Journal time")
struct JournalTimeTests {
    /// Times across leap days, year ends, the epoch, milliseconds at both ends and far futures.
    static let samples: [Date] = {
        var dates: [Date] = [
            Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 0.999), Date(timeIntervalSince1970: 951_782_400),  // 2000-02-29
            Date(timeIntervalSince1970: 1_798_761_599.9995), Date(timeIntervalSince1970: 1_798_761_600),  // 2026-12-31 / 2027-01-01
            Date(timeIntervalSince1970: 4_107_542_399.001),  // 2100-02-28 23:59:59.001
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            dates.append(Date(timeIntervalSince1970: Double.random(in: 0..<4_102_444_800, using: &generator)))
        }
        return dates
    }()

    @Test func writesTheTextGRDBWritesForADate() {
        var mismatches: [String] = []
        for date in Self.samples {
            let grdb = String.fromDatabaseValue(date.databaseValue) ?? "?"
            let ours = JournalTime(date).text
            if grdb != ours { mismatches.append("\(date.timeIntervalSince1970): GRDB \(grdb), journal \(ours)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(Self.samples.count) differ, e.g. \(mismatches.prefix(3))")
    }

    @Test func readsBackToTheMillisecondAndSortsAsTime() throws {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, ts TEXT NOT NULL)")
            for date in Self.samples { try db.execute(sql: "INSERT INTO t (ts) VALUES (?)", arguments: [JournalTime(date)]) }
        }
        let read = try queue.read { try JournalTime.fetchAll($0, sql: "SELECT ts FROM t ORDER BY id") }
        #expect(read == Self.samples.map(JournalTime.init), "times read back differ from those written")
        let sorted = try queue.read { try JournalTime.fetchAll($0, sql: "SELECT ts FROM t ORDER BY ts") }
        #expect(sorted.map(\.milliseconds) == Self.samples.map { JournalTime($0).milliseconds }.sorted(), "text order is not time order")
        // A bound JournalTime compares against stored text as the time it is.
        let cut = JournalTime(Date(timeIntervalSince1970: 1_798_761_600))
        let later = try queue.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM t WHERE ts >= ?", arguments: [cut]) }
        #expect(later == Self.samples.filter { JournalTime($0).milliseconds >= cut.milliseconds }.count)
    }
}
