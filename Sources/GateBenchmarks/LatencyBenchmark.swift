import EgumaAPI
import EgumaSimulator
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `GateBenchmarks latency`: the real `eguma-gate run` binary against the simulator over HTTPS
/// behind a delay proxy, measured beside the floor (Balance + Redeem on one warm connection) and a
/// curl-per-call integration, in one run (issue 13).
///
/// "Open" is read twice: the relay energised, from the simulated chip's drive trace, and the kiosk
/// stream's "walk through" screen, which the engine shows when the relay publishes that it is
/// energised (earlier builds: just before); the kiosk stream is read on its own thread, so its
/// timestamp is taken when the bytes arrive.
///
/// The floor is measured twice: back to back (the original baseline) and paced like the gate —
/// the same calls with the gate's own rhythm between them (one admission per pulse plus return to
/// idle, `pacedGapMs`). A scan arrives after tens of milliseconds of idle, when the threads that
/// carry it are asleep and their caches cold; back-to-back calls never pay that, so part of the
/// gate's "overhead" over the back-to-back floor is not the gate's. Both overheads are printed.
///
/// And the floor is measured a third time, interleaved: one Balance + Redeem pair before each
/// sampled scan, on its own warm connection, once the lane is idle again, and `settleMs` of quiet
/// before the scan (a scan right behind the pair found the benchmark's own threads still busy). This VM's speed
/// drifts by a millisecond between runs a minute apart; a floor taken at the same moments as the
/// admissions it is subtracted from drifts with them, so that overhead (and the before/after
/// comparison with `--baseline`, each build against its own interleaved floor) holds from run to
/// run where the separate floors do not.
///
/// And a fourth floor, the durable one (`DurableFloor`): the pair with a one-page commit after
/// each call, as a safe gate makes them, before each sampled scan. The issue-24 goal subtracts
/// two probe fdatasyncs from the overhead over the interleaved floor; the durable floor also
/// holds what those waits cost the calls around them, so the gate's own cost reads over it.
struct LatencyBenchmark {
    var binary: String
    var samples = 200
    var admissions = 2_000
    var rtts: [Double] = [0, 20]
    var fsyncDelaysMs: [Double] = [2, 10]
    var curlSamples = 40
    /// Another eguma-gate binary (an earlier commit's release build) measured in the same run,
    /// interleaved with this one under the same conditions (`measureBoth`): `--baseline PATH`.
    var baseline: String?
    /// The pause between paced floor samples: the gate's 50 ms pulse and the return to idle.
    var pacedGapMs = 55
    /// The quiet between an interleaved floor pair and the scan after it.
    var settleMs = 25
    let voucher = "BENCH0000001"

    static func parse(_ args: [String]) -> LatencyBenchmark {
        func value(_ flag: String) -> String? { args.firstIndex(of: flag).flatMap { $0 + 1 < args.count ? args[$0 + 1] : nil } }
        let ownDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        var bench = LatencyBenchmark(binary: value("--binary") ?? ownDirectory + "/eguma-gate")
        if let n = value("--samples").flatMap(Int.init) { bench.samples = n }
        if let n = value("--admissions").flatMap(Int.init) { bench.admissions = n }
        if let list = value("--rtt") { bench.rtts = list.split(separator: ",").compactMap { Double($0) } }
        if let list = value("--fsync-ms") { bench.fsyncDelaysMs = list.split(separator: ",").compactMap { Double($0) } }
        if let n = value("--curl-samples").flatMap(Int.init) { bench.curlSamples = n }
        bench.baseline = value("--baseline")
        return bench
    }

    func run() async throws {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw BenchSocket.Failure(description: "no eguma-gate binary at \(binary) — build it first (swift build -c release, or scripts/bench), or pass --binary PATH")
        }
        let build = binary.contains("/release/") ? "release" : (binary.contains("/debug/") ? "DEBUG (figures are slower than a release build)" : "unknown build")
        print("eguma-gate latency benchmark — daemon \(binary) (\(build)), \(ProcessInfo.processInfo.activeProcessorCount) cores")
        print("open = the simulated relay energised (its drive trace, CLOCK_MONOTONIC) and the kiosk stream's \"walk through\" (shown once the relay is energised; before it in builds older than issue 24) as received here; simulator over HTTPS via a delay proxy\n")
        let simulator = try await SimulatorServer.start(.init(tls: true))
        do { try await measure(simulator) } catch {
            await simulator.stop()
            throw error
        }
        await simulator.stop()
    }

    private func measure(_ simulator: SimulatorServer) async throws {
        guard let caFile = simulator.caFile, let simulatorPort = URL(string: simulator.baseURL)?.port else {
            throw BenchSocket.Failure(description: "the simulator did not start with TLS")
        }
        // Every redeem of the run comes off this one voucher: per configuration (RTT, each fsync
        // delay) the two floors, and per sampled scan of each build an interleaved pair, a durable
        // pair and the gate's own — with `--baseline`, twice. Short of it, the gate denies.
        let total = Int64((admissions + samples * 32 + curlSamples * 4 + 1_000) * 100)
        await simulator.account.add(SimulatedVoucher(code: voucher, kind: .value, balanceInCents: total))
        let shim = try? FsyncShim.build()
        let probe = try SyncProbe()
        defer { probe.close() }
        let durable = try DurableFloor()
        defer { durable.close() }
        var readyTimes: [Duration] = []

        for rtt in rtts {
            let proxy = try DelayProxy(targetPort: simulatorPort, rttMs: rtt)
            defer { proxy.stop() }
            let base = "https://localhost:\(proxy.port)"
            let floor = try await floorLatencies(base: base, caFile: caFile, gapMs: 0)
            let paced = try await floorLatencies(base: base, caFile: caFile, gapMs: pacedGapMs)
            let curl = try curlLatencies(base: base, caFile: caFile)
            let memoryRun = rtt == rtts.first
            let pair = try await FloorPair(base: base, caFile: caFile, voucher: voucher, name: "\(Int(rtt))/interleaved")
            // Before each sampled scan: one floor pair, one commit-sized fdatasync, quiet, one
            // durable floor pair (with the shim's delay in its commits when the gate has it), quiet.
            let interleaved = { [settleMs] (delayUs: Int) in
                { @Sendable in
                    let took = try await pair.measure()
                    try probe.sample()
                    try await Task.sleep(for: .milliseconds(settleMs))
                    try await durable.measure(pair, delayUs: delayUs)
                    try await Task.sleep(for: .milliseconds(settleMs))
                    return took
                }
            }
            _ = probe.take()
            _ = durable.take()
            let (gate, before) = try await measureBoth(base: base, caFile: caFile, extraAdmissions: memoryRun ? max(0, admissions - samples) : 0,
                                                       fsyncDelayUs: 0, shim: nil, between: interleaved(0))
            readyTimes += gate.readyTimes
            print("RTT \(Int(rtt)) ms, native fsync")
            table([("floor: Balance + Redeem, warm connection", floor),
                   ("floor paced like the gate (\(pacedGapMs) ms apart)", paced),
                   ("floor interleaved (one pair before each scan)", gate.interleavedFloor)]
                  + opens(gate, "eguma-gate")
                  + [("curl per call (new TLS each), Balance + Redeem", curl)])
            let open = gate.open
            print(String(format: "  gate (scan → \(gate.openName)) overhead over floor: %+.2f ms p50, %+.2f ms p99; curl-per-call / gate (p50): %.2f×",
                         over(open, floor, 50), over(open, floor, 99), millis(p(curl, 50)) / millis(p(open, 50))))
            print(String(format: "  gate overhead over the paced floor: %+.2f ms p50, %+.2f ms p99",
                         over(open, paced, 50), over(open, paced, 99)))
            print(String(format: "  gate overhead over the interleaved floor: %+.2f ms p50, %+.2f ms p99",
                         over(open, gate.interleavedFloor, 50), over(open, gate.interleavedFloor, 99)))
            compare(gate, before, floor: floor)
            moneyRule(gate, before, syncs: probe.take(), durable: durable.take(), shimDelayMs: 0)
            if memoryRun {
                print(String(format: "  daemon RSS: %.1f MiB after %d warm-up admissions → %.1f MiB after %d more (%+.2f kB per admission)",
                             gate.rssBefore / 1024, GateRun.warmUp, gate.rssAfter / 1024, gate.admitted - GateRun.warmUp,
                             (gate.rssAfter - gate.rssBefore) / Double(max(1, gate.admitted - GateRun.warmUp))))
                print("  RSS by admissions: " + gate.rssSeries.map { String(format: "%d: %.1f", $0.0, $0.1 / 1024) }.joined(separator: ", ")
                      + " MiB; \(gate.threads) threads")
                print("  RSS at the end: " + gate.breakdown)
            }
            print("")
            if rtt == rtts.last, shim == nil {
                print("slow storage: skipped (cannot build Benchmarks/fsync_delay.c with cc)\n")
            }
            if rtt == rtts.last, let shim {
                for delay in fsyncDelaysMs {
                    let (slow, slowBefore) = try await measureBoth(base: base, caFile: caFile, extraAdmissions: 0,
                                                                   fsyncDelayUs: Int(delay * 1000), shim: shim, between: interleaved(Int(delay * 1000)))
                    readyTimes += slow.readyTimes
                    print("RTT \(Int(rtt)) ms, every fsync/fdatasync +\(delay) ms (LD_PRELOAD shim)")
                    table([("floor interleaved (one pair before each scan)", slow.interleavedFloor)] + opens(slow, "eguma-gate"))
                    compare(slow, slowBefore, floor: floor)
                    moneyRule(slow, slowBefore, syncs: probe.take(), durable: durable.take(), shimDelayMs: delay)
                    print("  fsyncs between scan and relay energised, this build: " + syncSummary(slow))
                    if let slowBefore { print("  fsyncs between scan and relay energised, baseline:   " + syncSummary(slowBefore)) }
                    let open = slow.open
                    print(String(format: "  gate (scan → \(slow.openName)) overhead over floor: %+.2f ms p50, %+.2f ms p99; over the paced floor: %+.2f ms p50, %+.2f ms p99; "
                                 + "over the interleaved floor: %+.2f ms p50, %+.2f ms p99\n",
                                 over(open, floor, 50), over(open, floor, 99), over(open, paced, 50), over(open, paced, 99),
                                 over(open, slow.interleavedFloor, 50), over(open, slow.interleavedFloor, 99)))
                }
            }
            try await pair.shutdown()
        }
        print("start to READY=1 (NOTIFY_SOCKET), each daemon start: " + readyTimes.map { String(format: "%.0f ms", millis($0)) }.joined(separator: ", "))
        print(binarySize())
    }

    /// "2 in 197 admissions, 3 in 3 (-wal ×3)": how many fsync/fdatasync calls the sampled
    /// admissions made before the relay, and which files the calls beyond the first two synced.
    func syncSummary(_ run: GateRun) -> String {
        guard !run.syncsBeforeRelay.isEmpty else { return "not traced (a binary without the relay trace)" }
        let counts = Dictionary(grouping: run.syncsBeforeRelay, by: \.count).sorted { $0.key < $1.key }
        return counts.map { count, admissions in
            var text = "\(count) in \(admissions.count) admission\(admissions.count == 1 ? "" : "s")"
            if count > 2 {
                let files = Dictionary(grouping: admissions.flatMap { $0 }, by: { $0 }).map { "\($0.key) ×\($0.value.count)" }.sorted()
                text += " (" + files.joined(separator: ", ") + ")"
            }
            return text
        }.joined(separator: ", ")
    }

    /// How much slower `a` is than `b` at `percentile`, in ms (the overheads printed).
    func over(_ a: [Duration], _ b: [Duration], _ percentile: Int) -> Double {
        millis(p(a, percentile)) - millis(p(b, percentile))
    }

    /// This build's run and, with `--baseline`, the baseline's under the same conditions. With a
    /// baseline each is measured in two halves of `samples`, in the order this build, baseline,
    /// baseline, this build (ABBA), so a drift of the machine over the minutes of a run weighs on
    /// both alike: run one after the other, whichever ran second came out slower at 5 ms per fsync
    /// in both orders. The extra admissions of the memory figures run at the end of this build's
    /// second half.
    func measureBoth(base: String, caFile: String, extraAdmissions: Int, fsyncDelayUs: Int, shim: String?,
                     between: @escaping () async throws -> Duration) async throws -> (GateRun, GateRun?) {
        func measure(_ binary: String, _ samples: Int, extra: Int) async throws -> GateRun {
            try await GateRun.measure(binary: binary, base: base, caFile: caFile, voucher: voucher, samples: samples,
                                      extraAdmissions: extra, fsyncDelayUs: fsyncDelayUs, shim: shim, between: between)
        }
        guard let baseline else { return (try await measure(binary, samples, extra: extraAdmissions), nil) }
        let half = samples / 2
        let first = try await measure(binary, half, extra: 0)
        let before = try await measure(baseline, half, extra: 0)
        let beforeAgain = try await measure(baseline, samples - half, extra: 0)
        let again = try await measure(binary, samples - half, extra: extraAdmissions)
        return (first.merged(with: again), before.merged(with: beforeAgain))
    }

    /// The rows of a run's "open" figures: relay energised (when its binary writes the drive
    /// trace) and kiosk "walk through" received.
    func opens(_ run: GateRun, _ who: String) -> [(String, [Duration])] {
        (run.relayLatencies.isEmpty ? [] : [("\(who) scan → relay energised", run.relayLatencies)])
            + [("\(who) scan → kiosk \"walk through\" received", run.latencies)]
    }

    /// Prints the baseline's rows and both builds' overheads: over the same back-to-back floor,
    /// and each over its own interleaved floor (the comparison that survives the machine's drift).
    /// Each figure compares like with like: the kiosk figure always (every build has it), the
    /// relay figure when both binaries write the drive trace.
    func compare(_ now: GateRun, _ before: GateRun?, floor: [Duration]) {
        guard let before else { return }
        table([("baseline: floor interleaved", before.interleavedFloor)] + opens(before, "baseline binary (--baseline)"))
        var measures: [(String, [Duration], [Duration])] = [("kiosk", now.latencies, before.latencies)]
        if !now.relayLatencies.isEmpty, !before.relayLatencies.isEmpty {
            measures.insert(("relay", now.relayLatencies, before.relayLatencies), at: 0)
        }
        for (name, mine, theirs) in measures {
            print(String(format: "  scan → \(name), overhead over floor, this build vs baseline: %+.2f vs %+.2f ms p50, %+.2f vs %+.2f ms p99",
                         over(mine, floor, 50), over(theirs, floor, 50), over(mine, floor, 99), over(theirs, floor, 99)))
            print(String(format: "  scan → \(name), overhead over each run's interleaved floor, this build vs baseline: %+.2f vs %+.2f ms p50, %+.2f vs %+.2f ms p99",
                         over(mine, now.interleavedFloor, 50), over(theirs, before.interleavedFloor, 50),
                         over(mine, now.interleavedFloor, 99), over(theirs, before.interleavedFloor, 99)))
        }
    }

    /// The issue-24 goals over two durable commits: this build's (and the baseline's) overhead
    /// over its own interleaved floor, less two fdatasyncs measured in the same run.
    /// And, beside them, each build over the durable floor (`DurableFloor`) of the same run.
    func moneyRule(_ now: GateRun, _ before: GateRun?, syncs: [Duration], durable: [Duration], shimDelayMs: Double) {
        guard !syncs.isEmpty else { return }
        print(String(format: "  fdatasync of a 4 KiB page, this disk, one before each scan: %.2f ms p50, %.2f ms p99 (n = %d)",
                     millis(p(syncs, 50)), millis(p(syncs, 99)), syncs.count)
              + (shimDelayMs > 0 ? String(format: "; the gate's commits also wait the shim's %.0f ms each", shimDelayMs) : ""))
        for (who, run) in [("this build", now)] + (before.map { [("baseline", $0)] } ?? []) {
            let (name, open) = run.relayLatencies.isEmpty ? ("kiosk", run.latencies) : ("relay", run.relayLatencies)
            print(SyncProbe.report(who, measure: name, overhead50: over(open, run.interleavedFloor, 50),
                                   overhead99: over(open, run.interleavedFloor, 99), syncs: syncs, shimDelayMs: shimDelayMs))
        }
        guard !durable.isEmpty else { return }
        let twoSyncs = 2 * (millis(p(syncs, 50)) + shimDelayMs)
        print(String(format: "  durable floor (Balance, commit, Redeem, commit; nothing else): %.2f ms p50, %.2f ms p99 (n = %d); "
                     + "over the interleaved floor %+.2f ms p50, of which 2 × fdatasync p50 %.2f, the rest %+.2f (what the two commits' waits cost any safe path here)",
                     millis(p(durable, 50)), millis(p(durable, 99)), durable.count,
                     over(durable, now.interleavedFloor, 50), twoSyncs, over(durable, now.interleavedFloor, 50) - twoSyncs))
        for (who, run) in [("this build", now)] + (before.map { [("baseline", $0)] } ?? []) {
            let (name, open) = run.relayLatencies.isEmpty ? ("kiosk", run.latencies) : ("relay", run.relayLatencies)
            print(String(format: "  \(who) scan → \(name) over the durable floor: %+.2f ms p50, %+.2f ms p99",
                         over(open, durable, 50), over(open, durable, 99)))
        }
    }

    /// Balance + Redeem on one keep-alive connection, nothing else: what any integration must pay.
    /// `gapMs` apart (0: back to back).
    func floorLatencies(base: String, caFile: String, gapMs: Int) async throws -> [Duration] {
        let pair = try await FloorPair(base: base, caFile: caFile, voucher: voucher, name: "\(base)/\(gapMs)")
        var times: [Duration] = []
        for _ in 0..<samples {
            if gapMs > 0 { try await Task.sleep(for: .milliseconds(gapMs)) }
            times.append(try await pair.measure())
        }
        try await pair.shutdown()
        return times
    }

    /// The naive integration: one `curl` process (new TCP + TLS connection) per call. The relay
    /// write that would follow is a few microseconds and is not included.
    func curlLatencies(base: String, caFile: String) throws -> [Duration] {
        let key = SimulatedOutlet.demo.key
        var times: [Duration] = []
        for i in 0..<curlSamples {
            let start = ContinuousClock.now
            try curl(["\(base)/v1/vouchers/\(voucher)/balance.json?apikey=\(key)"], caFile: caFile)
            try curl(["-X", "POST", "-H", "Content-Type: application/json",
                      "-d", "{\"amount_in_cents\":100,\"reference_number\":\"bench/curl/\(i)\"}",
                      "\(base)/v1/vouchers/\(voucher)/redeem.json?apikey=\(key)"], caFile: caFile)
            times.append(.now - start)
        }
        return times
    }

    private func curl(_ arguments: [String], caFile: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["curl", "-sSf", "-4", "-o", "/dev/null", "--cacert", caFile] + arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchSocket.Failure(description: "curl failed with status \(process.terminationStatus)") }
    }

    func binarySize() -> String {
        let release = binary.contains("/release/") ? binary : nil
        guard let release else {
            let size = (try? FileManager.default.attributesOfItem(atPath: binary)[.size] as? Int) ?? 0
            return String(format: "binary: %.1f MB (not a release build; stripped release size not measured)", Double(size) / 1e6)
        }
        let stripped = NSTemporaryDirectory() + "eguma-gate-stripped-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: stripped) }
        let strip = Process()
        strip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        strip.arguments = ["strip", "-o", stripped, release]
        try? strip.run(); strip.waitUntilExit()
        let size = { (path: String) in Double((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0) / 1e6 }
        return String(format: "release binary: %.1f MB, stripped %.1f MB", size(release), size(stripped))
    }

    func table(_ rows: [(String, [Duration])]) {
        print("  \("".padding(toLength: 52, withPad: " ", startingAt: 0))      p50       p95       p99   n")
        for (name, values) in rows {
            print("  " + name.padding(toLength: 52, withPad: " ", startingAt: 0)
                  + String(format: " %8.2f  %8.2f  %8.2f   %d", millis(p(values, 50)), millis(p(values, 95)), millis(p(values, 99)), values.count))
        }
    }

    func p(_ values: [Duration], _ percentile: Int) -> Duration { GateBenchmarks.p(values, percentile) }
}

/// The floor: Balance + Redeem on one warm keep-alive connection, timed together.
actor FloorPair {
    let client: EgumaClient
    let voucher: String
    /// Unique per pair in a run: the redeems' references are "bench/floor/NAME/N".
    let name: String
    let key = APIKey(SimulatedOutlet.demo.key)
    var count = 0

    init(base: String, caFile: String, voucher: String, name: String) async throws {
        client = try EgumaClient(configuration: .init(baseURL: base, caFile: caFile))
        self.voucher = voucher; self.name = name
        _ = try await client.balance(code: voucher, key: key)  // the connection is warm from here on
    }

    /// One pair's time; then `settleMs` of quiet before the caller goes on.
    func measure(settleMs: Int = 0) async throws -> Duration {
        count += 1
        let start = ContinuousClock.now
        _ = try await client.balance(code: voucher, key: key)
        _ = try await client.redeem(code: voucher, amount: Cents(100), reference: "bench/floor/\(name)/\(count)", key: key)
        let took = ContinuousClock.now - start
        if settleMs > 0 { try await Task.sleep(for: .milliseconds(settleMs)) }
        return took
    }

    /// A pair with a durable commit after each call (`commit`), as a safe gate makes them.
    func measureDurable(commit: @Sendable () throws -> Void) async throws -> Duration {
        count += 1
        let start = ContinuousClock.now
        _ = try await client.balance(code: voucher, key: key)
        try commit()
        _ = try await client.redeem(code: voucher, amount: Cents(100), reference: "bench/floor/\(name)/\(count)", key: key)
        try commit()
        return ContinuousClock.now - start
    }

    func shutdown() async throws { try await client.shutdown() }
}

/// The floor of a safe path (issue 24): Balance, a durable commit (a 4 KiB page and its
/// fdatasync, `SyncProbe`), Redeem, a durable commit — what a gate that did nothing but the two
/// calls and the two commits the money rule asks for would take, measured before each sampled
/// scan like the interleaved floor. It differs from "interleaved floor + 2 × fdatasync" by what
/// the commits' waits cost the calls around them: the threads and cores that go idle during an
/// fdatasync (or the shim's sleep) wake up again for the next step. Under the shim its commits
/// wait the same `nanosleep` first. Shared by both builds of a `--baseline` run, as the probe is.
final class DurableFloor: Sendable {
    private let commits: SyncProbe
    private let samples = Mutex<[Duration]>([])

    init() throws { commits = try SyncProbe(name: "durable-floor") }

    func measure(_ pair: FloorPair, delayUs: Int) async throws {
        let commits = commits
        let took = try await pair.measureDurable { try commits.sample(delayUs: delayUs) }
        samples.withLock { $0.append(took) }
    }

    /// The samples since the last call, and a fresh start for the next configuration.
    func take() -> [Duration] {
        _ = commits.take()
        return samples.withLock { s in
            defer { s = [] }
            return s
        }
    }

    func close() { commits.close() }
}

func millis(_ d: Duration) -> Double {
    let (s, atto) = d.components
    return Double(s) * 1000 + Double(atto) / 1e15
}

/// Builds Benchmarks/fsync_delay.c (next to the package) into a temporary shared object.
enum FsyncShim {
    static func build() throws -> String {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Benchmarks/fsync_delay.c").path
        let output = NSTemporaryDirectory() + "fsync_delay-\(getpid()).so"
        let cc = Process()
        cc.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        cc.arguments = ["cc", "-shared", "-fPIC", "-O2", "-o", output, source, "-ldl"]
        try cc.run(); cc.waitUntilExit()
        guard cc.terminationStatus == 0 else { throw BenchSocket.Failure(description: "cc \(source) failed") }
        return output
    }
}
