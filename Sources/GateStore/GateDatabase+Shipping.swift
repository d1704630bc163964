import GRDB

/// What a journal shipper copies: every column of the rows written or changed after its cursor,
/// in change-sequence order. The store does not know where rows go; the shipper decides what of
/// a row may leave the controller (it replaces voucher codes by their hash).
extension GateDatabase {
    /// One column's value, as SQLite holds it.
    public enum ShippedValue: Sendable, Equatable, Encodable {
        case null
        case integer(Int64)
        case real(Double)
        case text(String)

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .null: try c.encodeNil()
            case .integer(let i): try c.encode(i)
            case .real(let d): try c.encode(d)
            case .text(let s): try c.encode(s)
            }
        }
    }

    /// A row written or changed after a cursor, with all its columns.
    public struct ShippedRow: Sendable, Equatable {
        public let table: String
        public let rowID: Int64
        public let sequence: Int64
        public var columns: [String: ShippedValue]
        /// The row was deleted (retention prune, migration v11): no columns, its copy goes too.
        public var deleted = false
    }

    /// Rows with a number above `cursor`, in sequence order, at most `limit`, read in one snapshot;
    /// a row deleted since comes as its deletion (`deleted`).
    public func rowsToShip(after cursor: Int64, limit: Int = 500) async throws -> [ShippedRow] {
        try await writer.read { db in
            var rows: [ShippedRow] = []
            for table in Self.sequencedTables {
                let fetched = try Row.fetchAll(db, sql: "SELECT rowid AS ship_rowid, * FROM \(table) WHERE change_seq > ? ORDER BY change_seq LIMIT ?",
                                               arguments: [cursor, limit])
                for row in fetched {
                    var columns: [String: ShippedValue] = [:]
                    for (name, value) in row where name != "ship_rowid" {
                        switch value.storage {
                        case .null: columns[name] = .null
                        case .int64(let i): columns[name] = .integer(i)
                        case .double(let d): columns[name] = .real(d)
                        case .string(let s): columns[name] = .text(s)
                        case .blob: columns[name] = .null  // no journal column holds a blob
                        }
                    }
                    rows.append(ShippedRow(table: table, rowID: row["ship_rowid"], sequence: row["change_seq"], columns: columns))
                }
            }
            let deletions = try Row.fetchAll(db, sql: "SELECT tbl, local_id, change_seq FROM deleted_row WHERE change_seq > ? ORDER BY change_seq LIMIT ?",
                                             arguments: [cursor, limit])
            for row in deletions {
                rows.append(ShippedRow(table: row["tbl"], rowID: row["local_id"], sequence: row["change_seq"], columns: [:], deleted: true))
            }
            return Array(rows.sorted { $0.sequence < $1.sequence }.prefix(limit))
        }
    }

    /// Outbox entries not yet done and offline admissions waiting for replay: a heartbeat's figures.
    public func fleetBacklog() async throws -> (outboxDepth: Int, offlineWaiting: Int) {
        try await writer.read { db in
            let outbox = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE state = 'pending'") ?? 0
            let offline = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND operation = 'offline_redeem'") ?? 0
            return (outbox, offline)
        }
    }
}
