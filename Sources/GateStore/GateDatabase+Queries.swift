import Foundation
import GateCore
import GRDB

/// What operators read from the journal (`events`, `status`, metrics): always the newest rows
/// first through an index, so the cost does not grow with the journal (`v4-journal-read-indexes`).
extension GateDatabase {
    /// A filter on journal events; nil fields match everything.
    public struct EventFilter: Sendable, Equatable {
        public var lane: String?
        public var types: [GateEventType]?
        public var since: Date?

        public init(lane: String? = nil, types: [GateEventType]? = nil, since: Date? = nil) {
            self.lane = lane; self.types = types; self.since = since
        }

        func clause(_ arguments: inout StatementArguments) -> String {
            var sql = ""
            if let lane { sql += " AND lane = ?"; arguments += [lane] }
            if let types {
                sql += " AND type IN (\(types.map { _ in "?" }.joined(separator: ", ")))"
                arguments += StatementArguments(types.map(\.rawValue))
            }
            if let since { sql += " AND ts >= ?"; arguments += [JournalTime(since)] }
            return sql
        }
    }

    /// The newest `limit` events matching `filter`, returned oldest first (ready to print).
    ///
    /// Several types are read one type at a time and merged: each is then a short backward
    /// range of one index, where `type IN (…) ORDER BY id DESC` would sort every matching row.
    public func latestEvents(_ filter: EventFilter = EventFilter(), limit: Int) async throws -> [JournalEvent] {
        if let types = filter.types, types.count > 1 {
            var merged: [JournalEvent] = []
            for type in types {
                merged += try await latestEvents(EventFilter(lane: filter.lane, types: [type], since: filter.since), limit: limit)
            }
            return Array(merged.sorted { $0.id < $1.id }.suffix(limit))
        }
        return try await writer.read { db in
            var arguments: StatementArguments = []
            let sql = "SELECT * FROM event WHERE 1" + filter.clause(&arguments) + " ORDER BY id DESC LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).compactMap(JournalEvent.init(row:)).reversed()
        }
    }

    /// Events after `afterID` matching `filter`, oldest first, at most `limit` (page through
    /// with the last id returned; `events -f` polls this from `newestEventID()`).
    public func events(after afterID: Int64, _ filter: EventFilter, limit: Int) async throws -> [JournalEvent] {
        try await writer.read { db in
            var arguments: StatementArguments = [afterID]
            let sql = "SELECT * FROM event WHERE id > ?" + filter.clause(&arguments) + " ORDER BY id LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).compactMap(JournalEvent.init(row:))
        }
    }

    /// The id of the newest event, 0 for an empty journal.
    public func newestEventID() async throws -> Int64 {
        try await writer.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM event") ?? 0 }
    }

    /// Guests who walked through since `start`, by lane (`status` "entries today").
    public func entryCounts(since start: Date) async throws -> [String: Int] {
        try await writer.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT lane, COUNT(*) AS n FROM event WHERE type = ? AND ts >= ? GROUP BY lane
                """, arguments: [GateEventType.entered.rawValue, JournalTime(start)])
            return Dictionary(uniqueKeysWithValues: rows.map { (($0["lane"] as String), ($0["n"] as Int)) })
        }
    }

    /// How the outbox stands, for `status` and the metrics.
    public struct OutboxSummary: Sendable, Equatable {
        public var pending = 0
        public var dead = 0
        /// When the oldest pending entry was queued; nil when nothing is pending.
        public var oldestPending: Date?

        public init(pending: Int = 0, dead: Int = 0, oldestPending: Date? = nil) {
            self.pending = pending; self.dead = dead; self.oldestPending = oldestPending
        }
    }

    public func outboxSummary() async throws -> OutboxSummary {
        try await writer.read { db in
            var summary = OutboxSummary()
            summary.pending = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE state = 'pending'") ?? 0
            summary.dead = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE state = 'dead'") ?? 0
            summary.oldestPending = try Date.fetchOne(db, sql: """
                SELECT created_at FROM outbox WHERE state = 'pending' ORDER BY id LIMIT 1
                """)
            return summary
        }
    }
}
