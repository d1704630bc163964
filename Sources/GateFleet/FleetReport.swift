import Foundation
import GateCore
import Logging
import PostgresNIO

/// What `report --fleet` counts: every gate's shipped admissions, redemptions and events of a
/// window, their lanes named "GATE/LANE" (an outlet's reconcile events keep "outlet:NAME").
/// Admission numbers are per gate, so each gate's are moved into a range of its own.
public struct FleetReport: Sendable {
    public var admissions: [ReportAdmission] = []
    public var redemptions: [JournalRedemptionRow] = []
    public var events: [ReportEvent] = []
    /// Every "GATE/LANE" that shipped anything in the window.
    public var lanes: Set<String> = []

    /// Gates' admission numbers are spread apart by this much.
    static let gateSpan: Int64 = 1_000_000_000_000

    public static func read(_ settings: FleetSettings, window: DateInterval, logger: Logger) async throws -> FleetReport {
        let endpoint = try FleetEndpoint(settings: settings)
        return try await endpoint.withConnection(logger: logger) { connection in
            do {
                _ = try await FleetSchema.check(on: connection, server: endpoint.server, logger: logger)
                let rows = try await connection.query("""
                    SELECT g.n, j.gate_id, j.tbl, j.row::text FROM fleet_journal j
                    JOIN (SELECT gate_id, row_number() OVER (ORDER BY gate_id) AS n FROM fleet_gate WHERE site = \(settings.site)) g
                        ON g.gate_id = j.gate_id
                    WHERE j.site = \(settings.site) AND j.tbl IN ('admission', 'redemption', 'event')
                      AND (COALESCE(j.row->>'started_at', j.row->>'created_at', j.row->>'ts'))::timestamp AT TIME ZONE 'UTC' >= \(window.start)
                      AND (COALESCE(j.row->>'started_at', j.row->>'created_at', j.row->>'ts'))::timestamp AT TIME ZONE 'UTC' < \(window.end)
                    """, logger: logger)
                var report = FleetReport()
                for try await (n, gate, table, text) in rows.decode((Int64, String, String, String).self) {
                    guard let row = try? JSONDecoder().decode([String: Value].self, from: Data(text.utf8)) else { continue }
                    report.add(table, row, gate: gate, base: n * gateSpan)
                }
                return report
            } catch {
                throw endpoint.classify(error, operation: "read the fleet's journals from \(endpoint.server)")
            }
        }
    }

    private mutating func add(_ table: String, _ row: [String: Value], gate: String, base: Int64) {
        let lane = row["lane"]?.text ?? "?"
        let named = lane.hasPrefix("outlet:") ? lane : "\(gate)/\(lane)"
        let admission = row["admission_id"]?.integer.map { base + $0 }
        switch table {
        case "admission":
            guard let id = row["id"]?.integer else { return }
            lanes.insert(named)
            admissions.append(ReportAdmission(id: base + id, lane: named, outcome: row["outcome"]?.text.flatMap(AdmissionOutcome.init(rawValue:))))
        case "redemption":
            guard let id = row["id"]?.integer, let state = row["state"]?.text.flatMap(RedemptionState.init(rawValue:)) else { return }
            lanes.insert(named)
            redemptions.append(JournalRedemptionRow(
                id: base + id, admission: admission ?? 0, lane: named, outlet: row["outlet"]?.text ?? "",
                code: row["code_hash"]?.text ?? "", amountCents: row["amount_cents"]?.integer ?? 0, state: state,
                at: .distantPast, balanceAfterCents: row["balance_after_cents"]?.integer))
        default:
            guard let type = row["type"]?.text.flatMap(GateEventType.init(rawValue:)) else { return }
            events.append(ReportEvent(type: type, lane: named, admission: admission, message: row["message"]?.text,
                                      amountCents: row["amount_cents"]?.integer))
        }
    }

    /// A shipped column: SQLite's integer, real, text or null.
    enum Value: Decodable {
        case integer(Int64), real(Double), text(String), null

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .null }
            else if let i = try? c.decode(Int64.self) { self = .integer(i) }
            else if let d = try? c.decode(Double.self) { self = .real(d) }
            else { self = .text(try c.decode(String.self)) }
        }

        var integer: Int64? { if case .integer(let i) = self { i } else { nil } }
        var text: String? { if case .text(let s) = self { s } else { nil } }
    }
}
