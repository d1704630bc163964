import Foundation
import GateCore
import GateFleet
import GateStore
import Logging
import PostgresNIO
import TestSupport

/// `GateBenchmarks fleet [--controllers 100] [--rows 2000] [--claims 500]`: the fleet against a
/// real PostgreSQL on loopback (Debian's server, started for the run, fsync on, max_connections
/// sized for the controllers), figures printed, nothing asserted:
///
/// - claim latency p50/p99: one controller's shared offline claims, each a durable SQLite intent,
///   the PostgreSQL insert-or-holder and the local outcome — what a guest waits for offline;
/// - shipping: `controllers` controllers, each its own SQLite journal with `rows` rows waiting
///   and its own pool capped at 2 connections, all shipping into one database at once: rows/s,
///   batch commit time p50/p99, and each controller's time to catch up p50/p99.
enum FleetBenchmark {
    @MainActor static func run(_ args: [String], row: @MainActor (String, String) -> Void) async throws {
        func option(_ name: String, _ fallback: Int) -> Int {
            args.firstIndex(of: name).flatMap { $0 + 1 < args.count ? Int(args[$0 + 1]) : nil } ?? fallback
        }
        let controllers = option("--controllers", 100), rows = option("--rows", 2_000), claims = option("--claims", 500)
        let server = try await PostgresServer.start(maxConnections: controllers * 2 + 20, durable: true)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let database = try await server.createDatabase("bench")
            for (name, text) in [("password", server.password), ("code.key", "bench-site-secret-for-code-hashes")] {
                FileManager.default.createFile(atPath: "\(dir)/\(name)", contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
            }
            func settings(_ gate: String) -> FleetSettings {
                FleetSettings(host: "127.0.0.1", port: server.port, user: server.user, database: database, sslMode: .disable,
                              passwordFile: "\(dir)/password", site: "bench", gateID: gate, codeKeyFile: "\(dir)/code.key",
                              claimTimeout: .seconds(5))
            }
            let logger = Logger(label: "bench.fleet")
            _ = try await FleetAdmin.migrate(settings("setup"), logger: logger)
            row("fleet: PostgreSQL max_connections", "\(controllers * 2 + 20) (\(controllers) controllers × 2 + 20)")
            try await claimLatency(settings("claims"), dir: dir, claims: claims, logger: logger, row: row)
            try await shipping(settings, dir: dir, controllers: controllers, rows: rows, logger: logger, row: row)
        } catch {
            await server.destroy()
            throw error
        }
        await server.destroy()
    }

    @MainActor private static func claimLatency(_ settings: FleetSettings, dir: String, claims: Int, logger: Logger,
                                     row: @MainActor (String, String) -> Void) async throws {
        let db = try await GateDatabase.open(path: "\(dir)/claims.db")
        let client = PostgresClient(configuration: try FleetEndpoint(settings: settings).clientConfiguration(), backgroundLogger: logger)
        let pool = Task { await client.run() }
        defer { pool.cancel() }
        let port = FleetOfflineClaims(client: client, settings: settings, codeKey: try FleetSecrets.codeKey(settings), database: db, logger: logger)
        _ = await port.claim(VoucherCode(unchecked: "WARMUP000000"), admission: 0)
        var times: [Duration] = []
        for i in 1...claims {
            let code = VoucherCode(unchecked: String(format: "BENCH%07d", i))
            let start = ContinuousClock.now
            let answer = await port.claim(code, admission: Int64(i))
            times.append(.now - start)
            guard answer == .claimed else { throw FleetError(.unreachable, operation: "claim", reason: "\(answer)", hint: "") }
        }
        row("fleet: offline claim (SQLite intent + PostgreSQL), \(claims)×", "p50 \(ms(percentile(times, 0.5))), p99 \(ms(percentile(times, 0.99)))")
        try db.close()
    }

    @MainActor private static func shipping(_ settings: (String) -> FleetSettings, dir: String, controllers: Int, rows: Int, logger: Logger,
                                 row: @MainActor (String, String) -> Void) async throws {
        var shippers: [(JournalShipper, Task<Void, Never>)] = []
        for c in 0..<controllers {
            let db = try GateDatabase.open(path: "\(dir)/gate-\(c).db", synchronous: "OFF")
            try await db.appendHistory(count: rows) { i in
                (Date(), GateEvent(.scanned, lane: "main", admission: Int64(i), code: String(format: "K7QM2XPA%04d", i % 10_000), message: "bench"))
            }
            let s = settings("door-\(c)")
            let client = PostgresClient(configuration: try FleetEndpoint(settings: s).clientConfiguration(maximumConnections: 2), backgroundLogger: logger)
            let pool = Task { await client.run() }
            shippers.append((JournalShipper(database: db, client: client, settings: s, codeKey: try FleetSecrets.codeKey(s),
                                            outletUsers: ["demo": "4711"], laneOutlets: ["main": "demo"], logger: logger), pool))
        }
        defer { for (_, pool) in shippers { pool.cancel() } }
        let start = ContinuousClock.now
        let results = try await withThrowingTaskGroup(of: (Duration, [Duration]).self) { group in
            for (shipper, _) in shippers {
                group.addTask {
                    var cursor: Int64 = 0, batches: [Duration] = []
                    while true {
                        let t = ContinuousClock.now
                        let batch = try await shipper.shipBatch(after: cursor)
                        if batch.rows == 0 { return (.now - start, batches) }
                        batches.append(.now - t)
                        cursor = batch.cursor
                    }
                }
            }
            var all: [(Duration, [Duration])] = []
            for try await r in group { all.append(r) }
            return all
        }
        let elapsed = ContinuousClock.now - start
        let total = controllers * rows
        row("fleet: shipping, \(controllers) controllers × \(rows) rows, pool 2 each", GateBenchmarks.rate(total, elapsed) + " rows/s (\(ms(elapsed)) in all)")
        let batches = results.flatMap(\.1)
        row("fleet: one batch (500 rows, one transaction) commit", "p50 \(ms(percentile(batches, 0.5))), p99 \(ms(percentile(batches, 0.99)))")
        let caughtUp = results.map(\.0)
        row("fleet: a controller's backlog shipped (lag) after start", "p50 \(ms(percentile(caughtUp, 0.5))), p99 \(ms(percentile(caughtUp, 0.99)))")
    }

    private static func percentile(_ values: [Duration], _ p: Double) -> Duration {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .zero }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
    }

    private static func ms(_ d: Duration) -> String {
        let c = d.components
        return String(format: "%.1f ms", Double(c.seconds) * 1_000 + Double(c.attoseconds) / 1e15)
    }
}
