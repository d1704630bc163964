import Foundation
import GateCore
@testable import GateStore
import GRDB
import Testing

/// The store's memory is bounded on a small gate (issue 13): every connection's page cache is
/// 512 KiB, and the pool keeps at most two readers however many reads run at once.
@Suite("Store memory")
struct StoreMemoryTests {
    @Test func everyConnectionHasTheSmallPageCacheAndThePoolTwoReaders() async throws {
        let temp = try TempDatabase(); defer { temp.remove() }
        let db = try await temp.open()
        let writerCache = try await db.writer.write { try Int.fetchOne($0, sql: "PRAGMA cache_size") }
        #expect(writerCache == -512)
        let pool = try #require(db.writer as? DatabasePool)
        #expect(pool.configuration.maximumReaderCount == 2)
        // Many concurrent reads: each runs on one of the (bounded) reader connections.
        let caches = try await withThrowingTaskGroup(of: Int?.self) { group in
            for _ in 0..<8 { group.addTask { try await db.writer.read { try Int.fetchOne($0, sql: "PRAGMA cache_size") } } }
            return try await group.reduce(into: [Int?]()) { $0.append($1) }
        }
        #expect(caches.allSatisfy { $0 == -512 })
        try db.close()
    }
}
