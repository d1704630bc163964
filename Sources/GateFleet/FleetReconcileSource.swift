import Foundation
import GateCore
import Logging
import PostgresNIO

/// What a fleet-aware `reconcile` needs from PostgreSQL: the redemptions the site's other gates
/// shipped for one e-guma user and window, and which of that user's gates have not shipped past
/// the window's end yet (their watermark, `fleet_cursor.caught_up_at`). Codes are compared as
/// their site hashes: the other gates' codes never left them.
public struct FleetReconcileSource: Sendable {
    let endpoint: FleetEndpoint
    let hasher: CodeHasher
    let logger: Logger

    /// Reads the password and the code key.
    public init(settings: FleetSettings, logger: Logger) throws {
        endpoint = try FleetEndpoint(settings: settings)
        hasher = CodeHasher(key: try FleetSecrets.codeKey(settings))
        self.logger = logger
    }

    public var gateID: String { endpoint.settings.gateID }

    /// The site hash of a code (as the gates ship it).
    public func hash(_ code: String) -> String { hasher.hash(code) }

    /// The other gates' redemptions of `userID` in `window` (their `code` is the hash; the lane
    /// reads "GATE/LANE"), each hash's masked form, and the gates that lag.
    public struct Others: Sendable {
        public var rows: [JournalRedemptionRow]
        public var masked: [String: String]
        /// Gates of this user that lag: not shipped within `grace` of the window's end (or of now).
        public var lagging: [String]
        /// Until when every other gate of the user has shipped (nil: there is no other gate).
        public var watermark: Date?
    }

    /// How far behind the window's end (or now) a gate may be and still count as caught up: it
    /// ships every half second, so only a gate cut off from PostgreSQL lags by more. What e-guma
    /// lists after the watermark is only compared where it completes a code (`platformNearby`).
    public static let grace: TimeInterval = 60

    public func others(userID: String, window: DateInterval) async throws -> Others {
        return try await endpoint.withConnection(logger: logger) { connection in
            do {
                let (site, me) = (endpoint.settings.site, endpoint.settings.gateID)
                _ = try await FleetSchema.check(on: connection, server: endpoint.server, logger: logger)
                let gates = try await connection.query("""
                    SELECT g.gate_id, c.caught_up_at FROM (
                        SELECT gate_id FROM fleet_heartbeat WHERE site = \(site) AND users ? \(userID)
                        UNION SELECT DISTINCT gate_id FROM fleet_journal WHERE site = \(site) AND user_id = \(userID)) g
                    LEFT JOIN fleet_cursor c ON c.site = \(site) AND c.gate_id = g.gate_id
                    WHERE g.gate_id <> \(me) ORDER BY g.gate_id
                    """, logger: logger)
                var lagging: [String] = []
                var watermark: Date?
                let due = min(window.end, Date()).addingTimeInterval(-Self.grace)
                for try await (gate, caughtUp) in gates.decode((String, Date?).self) {
                    let through = caughtUp ?? .distantPast
                    if through < due { lagging.append(gate) }
                    watermark = min(watermark ?? through, through)
                }
                let rows = try await connection.query("""
                    SELECT gate_id, local_id, row->>'admission_id', row->>'lane', row->>'outlet', row->>'code_hash', row->>'code_masked',
                           row->>'amount_cents', row->>'state', (row->>'created_at')::timestamp AT TIME ZONE 'UTC', row->>'balance_after_cents'
                    FROM fleet_journal
                    WHERE site = \(site) AND user_id = \(userID) AND tbl = 'redemption' AND gate_id <> \(me)
                      AND (row->>'created_at')::timestamp AT TIME ZONE 'UTC' >= \(window.start)
                      AND (row->>'created_at')::timestamp AT TIME ZONE 'UTC' < \(window.end)
                    """, logger: logger)
                var others = Others(rows: [], masked: [:], lagging: lagging, watermark: watermark)
                for try await (gate, id, admission, lane, outlet, hash, masked, amount, state, at, after)
                    in rows.decode((String, Int64, String?, String?, String?, String?, String?, String?, String?, Date, String?).self) {
                    guard let hash, let state = state.flatMap(RedemptionState.init(rawValue:)) else { continue }
                    others.masked[hash] = masked
                    others.rows.append(JournalRedemptionRow(
                        id: id, admission: admission.flatMap { Int64($0) } ?? 0, lane: "\(gate)/\(lane ?? "?")", outlet: outlet ?? "",
                        code: hash, amountCents: amount.flatMap { Int64($0) } ?? 0, state: state, at: at,
                        balanceAfterCents: after.flatMap { Int64($0) }))
                }
                return others
            } catch {
                throw endpoint.classify(error, operation: "read the other gates' journals from \(endpoint.server)")
            }
        }
    }

    /// Takes or renews the lease for reconciling `userID` in the daemon, for `duration`: one gate
    /// per e-guma user reconciles, so a mismatch is one alarm, not one per door. The holder renews
    /// it at each run; when it stops, the lease runs out and another gate takes over. False: held
    /// by another gate (or PostgreSQL unreachable: that gate's verdict would be "no verdict" anyway).
    public func acquireLease(userID: String, for duration: Duration) async -> Bool {
        do {
            return try await endpoint.withConnection(logger: logger) { connection in
                let seconds = Int64(duration.components.seconds)
                let (site, me) = (endpoint.settings.site, endpoint.settings.gateID)
                let rows = try await connection.query("""
                    INSERT INTO fleet_lease (site, name, gate_id, expires_at)
                    VALUES (\(site), \("reconcile:" + userID), \(me), now() + make_interval(secs => \(seconds)))
                    ON CONFLICT (site, name) DO UPDATE SET gate_id = EXCLUDED.gate_id, expires_at = EXCLUDED.expires_at
                        WHERE fleet_lease.gate_id = EXCLUDED.gate_id OR fleet_lease.expires_at < now()
                    RETURNING gate_id
                    """, logger: logger).collect()
                return !rows.isEmpty
            }
        } catch {
            logger.warning("reconcile lease for e-guma user \(userID): \(endpoint.classify(error, operation: "take the lease"))")
            return false
        }
    }
}
