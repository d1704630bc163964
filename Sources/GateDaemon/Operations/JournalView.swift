import Foundation
import GateCore
import GateStore

/// The journal and the outbox as operators read them (`eguma-gate events`, `outbox list`): which
/// rows, in which order, and how each reads as a line of text or JSON. The commands only parse
/// their options and print what this hands them.
///
/// Reads the database directly, so it works whether or not the daemon runs. Every query goes
/// through an index: the newest rows of a journal of any size come back at once.
public struct JournalView: Sendable {
    public let database: GateDatabase

    /// Why the journal cannot be read.
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    public init(database: GateDatabase) { self.database = database }

    /// Opens the journal at `path`; a missing file means the daemon has not run yet.
    public static func open(path: String) async throws(Unavailable) -> JournalView {
        guard FileManager.default.fileExists(atPath: path) else {
            throw Unavailable(description: "no journal at \(path) yet — has the daemon run? (gate.database)")
        }
        do { return JournalView(database: try await GateDatabase.open(path: path)) } catch {
            throw Unavailable(description: "cannot open the journal \(path): \(error)")
        }
    }

    // MARK: events

    /// Which events: a lane, event types, and a start time.
    public struct Selection: Sendable {
        public var lane: String?
        public var types: [GateEventType]?
        public var since: Date?
        public init(lane: String? = nil, types: [GateEventType]? = nil, since: Date? = nil) {
            self.lane = lane; self.types = types; self.since = since
        }
        var filter: GateDatabase.EventFilter { .init(lane: lane, types: types, since: since) }
    }

    /// Where `follow` goes on after `history`: past the newest row that existed before the first
    /// read, so nothing is replayed and nothing is missed.
    public struct Position: Sendable {
        public var afterID: Int64
    }

    /// The rows to show first, oldest first: with `since`, every matching row from then on (read in
    /// pages of 1,000); without, the newest `last`. `each` gets them in order.
    public func history(_ selection: Selection, last: Int, each: (JournalEvent) -> Void) async throws -> Position {
        let start = try await database.newestEventID()
        var lastID: Int64 = 0
        if selection.since != nil {
            while true {
                let page = try await database.events(after: lastID, selection.filter, limit: Self.page)
                page.forEach(each)
                lastID = page.last?.id ?? lastID
                if page.count < Self.page { break }
            }
        } else {
            let events = try await database.latestEvents(selection.filter, limit: last)
            events.forEach(each)
            lastID = events.last?.id ?? 0
        }
        return Position(afterID: max(lastID, start))
    }

    /// Rows written after `position`, as the daemon (another process) writes them, until the task
    /// is cancelled. Polls every `interval`: an indexed range query, cheap at any journal size.
    public func follow(_ selection: Selection, from position: Position, interval: Duration = .milliseconds(300),
                       each: ([JournalEvent]) -> Void) async throws {
        var lastID = position.afterID
        let live = GateDatabase.EventFilter(lane: selection.lane, types: selection.types)
        while !Task.isCancelled {
            try await Task.sleep(for: interval)
            let fresh = try await database.events(after: lastID, live, limit: Self.page)
            if let newest = fresh.last {
                lastID = newest.id
                each(fresh)
            }
        }
    }

    static let page = 1_000

    /// One event as `events` prints it: aligned text, or one JSON object (snake_case keys).
    public static func line(_ e: JournalEvent, json: Bool) -> String {
        let ts = e.timestamp.formatted(.iso8601)
        if json {
            var object: [String: Any] = ["ts": ts, "lane": e.event.lane, "type": e.event.type.rawValue]
            object["admission"] = e.event.admission.map { NSNumber(value: $0) } ?? NSNull()
            object["code"] = e.event.code ?? NSNull()
            object["amount_cents"] = e.event.amountCents.map { NSNumber(value: $0) } ?? NSNull()
            object["balance_cents"] = e.event.balanceCents.map { NSNumber(value: $0) } ?? NSNull()
            object["message"] = e.event.message ?? NSNull()
            object["source"] = e.event.source?.rawValue ?? NSNull()
            return jsonLine(object)
        }
        var line = "\(ts)  \(e.event.lane.padding(toLength: 8, withPad: " ", startingAt: 0)) \(e.event.type.rawValue.padding(toLength: 21, withPad: " ", startingAt: 0))"
        if let a = e.event.admission { line += " #\(a)" }
        if let c = e.event.code { line += " \(c)" }
        if let a = e.event.amountCents { line += " \(Money(cents: a))" }
        if let b = e.event.balanceCents { line += " (balance \(Money(cents: b)))" }
        if let m = e.event.message, !m.isEmpty { line += " — \(m)" }
        if let s = e.event.source, s != .scanner { line += " [\(s.rawValue)]" }
        return line
    }

    // MARK: outbox

    /// Every open outbox entry (pending and dead) as `outbox list` prints it, oldest first; rows
    /// whose payload cannot be read come first, as dead entries an operator must settle by hand.
    /// Empty when nothing waits for e-guma.
    public func outboxLines(json: Bool) async throws -> [String] {
        let undecodable = try await database.undecodableEntries()
        let entries = try await database.openEntries()
        var lines: [String] = []
        for row in undecodable {
            lines.append(json
                ? Self.jsonLine(["id": row.id, "operation": row.operation, "state": "dead", "last_error": row.error])
                : "#\(row.id) \(row.operation) dead — \(row.error); settle it by hand, then outbox drop \(row.id) --reason …")
        }
        for entry in entries {
            let (lane, admission, amount) = entry.operation.summary
            if json {
                lines.append(Self.jsonLine([
                    "id": entry.id, "operation": entry.operation.name, "state": entry.state.rawValue,
                    "attempts": entry.attempts, "lane": lane, "admission": admission,
                    "code": entry.operation.code.text, "amount_cents": amount, "last_error": entry.lastError ?? NSNull(),
                ]))
            } else {
                lines.append("#\(entry.id) \(entry.operation.name) \(entry.state.rawValue) lane \(lane) admission #\(admission) \(entry.operation.code.text) \(Money(cents: amount)) — \(entry.attempts) attempt(s)\(entry.lastError.map { ", last error: \($0)" } ?? "")")
            }
        }
        return lines
    }

    /// Cannot fail: the objects hold only strings, numbers and NSNull.
    static func jsonLine(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
