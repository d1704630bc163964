import Foundation
import GateCore
import GateStore
import Logging
import PostgresNIO
import ServiceLifecycle

/// The daemon's part of the fleet: a pool to the site's PostgreSQL (two connections), and a loop
/// that ships the journal and sends the heartbeat — off the admission path, in its own service.
///
/// PostgreSQL away (minutes or hours) changes nothing for the guests: admissions are written to
/// SQLite as always, this loop records `fleet_unreachable` once, tries again every `interval`, and
/// when PostgreSQL answers records `fleet_reachable` and ships everything that waited. A schema that
/// is too old or too new, or a `gate_id` held by another machine, stops shipping with an error
/// that names what to do; the gate keeps admitting.
public struct FleetService: Service {
    /// What the fleet needs from the running gate.
    public struct Hooks: Sendable {
        /// Writes a journal event (`fleet_unreachable`, `fleet_reachable`).
        public var record: @Sendable (GateEvent) async -> Void
        /// Each lane's state for the heartbeat, by lane name.
        public var lanes: @Sendable () async -> [String: String]

        public init(record: @escaping @Sendable (GateEvent) async -> Void, lanes: @escaping @Sendable () async -> [String: String]) {
            self.record = record; self.lanes = lanes
        }
    }

    public let settings: FleetSettings
    public let client: PostgresClient
    public let shipper: JournalShipper
    /// The site's shared offline claims, for the lanes (`LaneEngine`'s port).
    public let claims: FleetOfflineClaims
    let endpoint: FleetEndpoint
    let machineID: String
    let hooks: Hooks
    let logger: Logger
    /// How often the loop looks for new journal rows (and retries an unreachable server).
    public var interval: Duration = .milliseconds(500)
    public var heartbeatEvery: Duration = .seconds(10)

    /// Reads the password and the code key; fails at start, as an unreadable API key file does.
    public init(settings: FleetSettings, database: GateDatabase, machineID: String,
                outletUsers: [String: String], laneOutlets: [String: String], hooks: Hooks, logger: Logger) throws {
        let endpoint = try FleetEndpoint(settings: settings)
        let client = PostgresClient(configuration: endpoint.clientConfiguration(maximumConnections: 2), backgroundLogger: logger)
        self.settings = settings; self.endpoint = endpoint; self.client = client; self.machineID = machineID
        self.hooks = hooks; self.logger = logger
        let codeKey = try FleetSecrets.codeKey(settings)
        self.shipper = JournalShipper(database: database, client: client, settings: settings, codeKey: codeKey,
                                      outletUsers: outletUsers, laneOutlets: laneOutlets, logger: logger)
        self.claims = FleetOfflineClaims(client: client, settings: settings, codeKey: codeKey, database: database, logger: logger)
    }

    public func run() async throws {
        // The pool runs beside the loop and is cancelled with it, not awaited: a pool whose
        // server vanished mid-operation must not hold up the gate's shutdown.
        let pool = Task { await client.run() }
        defer { pool.cancel() }
        await loop()
    }

    private func loop() async {
        var prepared = false
        var reachable: Bool?
        var lastProblem = ""
        var lastHeartbeat: ContinuousClock.Instant?
        while !Task.isCancelled {
            do {
                if !prepared {
                    try await withTimeout(settings.connectTimeout + .seconds(10)) { try await prepare() }
                    prepared = true
                }
                try await withTimeout(settings.connectTimeout + .seconds(5)) { try await claims.settle() }
                try await shipWaiting()
                if lastHeartbeat.map({ $0.duration(to: .now) >= heartbeatEvery }) ?? true {
                    try await withTimeout(settings.connectTimeout + .seconds(5)) { try await heartbeat() }
                    lastHeartbeat = .now
                }
                if reachable == false {
                    await hooks.record(GateEvent(.fleetReachable, lane: "gate", message: "PostgreSQL \(endpoint.server) answers again — shipping caught up"))
                }
                reachable = true
                lastProblem = ""
            } catch {
                if Task.isCancelled { return }
                let problem = endpoint.classify(error, operation: "fleet \(endpoint.server)")
                if problem.description != lastProblem {
                    if problem.kind == .unreachable { logger.warning("\(problem)") } else { logger.error("\(problem)") }
                    lastProblem = problem.description
                }
                if reachable != false {
                    await hooks.record(GateEvent(.fleetUnreachable, lane: "gate", message: problem.description))
                    reachable = false
                }
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// Every batch waiting, each bounded on its own: hours of backlog go in many short batches.
    private func shipWaiting() async throws {
        let limit = settings.connectTimeout + .seconds(5)
        var cursor = try await withTimeout(limit) { try await shipper.cursor() }
        while !Task.isCancelled {
            let from = cursor
            // A row committed just before the read may carry an earlier time: a margin for it.
            let reading = Date().addingTimeInterval(-2)
            let batch = try await withTimeout(limit) { try await shipper.shipBatch(after: from) }
            if batch.rows == 0 {
                try await withTimeout(limit) { try await shipper.markCaughtUp(at: reading, cursor: from) }
                return
            }
            cursor = batch.cursor
        }
    }

    /// Once per run: the schema must be exactly this build's, and the gate_id this machine's.
    private func prepare() async throws {
        try await client.withConnection { c in
            _ = try await FleetSchema.check(on: c, server: endpoint.server, logger: logger)
            try await FleetRegistration.claimGateID(settings, machineID: machineID, register: true, on: c, logger: logger)
        }
        // A journal replaced by an empty one (a new SD card, a restore) numbers its rows again
        // from 1: below the cursor, nothing of it would ever ship. Said, not shipped wrongly.
        let (shipped, local) = (try await shipper.cursor(), try await shipper.database.changeSequence())
        if local < shipped {
            throw FleetError(.configuration, operation: "fleet journal of gate \(settings.gateID)",
                             reason: "this journal is at change \(local), PostgreSQL already holds changes up to \(shipped) from this gate_id — the journal was replaced or restored",
                             hint: "give this controller a new [fleet] gate_id, or delete its fleet_cursor row (docs/fleet.md)")
        }
    }

    /// The gate's row in `fleet status`: version, lanes, outbox, offline replays waiting, lag.
    public func heartbeat() async throws {
        let backlog = try await shipper.database.fleetBacklog()
        let lag = try await shipper.lag()
        let lanes = String(decoding: try JSONEncoder().encode(await hooks.lanes()), as: UTF8.self)
        let users = String(decoding: try JSONEncoder().encode(shipper.users), as: UTF8.self)
        let outbox = Int32(backlog.outboxDepth), offline = Int32(backlog.offlineWaiting)
        try await client.query("""
            INSERT INTO fleet_heartbeat (site, gate_id, version, lanes, outbox_depth, offline_waiting, shipping_lag, users, sent_at)
            VALUES (\(settings.site), \(settings.gateID), \(GateVersion.current), \(lanes)::jsonb, \(outbox), \(offline), \(lag),
                    \(users)::jsonb, now())
            ON CONFLICT (site, gate_id) DO UPDATE SET version = EXCLUDED.version, lanes = EXCLUDED.lanes, users = EXCLUDED.users,
                outbox_depth = EXCLUDED.outbox_depth, offline_waiting = EXCLUDED.offline_waiting,
                shipping_lag = EXCLUDED.shipping_lag, sent_at = now()
            """, logger: logger)
    }
}
