import EgumaAPI
import EgumaSimulator
import Foundation
import GateCore
import GateDaemon
import GateStore
import Testing
import TestSupport

/// The seeded script of a crash run: which voucher each step scans and whether the guest walks.
struct CrashPlan {
    static let vouchers = (0..<8).map { String(format: "CRSH%08d", $0) }
    let steps: [(code: String, passes: Bool)]

    init(seed: UInt64, steps count: Int) {
        var rng = SplitMix64(seed: seed)
        steps = (0..<count).map { _ in
            (Self.vouchers[Int(rng.next() % UInt64(Self.vouchers.count))], rng.next() % 4 != 0)
        }
    }
}

/// A small seeded generator, so a crash run is reproducible from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Crash test: a real child process killed with SIGKILL", .serialized)
struct CrashTests {
    static let environment = ProcessInfo.processInfo.environment
    static let price: Int64 = 2_500

    /// The child: recovers from the journal, drains the outbox, then plays the rest of the plan.
    /// Runs only when the parent test starts this binary with EGUMA_CRASH_CHILD set.
    @Test(.enabled(if: environment["EGUMA_CRASH_CHILD"] != nil))
    func crashChildLane() async throws {
        let env = Self.environment
        let baseURL = try #require(env["EGUMA_CRASH_BASE_URL"])
        let path = try #require(env["EGUMA_CRASH_DB"])
        let seed = try #require(env["EGUMA_CRASH_SEED"].flatMap(UInt64.init))
        let count = try #require(env["EGUMA_CRASH_STEPS"].flatMap(Int.init))
        let client = try EgumaClient(configuration: EgumaClientConfiguration(
            baseURL: baseURL, connectTimeout: TestPatience.liveConnectTimeout, requestTimeout: .seconds(30)))
        let service = EgumaVoucherService(client: client, key: APIKey(SimulatedOutlet.demo.key))
        let db = try await GateDatabase.open(path: path)
        let clock = ContinuousClock()
        // A short settle schedule: an interrupted redeem is re-checked within a fraction of a second.
        let worker = OutboxWorker(store: db, journal: db, services: ["spa": service],
                                  policy: RetryPolicy(base: .milliseconds(10), cap: .milliseconds(100)),
                                  settleSchedule: SettleSchedule(delays: [.milliseconds(20), .milliseconds(40), .milliseconds(80)]),
                                  clock: clock)
        await worker.recoverInterrupted()
        while try await !db.pendingEntries().isEmpty {
            if let next = await worker.runOnce() { try await clock.sleep(until: next) }
        }
        let plan = CrashPlan(seed: seed, steps: count)
        let begun = try await db.events().filter { $0.event.type == .scanned }.count
        let sensor = ScriptedPassageSensor(clock: clock, script: plan.steps.dropFirst(begun).map(\.passes))
        let settings = LaneSettings(name: "main", gateName: "crash", outlet: "spa", price: Money(cents: Self.price),
                                    debounce: .zero, passageTimeout: .milliseconds(20), pulse: .milliseconds(2))
        let engine = LaneEngine(settings: settings, service: service, relay: ScriptedRelay(), sensor: sensor,
                                feedback: RecordingGuestFeedback(), journal: db, outbox: db,
                                online: OnlineMonitor(clock: clock), clock: clock)
        for step in plan.steps.dropFirst(begun) {
            _ = await engine.handle(.scanner(.frame(Array(step.code.utf8))))
        }
        while try await !db.pendingEntries().isEmpty {
            if let next = await worker.runOnce() { try await clock.sleep(until: next) }
        }
        try await client.shutdown()
    }

    @Test(.enabled(if: environment["EGUMA_CRASH_CHILD"] == nil))
    func killingTheLaneAtRandomPointsLosesNoMoney() async throws {
        let env = Self.environment
        let seed = env["EGUMA_CRASH_SEED"].flatMap(UInt64.init) ?? 20_261_127
        let maxKills = env["EGUMA_CRASH_KILLS"].flatMap(Int.init) ?? 100
        let steps = env["EGUMA_CRASH_STEPS"].flatMap(Int.init) ?? 400
        let server = try await SimulatorServer.start(SimulatorConfiguration(vouchers: SimulatedVoucherFile(
            vouchers: CrashPlan.vouchers.map { SimulatedVoucher(code: $0, kind: .value, balanceInCents: 10_000_000) })))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("gate.db").path

        var rng = SplitMix64(seed: seed ^ 0xC0FFEE)
        var kills = 0
        var runs = 0
        while true {
            runs += 1
            let killAfter: Duration? = kills < maxKills ? .milliseconds(Int64(60 + rng.next() % 120)) : nil
            let status = try await runChild(baseURL: server.baseURL, path: path, seed: seed, steps: steps, killAfter: killAfter)
            if status == .killed { kills += 1; continue }
            #expect(status == .exited(0))
            break
        }

        // Compare the simulator's ledger with the journal.
        let db = try await GateDatabase.open(path: path)
        let ledger = await server.ledger().filter { $0.referenceNumber?.hasPrefix("crash/main/") == true || $0.endpoint == .cancelRedemption }
        let redeems = ledger.filter { $0.endpoint == .redeem && $0.applied }
        let cancels = ledger.filter { $0.endpoint == .cancelRedemption && $0.applied }
        let journal = try await db.redemptions()
        var mismatches: [String] = []
        for r in redeems {
            let j = journal.first { $0.token == r.token } ?? journal.first { $0.intent.reference == r.referenceNumber && $0.state == .tokenUnknown }
            if j == nil { mismatches.append("redeem \(r.token ?? "?") of \(r.referenceNumber ?? "?") has no token nor token_unknown in the journal") }
        }
        let byReference = Dictionary(grouping: redeems) { "\($0.referenceNumber ?? "")|\($0.code)" }
        for (key, list) in byReference where list.count > 1 { mismatches.append("\(key) redeemed \(list.count)×") }
                var admissionsOutcome: [Int64: AdmissionOutcome] = [:]
        for a in Set(journal.map(\.intent.admission)) {
            if let o = try await db.outcome(ofAdmission: a) { admissionsOutcome[a] = o }
        }
        for r in redeems {
            guard let id = r.referenceNumber.flatMap({ $0.split(separator: "/").last }).flatMap({ Int64($0) }) else { continue }
            let net = (r.amountInCents ?? 0) - cancels.filter { $0.token == r.token }.reduce(0) { $0 + ($1.amountInCents ?? 0) }
            let isEntered = admissionsOutcome[id] == .entered
            let tokenUnknown = journal.contains { $0.intent.admission == id && $0.state == .tokenUnknown }
            if !isEntered && net != 0 && !tokenUnknown { mismatches.append("admission \(id) without passage kept \(net) cents") }
        }
        let entered = admissionsOutcome.values.filter { $0 == .entered }
        let netTaken = redeems.reduce(Int64(0)) { $0 + ($1.amountInCents ?? 0) } - cancels.reduce(Int64(0)) { $0 + ($1.amountInCents ?? 0) }
        let unknownTaken = journal.filter { $0.state == .tokenUnknown && admissionsOutcome[$0.intent.admission] != .entered }
            .reduce(Int64(0)) { $0 + $1.intent.amount.cents }
        if netTaken - unknownTaken != Self.price * Int64(entered.count) {
            mismatches.append("net taken \(netTaken) (of which \(unknownTaken) token-unknown without entry) ≠ price × \(entered.count) entries")
        }
        print("crash test seed \(seed): scans \(steps), runs \(runs), kills \(kills), entries \(entered.count), cancels \(cancels.count), token_unknown \(journal.filter { $0.state == .tokenUnknown }.count), mismatches \(mismatches.count)")
        for m in mismatches { print("  mismatch: \(m)") }
        #expect(mismatches.isEmpty)
        await server.stop()
    }

    enum ChildStatus: Equatable { case exited(Int32), killed }

    /// Starts this test binary again as the child; kills it with SIGKILL after `killAfter`.
    /// Through `ChildProcess`, so the child stays in the run's process group: a run that
    /// scripts/run-swift-tests stops kills it too (Foundation's `Process` gave it a session of
    /// its own, and it outlived a stopped run).
    func runChild(baseURL: String, path: String, seed: UInt64, steps: Int, killAfter: Duration?) async throws -> ChildStatus {
        let child = try ChildProcess(CommandLine.arguments[0], ["--testing-library", "swift-testing", "--filter", "crashChildLane"],
                                     environment: ["EGUMA_CRASH_CHILD": "1", "EGUMA_CRASH_BASE_URL": baseURL, "EGUMA_CRASH_DB": path,
                                                   "EGUMA_CRASH_SEED": String(seed), "EGUMA_CRASH_STEPS": String(steps)])
        if let killAfter {
            try await Task.sleep(for: killAfter)  // the kill schedule, not a wait for an event
            child.signal(SIGKILL)
        }
        let exit = try await child.waitForExit(timeout: .seconds(300), "the crash-test child to end")
        // Only our own SIGKILL counts as a kill: a child that crashed (SIGSEGV, SIGABRT…) is a
        // failure, not one more kill to restart after (a crashing child looped this test forever).
        if exit.signalled, exit.status == SIGKILL, killAfter != nil { return .killed }
        return .exited(exit.signalled ? 128 + exit.status : exit.status)
    }
}
