import AsyncHTTPClient
import EgumaAPI
import EgumaSimulator
import Foundation
import GateDaemon
import Glibc
import NIOCore
import Testing
import TestSupport

/// The real `eguma-gate run` binary against the simulator: a serial scanner on a PTY-backed
/// `ttyACM0` hotplugged under umockdev, relay and sensor on the simulated chip, driven through the
/// control socket (`sim passage`, `open`, `status`) and checked through `events --json`,
/// `/metrics` and the simulator's ledger.
///
/// The child inherits umockdev's preload and `UMOCKDEV_DIR` from this process (which runs under
/// `umockdev-wrapper`), so it sees the testbed's sysfs, uevents and device nodes.
@Suite("eguma-gate run end to end", .serialized, .deviceAccess, .enabled(if: UmockdevEnvironment.shouldRun))
struct RunEndToEndTests {
    static let symbol: [(String, String)] = [("ID_VENDOR_ID", "05e0"), ("ID_MODEL_ID", "1200"), ("ID_SERIAL", "Symbol_DS2208_42")]
    static let plenty = DemoVouchers.plenty  // CHF 100.00
    static let scanned = DemoVouchers.plenty.replacingOccurrences(of: "-", with: "")

    /// Simulator, config, testbed (before the daemon starts: the child inherits `UMOCKDEV_DIR`),
    /// running daemon and an `events -f` follower.
    struct Rig {
        let simulator: SimulatorServer
        let config: GateTestConfig
        let testbed: UmockdevTestbed
        let gate: RunningGate
        let events: EventFollower

        /// Runs `body` with a started rig and tears it down afterwards (also when `body` throws),
        /// so the next test of this serialized suite finds no testbed left.
        static func with(_ adjust: (inout GateTestConfig) -> Void = { _ in }, _ body: (Rig) async throws -> Void) async throws {
            let rig = try await start(adjust)
            do { try await body(rig) } catch {
                // What the daemon said and the journal so far: the failure's context.
                let state = rig.gate.child.isRunning ? "running" : "\(try await rig.gate.child.waitForExit(timeout: .seconds(1)))"
                Issue.record("daemon (\(state)) log:\n\(rig.gate.child.stderr)\nevents -f:\n\(rig.events.child.stdout)\(rig.events.child.stderr)")
                await rig.finish()
                throw error
            }
            await rig.finish()
        }

        static func start(_ adjust: (inout GateTestConfig) -> Void = { _ in }) async throws -> Rig {
            try UmockdevEnvironment.require()
            let simulator = try await SimulatorServer.start()
            var config = try GateTestConfig(baseURL: simulator.baseURL)
            config.metricsPort = try GateTestConfig.freePort()
            adjust(&config)
            try config.write()
            let testbed = try UmockdevTestbed()
            let gate: RunningGate
            do { gate = try await RunningGate.start(config: config.configPath, directory: config.directory) } catch {
                await simulator.stop()
                throw error
            }
            let events = try EventFollower(config: config.configPath)
            return Rig(simulator: simulator, config: config, testbed: testbed, gate: gate, events: events)
        }

        /// Plugs the scanner in and waits until the lane reports it attached.
        func plugScanner(name: String = "ttyACM0") async throws {
            try testbed.addSerialDevice(name: name, properties: RunEndToEndTests.symbol)
            try await events.waitFor("scanner_attached") { $0.message == "/dev/\(name)" }
        }

        /// A scan, as the scanner sends it: the code and a carriage return.
        func scan(_ code: String = RunEndToEndTests.scanned, node: String = "/dev/ttyACM0") throws {
            let fd = testbed.deviceFD(node)
            try #require(fd >= 0, "no PTY master for \(node)")
            let bytes = Array((code + "\r").utf8)
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            try #require(written == bytes.count)
        }

        func cli(_ arguments: String...) async throws -> GateBinary.Result {
            try await gate.cli(arguments)
        }

        func finish() async {
            events.stop()
            gate.kill()
            await simulator.stop()
            config.remove()
        }
    }

    static var userName: String {
        guard let pw = getpwuid(getuid()), let name = pw.pointee.pw_name else { return "uid \(getuid())" }
        return String(cString: name)
    }

    private func metrics(port: Int) async throws -> String {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"), timeout: .seconds(10))
        #expect(response.status.code == 200)
        return String(buffer: try await response.body.collect(upTo: 1 << 20))
    }

    @Test func scansPassagesNoPassagesAndAManualOpenEndInJournalMetricsAndLedger() async throws {
        let started = ContinuousClock.now
        try await Rig.with { rig in
            try await rig.plugScanner()

            // A guest pays and walks through.
            try rig.scan()
            try await rig.events.waitFor("opened")
            let passage = try await rig.cli("sim", "passage", "main")
            #expect(passage.status == 0, "\(passage)")
            let entered = try await rig.events.waitFor("entered")
            #expect(entered.amountCents == 2500)

            // The same voucher again, but nobody walks through: the redemption is cancelled.
            try rig.scan()
            try await rig.events.waitFor("opened", count: 2)
            try await rig.events.waitFor("no_passage")
            let cancelled = try await rig.events.waitFor("cancelled")
            #expect(cancelled.amountCents == 2500)
            #expect(cancelled.balanceCents == 7500)

            // Staff opens the lane by hand: recorded with the calling user.
            let open = try await rig.cli("open", "main")
            #expect(open.status == 0, "\(open)")
            #expect(open.stdout.contains("opened by \(Self.userName)"))
            let manual = try await rig.events.waitFor("manual_open")
            #expect(manual.message?.contains(Self.userName) == true)

            // status --json
            let statusRun = try await rig.cli("status", "--json")
            #expect(statusRun.status == 0, "\(statusRun)")
            let status = try JSONDecoder().decode(GateStatus.self, from: Data(statusRun.stdout.utf8))
            #expect(status.gate == "e2e")
            #expect(status.online)
            #expect(status.outboxPending == 0 && status.outboxDead == 0)
            let lane = try #require(status.lanes.first { $0.name == "main" })
            #expect(lane.scannerPresent)
            #expect(lane.scannerDevice == "/dev/ttyACM0")
            #expect(lane.entriesToday == 1)
            #expect(lane.lastAdmissions.contains { $0.contains("entered") })

            // events --json: every line has the SPEC fields.
            let eventsRun = try await rig.cli("events", "--json")
            #expect(eventsRun.status == 0, "\(eventsRun)")
            let lines = eventsRun.stdout.split(separator: "\n").map(String.init)
            let journal = lines.compactMap(JournalLine.init)
            #expect(journal.count == lines.count, "every line is a JSON event: \(eventsRun.stdout)")
            let fields: Set = ["ts", "lane", "type", "admission", "code", "amount_cents", "balance_cents", "message"]
            for line in journal {
                #expect(fields.isSubset(of: line.keys), "\(line)")
                #expect(line.lane == "main")
                #expect((try? Date(line.ts, strategy: .iso8601)) != nil, "ts is RFC 3339: \(line.ts)")
            }
            let types = journal.map(\.type)
            for type in ["scanner_attached", "scanned", "redeemed", "opened", "entered", "no_passage", "cancelled", "manual_open"] {
                #expect(types.contains(type), "\(type) in \(types)")
            }
            let redeemed = journal.filter { $0.type == "redeemed" }
            #expect(redeemed.count == 2)
            #expect(redeemed.allSatisfy { $0.amountCents == 2500 && $0.code != nil && $0.admission != nil })
            #expect(Set(redeemed.compactMap(\.admission)).count == 2, "two admissions")

            // /metrics
            let text = try await metrics(port: try #require(rig.config.metricsPort))
            #expect(text.contains(#"eguma_gate_admissions_total{lane="main",outcome="entered"} 1"#), "\(text)")
            #expect(text.contains(#"eguma_gate_admissions_total{lane="main",outcome="cancelled"} 1"#))
            #expect(text.contains(#"eguma_gate_admissions_total{lane="main",outcome="manual_open"} 1"#))

            // The simulator's ledger: net money = price × entries; the cancelled redemption cancelled.
            let ledger = await rig.simulator.ledger().filter { $0.code == Self.scanned && $0.applied }  // canonical: no dashes
            let redeems = ledger.filter { $0.endpoint == .redeem }
            let cancels = ledger.filter { $0.endpoint == .cancelRedemption }
            #expect(redeems.count == 2)
            #expect(cancels.count == 1)
            #expect(cancels.first?.token == redeems.last?.token, "the second redemption is the cancelled one")
            #expect(await rig.simulator.netRedeemed(Self.plenty) == 2500 * 1)
            #expect(await rig.simulator.balance(of: Self.plenty) == 10_000 - 2500)

            let exit = try await rig.gate.stop(SIGTERM)
            #expect(exit == .init(status: 0, signalled: false), "\(rig.gate.child.stderr)")
            print("run end to end: \(ContinuousClock.now - started)")
        }
    }

    @Test func sighupReloadsThePriceWithoutDroppingTheLane() async throws {
        try await Rig.with { rig in
            try await rig.plugScanner()

            let set = try await GateBinary.run(["config", "set", "lanes.main.price", "30.00", "--config", rig.config.configPath])
            #expect(set.status == 0, "\(set)")
            let before = rig.gate.notify.count
            rig.gate.child.signal(SIGHUP)
            try await rig.gate.notify.waitFor("RELOADING=1", after: before)
            try await rig.gate.notify.waitFor("READY=1", after: before)

            try rig.scan()
            try await rig.events.waitFor("opened")
            #expect(try await rig.cli("sim", "passage", "main").status == 0)
            let entered = try await rig.events.waitFor("entered")
            #expect(entered.amountCents == 3000)
            let redeems = await rig.simulator.ledger().filter { $0.endpoint == .redeem && $0.applied }
            #expect(redeems.map(\.amountInCents) == [3000])

            // The lane kept running: the daemon is the same process, the scanner never detached.
            #expect(rig.gate.child.isRunning)
            let types = rig.events.events.map(\.type)
            #expect(!types.contains("scanner_detached"))
            #expect(types.filter { $0 == "scanner_attached" }.count == 1)
            #expect(rig.gate.child.stderr.contains("configuration reloaded"))
            let exit = try await rig.gate.stop(SIGTERM)
            #expect(exit == .init(status: 0, signalled: false), "\(rig.gate.child.stderr)")
        }
    }

    /// toml++ aborts its process on some malformed TOML (`x =[}`): a typo and `systemctl reload`
    /// killed the running gate. The file is now parsed by a child first; the daemon refuses the
    /// reload with the line, keeps admitting guests, and `config check` says the same.
    @Test func aReloadOfAFileThatWouldAbortTheParserIsRefusedAndTheGateRunsOn() async throws {
        try await Rig.with { rig in
            try await rig.plugScanner()
            let good = try String(contentsOfFile: rig.config.configPath, encoding: .utf8)
            try rig.config.write(good + "\nx =[}\n")
            let lineOfTypo = good.split(separator: "\n", omittingEmptySubsequences: false).count + 1

            let check = try await GateBinary.run(["config", "check", "--config", rig.config.configPath])
            #expect(check.status == 2, "\(check)")
            #expect(check.stderr.contains("eguma-gate.toml:\(lineOfTypo): not valid TOML"), "\(check.stderr)")
            #expect(!check.stderr.contains("Assertion"), "no parser abort: \(check.stderr)")

            let before = rig.gate.notify.count
            rig.gate.child.signal(SIGHUP)
            try await rig.gate.notify.waitFor("READY=1", after: before)
            try await rig.gate.child.stderrLines.waitFor("the reload refused") { $0.contains("reload refused") }
            #expect(rig.gate.child.isRunning)
            #expect(rig.gate.child.stderr.contains(":\(lineOfTypo): not valid TOML"), "\(rig.gate.child.stderr)")

            try rig.config.write(good)  // the commands below read the file too
            try rig.scan()
            try await rig.events.waitFor("opened")
            #expect(try await rig.cli("sim", "passage", "main").status == 0)
            let entered = try await rig.events.waitFor("entered")
            #expect(entered.amountCents == 2500, "the previous configuration still runs")
            let exit = try await rig.gate.stop(SIGTERM)
            #expect(exit == .init(status: 0, signalled: false), "\(rig.gate.child.stderr)")
        }
    }

    @Test func sigtermWhileWaitingForPassageLosesNothing() async throws {
        let timeoutMs = 3000
        try await Rig.with({ $0.passageTimeoutMs = timeoutMs }) { rig in
            try await rig.plugScanner()

            try rig.scan()
            try await rig.events.waitFor("opened")
            let signalled = ContinuousClock.now
            let exit = try await rig.gate.stop(SIGTERM, timeout: .milliseconds(timeoutMs) + .seconds(10))
            let took = ContinuousClock.now - signalled
            let log = rig.gate.child.stderr
            #expect(exit == .init(status: 0, signalled: false), "\(log)")
            #expect(took < .milliseconds(timeoutMs) + .seconds(5), "exited \(took) after SIGTERM")
            print("SIGTERM mid-admission: exited \(took) after the signal (passage timeout \(timeoutMs) ms)")

            // Relay inactive at the end, database closed.
            #expect(log.contains("relays inactive, database closed"), "\(log)")

            // Nothing lost: the admission in flight ran to its passage timeout and the
            // redemption was cancelled at e-guma before the daemon exited.
            #expect(await rig.simulator.netRedeemed(Self.plenty) == 0)
            #expect(await rig.simulator.balance(of: Self.plenty) == 10_000)
            let journal = try await GateBinary.run(["events", "--json", "--config", rig.config.configPath])
            let types = journal.stdout.split(separator: "\n").compactMap { JournalLine(String($0)) }.map(\.type)
            #expect(types.contains("no_passage"))
            #expect(types.contains("cancelled") || types.contains("cancel_queued"))
            #expect(!types.contains("entered"))
        }
    }

    @Test func sigtermWithTheCancelUnansweredQueuesItAndARestartSettlesIt() async throws {
        try await Rig.with({ $0.passageTimeoutMs = 1000 }) { rig in
            try await rig.plugScanner()
            // e-guma takes the redemption but every cancel is lost on the way.
            await rig.simulator.setFault(SimulatorFault(action: .dropBeforeProcessing), for: .cancelRedemption)

            try rig.scan()
            try await rig.events.waitFor("opened")
            let exit = try await rig.gate.stop(SIGTERM, timeout: .seconds(20))
            #expect(exit == .init(status: 0, signalled: false), "\(rig.gate.child.stderr)")
            #expect(await rig.simulator.netRedeemed(Self.plenty) == 2500, "the cancel never reached e-guma")

            let outbox = try await GateBinary.run(["outbox", "list", "--json", "--config", rig.config.configPath])
            #expect(outbox.status == 0, "\(outbox)")
            #expect(outbox.stdout.contains(#""operation":"cancel""#), "\(outbox)")
            #expect(outbox.stdout.contains(#""amount_cents":2500"#))

            // e-guma answers again; the restarted daemon's outbox worker settles the cancel.
            await rig.simulator.setFault(nil, for: .cancelRedemption)
            let again = try await RunningGate.start(config: rig.config.configPath, directory: rig.config.directory)
            defer { again.kill() }
            let follower = try EventFollower(config: rig.config.configPath)
            defer { follower.stop() }
            try await follower.waitFor("cancelled", timeout: .seconds(45)) { $0.amountCents == 2500 }
            #expect(await rig.simulator.netRedeemed(Self.plenty) == 0)
            #expect(await rig.simulator.balance(of: Self.plenty) == 10_000)
            let after = try await GateBinary.run(["outbox", "list", "--json", "--config", rig.config.configPath])
            #expect(after.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "outbox empty: \(after)")
            #expect(try await again.stop(SIGTERM) == .init(status: 0, signalled: false))
        }
    }
}
