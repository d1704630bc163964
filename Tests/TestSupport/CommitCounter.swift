import Foundation
import GRDB

/// Counts the commits of one database connection (GRDB calls it after every committed write
/// transaction of the pool's writer, which is the only connection that writes): how the tests
/// check how many durable writes a step of the gate makes.
public final class CommitCounter: TransactionObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    public init() {}
    public var commits: Int { lock.withLock { count } }
    public func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { true }
    public func databaseDidChange(with event: DatabaseEvent) {}
    public func databaseDidCommit(_ db: Database) { lock.withLock { count += 1 } }
    public func databaseDidRollback(_ db: Database) {}
}
