import GRDB

/// The journal's change sequence (migration v7): what a shipper follows. Every row inserted or
/// changed takes the next number in its own transaction, so "everything after N" is every row
/// written or changed since the shipper's durable cursor N, a changed row included again.
extension GateDatabase {
    /// A row written or changed after a cursor: its table, its row id and its number.
    public struct ChangedRow: Sendable, Equatable {
        public let table: String
        public let rowID: Int64
        public let sequence: Int64
    }

    /// The last number handed out (0 on an empty journal).
    public func changeSequence() async throws -> Int64 {
        try await writer.read { db in try Int64.fetchOne(db, sql: "SELECT seq FROM change_counter WHERE id = 1") ?? 0 }
    }

    /// Rows with a number above `cursor`, in sequence order, at most `limit`.
    public func changedRows(after cursor: Int64, limit: Int = 1_000) async throws -> [ChangedRow] {
        let union = Self.sequencedTables
            .map { "SELECT '\($0)' AS tbl, rowid AS rid, change_seq AS seq FROM \($0) WHERE change_seq > ?" }
            .joined(separator: " UNION ALL ")
        let arguments = StatementArguments(Array(repeating: cursor, count: Self.sequencedTables.count) + [Int64(limit)])
        return try await writer.read { db in
            try Row.fetchAll(db, sql: union + " ORDER BY seq LIMIT ?", arguments: arguments).map {
                ChangedRow(table: $0["tbl"], rowID: $0["rid"], sequence: $0["seq"])
            }
        }
    }
}
