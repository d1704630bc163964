import EgumaAPI
import EgumaSimulator
import Foundation
import GateCore
import GateDaemon
import GateHardware
import GateStore
import GRDB
import Logging

/// Speed and memory of the parts a guest waits for, measured (never asserted in tests):
///
///   swift run -c release GateBenchmarks [--admissions N]
///   swift run -c release GateBenchmarks journal [--events N]   (operator reads on a big journal)
///   swift run -c release GateBenchmarks fleet [--controllers 100] [--rows 2000] [--claims 500]   (docs/fleet.md)
///   swift run -c release GateBenchmarks latency [--samples N] [--admissions N] [--rtt 0,20] [--fsync-ms 2,10]
///
/// Prints one table; the README and the issue notes quote it. `latency` runs the real daemon
/// binary end to end (LatencyBenchmark).
@main
struct GateBenchmarks {
    static func main() async throws {
        let args = CommandLine.arguments
        let admissions = args.firstIndex(of: "--admissions").flatMap { Int(args[$0 + 1]) } ?? 200
        LoggingSystem.bootstrap { label in GateLogHandler(label: label, level: .critical) }
        if args.dropFirst().first == "latency" {
            try await LatencyBenchmark.parse(args).run()
            return
        }
        var rows: [(String, String)] = []
        func row(_ what: String, _ figure: String) {
            rows.append((what, figure))
            print("\(what.padding(toLength: 64, withPad: " ", startingAt: 0)) \(figure)")
        }
        print("eguma-gate benchmarks (\(isDebug ? "DEBUG build — use -c release for real figures" : "release build"), \(ProcessInfo.processInfo.activeProcessorCount) cores)\n")
        if args.dropFirst().first == "fleet" { return try await FleetBenchmark.run(args, row: row) }
        if args.dropFirst().first == "journal" {
            let events = args.firstIndex(of: "--events").flatMap { $0 + 1 < args.count ? Int(args[$0 + 1]) : nil } ?? 1_000_000
            return try await JournalBenchmark.run(events: events, row: row)
        }

        // 1. Pure: code normalisation and serial framing.
        let raw = Array("\u{2}K7QM2XPA9HTD\r\n".utf8)
        let n = 1_000_000
        var ok = 0
        var t = ContinuousClock.now
        for _ in 0..<n { if case .success = VoucherCode.normalise(raw) { ok += 1 } }
        row("VoucherCode.normalise", rate(n, ContinuousClock.now - t) + " codes/s")
        var framer = Framer(terminator: .crlf)
        let stream = Array(repeating: Array("K7QM2XPA9HTD\r\n".utf8), count: 1000).flatMap { $0 }
        t = .now
        var frames = 0
        for _ in 0..<200 { frames += framer.feed(stream).count }
        row("Framer (crlf), bytes → frames", rate(frames, ContinuousClock.now - t) + " frames/s")

        // 2. e-guma client against the simulator on loopback: cold vs warm connection.
        for tls in [false, true] {
            let simulator = try await SimulatorServer.start(.init(tls: tls))
            let key = APIKey(SimulatedOutlet.demo.key)
            var cold: [Duration] = []
            for _ in 0..<10 {
                let client = try EgumaClient(configuration: .init(baseURL: simulator.baseURL, caFile: simulator.caFile))
                let start = ContinuousClock.now
                _ = try await client.balance(code: DemoVouchers.plenty, key: key)
                cold.append(.now - start)
                try await client.shutdown()
            }
            let client = try EgumaClient(configuration: .init(baseURL: simulator.baseURL, caFile: simulator.caFile))
            _ = try await client.balance(code: DemoVouchers.plenty, key: key)
            var warm: [Duration] = []
            for _ in 0..<300 {
                let start = ContinuousClock.now
                _ = try await client.balance(code: DemoVouchers.plenty, key: key)
                warm.append(.now - start)
            }
            try await client.shutdown()
            await simulator.stop()
            let scheme = tls ? "HTTPS" : "HTTP"
            row("balance over \(scheme), new connection (p50 / p95)", "\(ms(p(cold, 50))) / \(ms(p(cold, 95)))")
            row("balance over \(scheme), pooled connection (p50 / p95)", "\(ms(p(warm, 50))) / \(ms(p(warm, 95)))")
        }

        // 3. Durable journal writes of one admission (the 8 commits an entry makes), FULL vs NORMAL.
        for sync in ["FULL", "NORMAL"] {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString.prefix(6))").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let db = try GateDatabase.open(path: dir + "/g.db", synchronous: sync)
            var times: [Duration] = []
            for i in 0..<100 {
                let start = ContinuousClock.now
                let admission = try await db.openAdmission(lane: "main")
                try await db.append(GateEvent(.scanned, lane: "main", admission: admission, code: "K7QM2XPA9HTD"))
                let r = try await db.recordIntent(RedemptionIntent(admission: admission, lane: "main", outlet: "o",
                    code: VoucherCode(unchecked: "K7QM2XPA9HTD"), amount: Money(cents: 2500),
                    reference: "g/main/\(admission)", balanceBefore: Money(cents: 100_000 - Int64(i) * 2500)))
                try await db.recordRedeemed(r, token: UUID().uuidString, balanceAfter: Money(cents: 1000))
                try await db.append(GateEvent(.redeemed, lane: "main", admission: admission, amountCents: 2500))
                try await db.append(GateEvent(.opened, lane: "main", admission: admission))
                try await db.append(GateEvent(.entered, lane: "main", admission: admission))
                try await db.closeAdmission(admission, outcome: .entered)
                times.append(.now - start)
            }
            try db.close()
            row("journal writes per admission, synchronous=\(sync) (p50 / p95)", "\(ms(p(times, 50))) / \(ms(p(times, 95)))")
        }

        // 3b. What handing a commit to GRDB's writer thread costs: its async write (the
        // transaction runs on the writer queue's thread, the caller resumes on another) against
        // its synchronous write on the caller's thread, interleaved, paced like scans so that
        // threads are idle between commits. The gate keeps the async write (docs/admission-engine.md).
        for (path, times) in try await commitPaths() {
            row("one durable commit from a lane, \(path) (p50 / p95 / p99)",
                "\(ms(p(times, 50))) / \(ms(p(times, 95))) / \(ms(p(times, 99)))")
        }

        // 3c. The two commits before the relay, as the lane makes them, synchronous FULL against
        // OFF (no fsync): what of each is the disk and what is SQL, GRDB and the thread hops.
        for (what, times) in try await criticalCommits() {
            row(what + " (p50 / p95)", "\(ms(p(times, 50))) / \(ms(p(times, 95)))")
        }

        // 4. Whole admissions through the daemon runtime: scan → balance → redeem → relay → passage.
        let rssBefore = residentMiB()
        let (perAdmission, rssAfter) = try await admissionsThroughRuntime(admissions)
        row("admission end to end, \(admissions)× (p50 / p95)", "\(ms(p(perAdmission, 50))) / \(ms(p(perAdmission, 95)))")
        row("resident memory before / after the admissions", String(format: "%.1f / %.1f MiB", rssBefore, rssAfter))
        _ = ok
    }

    /// `beginRedemption` and `recordRedeemed` (then the closing, as an admission without a sensor
    /// makes it) on two journals, FULL and OFF, alternating, 5 ms apart; the first 100 of each
    /// are warm-up.
    static func criticalCommits(_ admissions: Int = 1_100) async throws -> [(String, [Duration])] {
        let dir = try benchDirectory("bench-critical")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let journals = try ["FULL", "OFF"].map { ($0, try GateDatabase.open(path: dir + "/\($0).db", synchronous: $0)) }
        var intents = [[Duration]](repeating: [], count: journals.count), tokens = intents
        let code = VoucherCode(unchecked: "K7QM2XPA9HTD")
        for i in 0..<admissions {
            for (k, (_, db)) in journals.enumerated() {
                try await Task.sleep(for: .milliseconds(5))
                let admission = db.reserveAdmission(lane: "main")
                let intent = RedemptionIntent(admission: admission, lane: "main", outlet: "o", code: code, amount: Money(cents: 100),
                                              reference: "bench/main/\(admission)", balanceBefore: Money(cents: 10_000_000))
                let t0 = ContinuousClock.now
                let redemption = try await db.beginRedemption(intent, scanned: GateEvent(.scanned, lane: "main", admission: admission, code: code.text))
                let t1 = ContinuousClock.now
                try await db.recordRedeemed(redemption, token: UUID().uuidString, balanceAfter: Money(cents: 9_999_900),
                                            event: GateEvent(.redeemed, lane: "main", admission: admission, code: code.text, amountCents: 100))
                let t2 = ContinuousClock.now
                try await db.closeAdmission(admission, outcome: .entered, events: [GateEvent(.opened, lane: "main", admission: admission),
                                                                                   GateEvent(.entered, lane: "main", admission: admission)])
                if i >= 100 { intents[k].append(t1 - t0); tokens[k].append(t2 - t1) }
            }
        }
        for (_, db) in journals { try db.close() }
        return journals.indices.flatMap { k in
            [("intent commit before Redeem, synchronous=\(journals[k].0)", intents[k]),
             ("token commit after Redeem, synchronous=\(journals[k].0)", tokens[k])]
        }
    }

    /// 300 commits each way, alternating, 20 ms apart, from an actor (as a lane commits).
    static func commitPaths() async throws -> [(String, [Duration])] {
        let dir = try benchDirectory("bench-commit")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pool = try DatabasePool(path: dir + "/c.db")
        try await pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, code TEXT, amount INTEGER, at TEXT)")
        }
        let committer = BenchCommitter(pool: pool)
        var viaQueue: [Duration] = [], onCaller: [Duration] = []
        for i in 0..<600 {
            try await Task.sleep(for: .milliseconds(20))
            if i % 2 == 0 {
                viaQueue.append(try await committer.commitViaWriterQueue(i))
            } else {
                onCaller.append(try await committer.commitOnCaller(i))
            }
        }
        try pool.close()
        return [("GRDB async write (writer queue)", viaQueue), ("GRDB sync write (caller's thread)", onCaller)]
    }

    /// Runs `count` admissions through a GateRuntime (embedded simulator, simulated relay and
    /// sensor, real SQLite with synchronous=FULL); returns each admission's duration and the RSS after.
    static func admissionsThroughRuntime(_ count: Int) async throws -> ([Duration], Double) {
        let simulator = try await SimulatorServer.start()
        let dir = try benchDirectory("bench-gate")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = try GateConfig.parse(text: benchGate(dir: dir, baseURL: simulator.baseURL) + """
            [lanes.main]
            outlet = "o"
            price = "1.00"
            debounce_ms = 0
            scanner = { kind = "stdin" }
            relay = { chip = "sim", line = 0, pulse_ms = 50 }
            sensor = { chip = "sim", line = 1 }
            """, file: "bench.toml")
        // One voucher big enough for every admission.
        await simulator.account.add(SimulatedVoucher(code: "BENCH0000001", kind: .value, balanceInCents: Int64(count) * 100 + 100))
        let feed = FedCodeSource()
        var options = GateRuntime.Options()
        options.sources["main"] = feed
        options.handleSignals = false
        let runtime = try await GateRuntime.start(config: config, options: options, logger: Logger(label: "bench"))
        let running = Task { try await runtime.run() }
        let states = runtime.guestStates.subscribe()
        let events = runtime.events.subscribe()
        var stateIterator = states.makeAsyncIterator()
        var eventIterator = events.makeAsyncIterator()
        feed.yield(.attached(device: "bench"))
        var durations: [Duration] = []
        for _ in 0..<count {
            let start = ContinuousClock.now
            feed.yield(.frame(Array("BENCH0000001".utf8)))
            while let s = await stateIterator.next(), s.state != .walkThrough {}
            try runtime.simulatedChip.simulatePassage(line: .offset(1))
            while let e = await eventIterator.next(), e.type != .entered {}
            durations.append(.now - start)
        }
        let rss = residentMiB()
        await runtime.shutdown()
        _ = try? await running.value
        await simulator.stop()
        return (durations, rss)
    }

    /// A fresh directory for one benchmark gate, holding the demo outlet's key file (`k.key`).
    static func benchDirectory(_ name: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: dir + "/k.key", contents: Data(SimulatedOutlet.demo.key.utf8),
                                           attributes: [.posixPermissions: 0o600])
        return dir
    }

    /// The `[gate]`, `[api]` and `[outlets.o]` tables of a benchmark gate in `dir`; lanes follow.
    static func benchGate(dir: String, baseURL: String) -> String {
        """
        [gate]
        name = "bench"
        database = "\(dir)/g.db"
        control_socket = "\(dir)/c.sock"
        metrics = ""
        [api]
        base_url = "\(baseURL)"
        [outlets.o]
        api_key_file = "\(dir)/k.key"

        """
    }

    static var isDebug: Bool {
        #if DEBUG
        true
        #else
        false
        #endif
    }

    static func p(_ values: [Duration], _ percentile: Int) -> Duration {
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, sorted.count * percentile / 100)]
    }

    static func ms(_ d: Duration) -> String {
        let (s, atto) = d.components
        return String(format: "%.2f ms", Double(s) * 1000 + Double(atto) / 1e15)
    }

    static func rate(_ count: Int, _ d: Duration) -> String {
        let (s, atto) = d.components
        let seconds = Double(s) + Double(atto) / 1e18
        return String(format: "%.0f", Double(count) / max(seconds, 1e-9))
    }

    /// VmRSS of this process, in MiB.
    static func residentMiB() -> Double { GateRun.residentKiB(pid: getpid()) / 1024 }
}

/// Commits as a lane does: from an actor, timed from the call to the caller running again.
actor BenchCommitter {
    let pool: DatabasePool
    init(pool: DatabasePool) { self.pool = pool }

    func commitViaWriterQueue(_ i: Int) async throws -> Duration {
        let start = ContinuousClock.now
        try await pool.write { db in try Self.insert(i, db) }
        return .now - start
    }

    func commitOnCaller(_ i: Int) async throws -> Duration {
        let start = ContinuousClock.now
        try Self.writeHere(pool, i)
        return .now - start
    }

    /// GRDB's synchronous write (a synchronous function: in an async one `write` is the async one).
    static func writeHere(_ pool: DatabasePool, _ i: Int) throws {
        try pool.write { db in try insert(i, db) }
    }

    static func insert(_ i: Int, _ db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO t (code, amount, at) VALUES (?, ?, ?)")
            .execute(arguments: ["K7QM2XPA9HTD", i, "2026-12-02 01:30:00.000"])
    }
}
