import Foundation
import GateCore
import Logging
import PostgresNIO

/// `eguma-gate fleet status`: every gate of the site as PostgreSQL last heard of it. A gate that
/// stopped sending heartbeats stays in the list, marked stale, never silently dropped.
public struct FleetStatus: Sendable, Codable, Equatable {
    public struct Gate: Sendable, Codable, Equatable {
        public var gateID: String
        public var machineID: String
        /// Nil: registered, never sent a heartbeat.
        public var lastHeartbeat: Date?
        public var ageSeconds: Int?
        public var stale: Bool
        public var version: String?
        /// Each lane's state, by name.
        public var lanes: [String: String]
        public var outboxDepth: Int?
        public var offlineWaiting: Int?
        /// Journal changes not yet shipped, as of the heartbeat.
        public var shippingLag: Int64?
        /// When the gate last recorded a reconcile verdict (`reconciled` / `reconcile_mismatch`).
        public var lastReconcile: String?
    }

    public var site: String
    public var staleAfterSeconds: Int
    public var gates: [Gate]

    /// Reads the site's gates; a heartbeat older than `staleAfter` (default six missed
    /// heartbeats) marks its gate stale.
    public static func read(_ settings: FleetSettings, staleAfter: Duration = .seconds(60), logger: Logger) async throws -> FleetStatus {
        let endpoint = try FleetEndpoint(settings: settings)
        return try await endpoint.withConnection(logger: logger) { connection in
            let stale = Int(staleAfter.components.seconds)
            do {
                _ = try await FleetSchema.check(on: connection, server: endpoint.server, logger: logger)
                let rows = try await connection.query("""
                    SELECT g.gate_id, g.machine_id, h.sent_at, EXTRACT(EPOCH FROM now() - h.sent_at)::int8, h.version, h.lanes::text,
                           h.outbox_depth, h.offline_waiting, h.shipping_lag,
                           (SELECT MAX(j.row->>'ts') FROM fleet_journal j
                            WHERE j.site = g.site AND j.gate_id = g.gate_id AND j.tbl = 'event'
                              AND j.row->>'type' IN ('reconciled', 'reconcile_mismatch'))
                    FROM fleet_gate g LEFT JOIN fleet_heartbeat h ON h.site = g.site AND h.gate_id = g.gate_id
                    WHERE g.site = \(settings.site) ORDER BY g.gate_id
                    """, logger: logger)
                var gates: [Gate] = []
                for try await (gate, machine, sent, age, version, lanes, outbox, offline, lag, reconcile)
                    in rows.decode((String, String, Date?, Int64?, String?, String?, Int32?, Int32?, Int64?, String?).self) {
                    let laneStates = lanes.flatMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) } ?? [:]
                    gates.append(Gate(gateID: gate, machineID: machine, lastHeartbeat: sent, ageSeconds: age.map(Int.init),
                                      stale: age.map { $0 > stale } ?? true, version: version, lanes: laneStates,
                                      outboxDepth: outbox.map(Int.init), offlineWaiting: offline.map(Int.init), shippingLag: lag,
                                      lastReconcile: reconcile))
                }
                return FleetStatus(site: settings.site, staleAfterSeconds: stale, gates: gates)
            } catch {
                throw endpoint.classify(error, operation: "read the fleet status from \(endpoint.server)")
            }
        }
    }

    /// One line per gate, for people.
    public var text: String {
        var out = ["site \(site): \(gates.count) gate(s)"]
        for g in gates {
            let heard = g.ageSeconds.map { "heartbeat \($0) s ago" } ?? "no heartbeat yet"
            var line = "  \(g.gateID)\(g.stale ? " STALE" : ""): \(heard)"
            if let v = g.version { line += ", version \(v)" }
            if let o = g.outboxDepth { line += ", outbox \(o)" }
            if let w = g.offlineWaiting { line += ", offline waiting \(w)" }
            if let l = g.shippingLag { line += ", shipping lag \(l)" }
            line += ", last reconcile \(g.lastReconcile ?? "never")"
            out.append(line)
            for (lane, state) in g.lanes.sorted(by: { $0.key < $1.key }) { out.append("    lane \(lane): \(state)") }
        }
        return out.joined(separator: "\n")
    }
}
