import GRDB

extension GateDatabase {
    /// Proves the journal takes a durable write now: rewrites the header's `user_version` with
    /// its own value in a write transaction (one page through the WAL, fsynced like every
    /// commit). Throws what a real write would throw — SQLITE_FULL on a full disk.
    ///
    /// Used at start-up and, while a lane is out of order, to notice that writing works again
    /// without waiting for a guest to try.
    public func checkWritable() async throws {
        try await write { db in try Self.rewriteUserVersion(db) }
    }
}
