import GRDB
import Synchronization

/// Hands out admission ids without writing anything (issue 13), so that the admission row can be
/// written in the same transaction as its first durable fact — for a scan that goes on to Redeem,
/// the redeem intent — instead of in a commit of its own while the guest waits.
///
/// Every admission this `GateDatabase` writes takes its id here (also `openAdmission(lane:)`).
/// The first id follows the highest ever used (`sqlite_sequence` keeps pruned ids), so an id that
/// reached e-guma in a reference number is never reused. An id handed out but never written (the
/// process died before the admission's first write) can come again after a restart: harmless,
/// because nothing outside the process saw it.
final class AdmissionIDs: Sendable {
    private let last: Mutex<Int64>

    init(_ writer: any DatabaseWriter) throws {
        let highest = try writer.read { db in
            try Int64.fetchOne(db, sql: """
                SELECT MAX(n) FROM (SELECT seq AS n FROM sqlite_sequence WHERE name = 'admission'
                                    UNION ALL SELECT MAX(id) FROM admission)
                """) ?? 0
        }
        last = Mutex(highest)
    }

    func next() -> Int64 {
        last.withLock { $0 += 1; return $0 }
    }
}
