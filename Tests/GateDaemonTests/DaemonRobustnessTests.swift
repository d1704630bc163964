import EgumaAPI
import EgumaSimulator
import Foundation
import GateDaemon
import GateHardware
import GateStore
import Glibc
import Testing
import TestSupport

/// The real `eguma-gate` binary meeting what a site meets: a scanner input that ends, many
/// `systemctl stop`s in a row (idle and mid-admission, metrics and kiosk on), a config edited by
/// `config set` that must keep its owner. No umockdev: the scanner is stdin or a PTY at a fixed
/// path, relay and sensor the simulated chip.
@Suite("eguma-gate run, unattended", .serialized, .deviceAccess)
struct DaemonRobustnessTests {
    static let scanned = DemoVouchers.plenty.replacingOccurrences(of: "-", with: "")

    @Test func aScannerWhoseInputEndedIsMissingAndTheDaemonStaysUpUntilSIGTERMThenExitsZero() async throws {
        let simulator = try await SimulatorServer.start()
        defer { Task { await simulator.stop() } }
        var config = try GateTestConfig(baseURL: simulator.baseURL)
        defer { config.remove() }
        config.metricsPort = try GateTestConfig.freePort()
        config.scanner = #"{ kind = "stdin" }"#
        config.displayPort = try GateTestConfig.freePort()
        try config.write()

        // stdin of the child is /dev/null: at EOF from the first read, as under systemd.
        let gate = try await RunningGate.start(config: config.configPath, directory: config.directory)
        defer { gate.kill() }
        let events = try EventFollower(config: config.configPath)
        defer { events.stop() }
        let detached = try await events.waitFor("scanner_detached")
        #expect(detached.message?.contains("end of input") == true, "\(detached)")

        let status = try await gate.cli(["status", "--json"])
        #expect(status.status == 0, "\(status)")
        let decoded = try JSONDecoder().decode(GateStatus.self, from: Data(status.stdout.utf8))
        #expect(decoded.lanes.first?.scannerPresent == false)
        #expect(gate.child.isRunning)

        // A mistyped lane name, through the control socket and the journal reader.
        for command in [["open", "maim"], ["events", "--lane", "maim"]] {
            let typo = try await gate.cli(command)
            #expect(typo.status != 0 && typo.stderr.contains(#"did you mean "main"?"#), "\(command): \(typo)")
        }

        let exit = try await gate.stop()
        #expect(exit == ChildProcess.Exit(status: 0, signalled: false), "\(exit)\n\(gate.child.stderr)")
        #expect(!gate.child.stderr.contains("ServiceGroupError"), "\(gate.child.stderr)")
    }

    @Test func twentySIGTERMsInARowIdleAndMidAdmissionEachExitZeroWithRelaysInactive() async throws {
        let simulator = try await SimulatorServer.start()
        defer { Task { await simulator.stop() } }
        var config = try GateTestConfig(baseURL: simulator.baseURL)
        defer { config.remove() }
        let pty = try TestPTY.open()
        let link = config.directory + "/scanner"
        try #require(symlink(pty.slavePath, link) == 0)
        config.scanner = #"{ kind = "serial", path = "\#(link)", terminator = "cr" }"#
        config.price = "1.00"
        config.passageTimeoutMs = 500
        config.metricsPort = try GateTestConfig.freePort()
        config.displayPort = try GateTestConfig.freePort()
        try config.write()

        var events: EventFollower?
        defer { events?.stop() }
        var admissions = 0
        for round in 1...20 {
            let gate = try await RunningGate.start(config: config.configPath, directory: config.directory)
            defer { gate.kill() }
            if events == nil { events = try EventFollower(config: config.configPath) }
            let follower = try #require(events)
            let midAdmission = round % 2 == 0
            do {
                // (Counting scanner_attached lines would miss two in the same second: identical lines.)
                _ = try await waitForStatus(gate, "round \(round): scanner attached") { $0.lanes.first?.scannerPresent == true }
                if midAdmission {
                    try pty.send(Self.scanned + "\r")
                    admissions += 1
                    try await follower.waitFor("opened", count: admissions)
                }
            } catch {
                Issue.record("round \(round): daemon log:\n\(gate.child.stderr)\nevents:\n\(follower.child.stdout)")
                throw error
            }
            let exit = try await gate.stop(SIGTERM, timeout: .seconds(20))
            let log = gate.child.stderr
            #expect(exit == ChildProcess.Exit(status: 0, signalled: false),
                    "round \(round) (\(midAdmission ? "mid-admission" : "idle")): \(exit)\n\(log)")
            #expect(log.contains("relays inactive"), "round \(round): \(log)")
            #expect(!log.contains("could not drive inactive") && !log.contains("ServiceGroupError"), "round \(round): \(log)")
            if midAdmission {
                // The admission in flight was finished, not dropped: no passage, so cancelled.
                try await follower.waitFor("cancelled", count: admissions)
            }
        }
    }

    @Test func configSetKeepsTheOwnerGroupAndModeOfTheFileItReplaces() async throws {
        try #require(geteuid() == 0, "needs root to chown to another user")
        let config = try GateTestConfig(baseURL: "http://127.0.0.1:9")
        defer { config.remove() }
        try config.write()
        let nobody = try #require(getpwnam("nobody")).pointee.pw_uid
        let group = try #require(getgrnam("nogroup") ?? getgrnam("nobody")).pointee.gr_gid
        try #require(chown(config.configPath, nobody, group) == 0 && chmod(config.configPath, 0o640) == 0)

        let result = try await GateBinary.run(["config", "set", "lanes.main.price", "30.00", "--config", config.configPath])
        #expect(result.status == 0, "\(result)")

        var info = stat()
        try #require(stat(config.configPath, &info) == 0)
        #expect(info.st_uid == nobody && info.st_gid == group, "owner \(info.st_uid):\(info.st_gid)")
        #expect(info.st_mode & 0o7777 == 0o640)
        #expect(try String(contentsOfFile: config.configPath, encoding: .utf8).contains(#"price = "30.00""#))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: config.directory).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test func configShowPrintsEveryEffectiveKeyAndNoEmptyLaneTable() async throws {
        let config = try GateTestConfig(baseURL: "http://127.0.0.1:9")
        defer { config.remove() }
        try config.write()
        let result = try await GateBinary.run(["config", "show", "--config", config.configPath])
        #expect(result.status == 0, "\(result)")
        let out = result.stdout
        for line in [
            #"retention_days = 400"#, #"display = """#, "connect_timeout_ms = \(TestPatience.liveConnectTimeout.milliseconds)",
            "[lanes.main]", #"mode = "gate""#, #"price = "25.00""#, #"offline = "deny""#, "split_payment = true",
            "split_timeout_ms = 30000", "debounce_ms = 0", "accept_products = []", "service_redeem_cents = 0",
            "passage_timeout_ms = 2000", #"language = "de""#,
            #"scanner = { kind = "serial", match = { ID_VENDOR_ID = "05e0" }, baud = 9600, terminator = "cr""#,
            #"relay = { chip = "sim", line = 0, active_low = false, pulse_ms = 200 }"#,
            #"sensor = { chip = "sim", line = 1, active_low = false, edge = "falling", bias = "pull-up", debounce_ms = 0 }"#,
        ] {
            #expect(out.contains(line), "config show lacks \(line):\n\(out)")
        }
        #expect(!out.contains("[lanes.main]\n\n"), "an empty lane table:\n\(out)")
        #expect(!out.contains(SimulatedOutlet.demo.key))

        // What it prints is itself a valid configuration with the same values.
        let shown = try GateConfig.parse(text: out, file: "shown")
        let original = try GateConfig.load(path: config.configPath)
        #expect(shown.lanes.map(\.settings) == original.lanes.map(\.settings))
        #expect(shown.gate == original.gate)
    }

    @Test func aMistypedLaneNameOnTheCommandLineGetsASuggestion() async throws {
        let config = try GateTestConfig(baseURL: "http://127.0.0.1:9")
        defer { config.remove() }
        try config.write()
        let gpio = try await GateBinary.run(["gpio", "test", "maim", "--config", config.configPath])
        #expect(gpio.status == 2, "\(gpio)")
        #expect(gpio.stderr.contains(#"no lane "maim""#) && gpio.stderr.contains(#"did you mean "main"?"#), "\(gpio)")
    }

    @Test func configCheckHardwareRequestsEveryLineAndLooksUpTheScanner() async throws {
        var config = try GateTestConfig(baseURL: "http://127.0.0.1:9")
        defer { config.remove() }
        let link = config.directory + "/scanner"
        config.scanner = #"{ kind = "serial", path = "\#(link)", terminator = "cr" }"#
        try config.write()

        // No scanner at the path yet: reported missing, exit 2.
        let missing = try await GateBinary.run(["config", "check", "--hardware", "--config", config.configPath])
        #expect(missing.status == 2, "\(missing)")
        #expect(missing.stdout.contains("PROBLEM lanes.main.scanner: missing — \(link)"), "\(missing)")
        #expect(missing.stdout.contains("ok      lanes.main.relay: sim line 0 requested as output (inactive) and released — the simulated chip"), "\(missing)")
        #expect(missing.stdout.contains("ok      lanes.main.sensor: sim line 1 requested as input"), "\(missing)")

        // Plugged in: everything ok, exit 0.
        let pty = try TestPTY.open()
        try #require(symlink(pty.slavePath, link) == 0)
        let present = try await GateBinary.run(["config", "check", "--hardware", "--config", config.configPath])
        #expect(present.status == 0, "\(present)")
        #expect(present.stdout.contains("ok      lanes.main.scanner: present: \(link)"), "\(present)")

        // A chip this machine does not have: named, with the key, exit 2.
        config.relay = #"{ chip = "gpiochip9", line = 17 }"#
        try config.write()
        let noChip = try await GateBinary.run(["config", "check", "--hardware", "--config", config.configPath])
        #expect(noChip.status == 2, "\(noChip)")
        #expect(noChip.stdout.contains("PROBLEM lanes.main.relay:") && noChip.stdout.contains("gpiochip9"), "\(noChip)")
    }

    /// `status --json`, asked again until `predicate` holds (each ask is a real control-socket
    /// round trip; nothing sleeps).
    func waitForStatus(_ gate: RunningGate, _ what: String, timeout: Duration = .seconds(20),
                               _ predicate: @escaping @Sendable (GateStatus) -> Bool) async throws -> GateStatus {
        try await withDeadline(timeout, what) {
            while true {
                let run = try await gate.cli(["status", "--json"])
                if run.status == 0, let status = try? JSONDecoder().decode(GateStatus.self, from: Data(run.stdout.utf8)),
                   predicate(status) { return status }
                try Task.checkCancellation()
            }
        }
    }

    @Test(.enabled(if: geteuid() == 0, "mounting a tmpfs needs root"))
    func aFullDiskPutsTheLaneOutOfOrderWithoutARedeemAndItRecoversByItself() async throws {
        let simulator = try await SimulatorServer.start()
        defer { Task { await simulator.stop() } }
        var config = try GateTestConfig(baseURL: simulator.baseURL)
        defer { config.remove() }
        let disk = try SmallDisk(at: config.directory + "/disk", size: "2m")
        defer { disk.unmount() }
        let main = try TestPTY.open(), side = try TestPTY.open()
        try #require(symlink(main.slavePath, config.directory + "/main-scanner") == 0)
        try #require(symlink(side.slavePath, config.directory + "/side-scanner") == 0)
        config.scanner = #"{ kind = "serial", path = "\#(config.directory)/main-scanner", terminator = "cr" }"#
        config.passageTimeoutMs = 500
        let database = disk.path + "/gate.db"
        let text = config.text.replacingOccurrences(of: "database = \"\(config.databasePath)\"", with: "database = \"\(database)\"") + """
            [lanes.side]
            outlet = "demo"
            price = "25.00"
            debounce_ms = 0
            passage_timeout_ms = 500
            scanner = { kind = "serial", path = "\(config.directory)/side-scanner", terminator = "cr" }
            relay = { chip = "sim", line = 2, pulse_ms = 200 }
            sensor = { chip = "sim", line = 3, edge = "falling", bias = "pull-up", debounce_ms = 0 }

            """
        try config.write(text)

        let gate = try await RunningGate.start(config: config.configPath, directory: config.directory)
        defer { gate.kill() }
        let events = try EventFollower(config: config.configPath)
        defer { events.stop() }
        try await events.waitFor("scanner_attached", count: 2)

        // The disk fills up: the next scan is refused before any redeem (its intent, the first
        // durable write of a paying scan, cannot be written).
        try disk.fill()
        try main.send(Self.scanned + "\r")
        let broken = try await waitForStatus(gate, "lane main out of order") { status in
            status.lanes.first { $0.name == "main" }?.state.contains("out of order") == true
        }
        #expect(broken.lanes.first { $0.name == "main" }?.state.contains("journal cannot be written") == true)
        #expect(await simulator.ledger().filter { $0.endpoint == .redeem }.isEmpty, "a redeem without its durable intent")
        #expect(gate.child.stderr.contains("lane main: cannot record the redeem intent of admission #1 in the journal"), "\(gate.child.stderr)")

        // The other lane and the daemon keep going: staff can still open it by hand.
        let open = try await gate.cli(["open", "side"])
        #expect(open.status == 0, "\(open)")
        #expect(gate.child.isRunning)

        // Space comes back: both lanes resume by themselves, no restart.
        try disk.free()
        _ = try await waitForStatus(gate, "both lanes back in service") { status in
            status.lanes.allSatisfy { !$0.state.contains("out of order") }
        }
        try main.send(Self.scanned + "\r")
        try await events.waitFor("opened") { $0.lane == "main" }
        try side.send(Self.scanned + "\r")
        try await events.waitFor("opened") { $0.lane == "side" }
        try await events.waitFor("cancelled", count: 2)

        let exit = try await gate.stop()
        #expect(exit == ChildProcess.Exit(status: 0, signalled: false), "\(exit)\n\(gate.child.stderr)")

        // Every redeem e-guma saw has its intent row in the journal.
        let redeems = await simulator.ledger().filter { $0.endpoint == .redeem }
        #expect(redeems.count == 2)
        let journal = try await GateDatabase.open(path: database)
        defer { try? journal.close() }
        for redeem in redeems {
            let reference = try #require(redeem.referenceNumber)
            #expect(try await journal.redemption(reference: reference) != nil, "redeem \(reference) without an intent row")
        }
    }
}

extension DaemonRobustnessTests {
    @Test(.enabled(if: geteuid() == 0, "mounting a tmpfs needs root"))
    func aStartOnAFullDiskSaysSoStaysUpOutOfOrderAndResumesWhenSpaceReturns() async throws {
        let simulator = try await SimulatorServer.start()
        defer { Task { await simulator.stop() } }
        var config = try GateTestConfig(baseURL: simulator.baseURL)
        defer { config.remove() }
        let disk = try SmallDisk(at: config.directory + "/disk", size: "2m")
        defer { disk.unmount() }
        config.scanner = #"{ kind = "stdin" }"#
        let database = disk.path + "/gate.db"
        try config.write(config.text.replacingOccurrences(of: "database = \"\(config.databasePath)\"", with: "database = \"\(database)\""))

        // A first run creates the journal; then the disk fills up while the gate is stopped.
        let first = try await RunningGate.start(config: config.configPath, directory: config.directory)
        #expect(try await first.stop() == ChildProcess.Exit(status: 0, signalled: false))
        try disk.fill()

        let gate = try await RunningGate.start(config: config.configPath, directory: config.directory)
        defer { gate.kill() }
        #expect(gate.notify.messages.values.contains { $0.text.contains("OUT OF ORDER") && $0.text.contains("journal cannot be written") },
                "READY status: \(gate.notify.messages.values.map(\.text))")
        #expect(gate.child.stderr.contains("the journal \(database) cannot be written"), "\(gate.child.stderr)")
        let status = try await gate.cli(["status", "--json"])
        let lane = try JSONDecoder().decode(GateStatus.self, from: Data(status.stdout.utf8)).lanes.first
        #expect(lane?.state.contains("out of order") == true, "\(status)")

        try disk.free()
        _ = try await waitForStatus(gate, "the lane back in service") { $0.lanes.allSatisfy { !$0.state.contains("out of order") } }
        #expect(try await gate.stop() == ChildProcess.Exit(status: 0, signalled: false))
    }
}
