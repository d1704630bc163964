import EgumaSimulator
import Foundation
import GateDaemon
import TestSupport
import Testing

/// `eguma-gate setup` driven through its prompts, with the key checked against the simulator.
/// One at a time: two setups started together against two simulators of this process saw their
/// first key check time out.
@Suite(.serialized) struct SetupCommandTests {
    static let binary = GateBinary.path

    /// Runs the binary with `input` on stdin; returns (status, stdout+stderr).
    private func run(_ arguments: [String], input: String) async throws -> (Int32, String) {
        let binary = Self.binary
        return try await withDeadline(.seconds(60), "eguma-gate \(arguments.first ?? "")") { try await offPool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
            // Not inside another test's umockdev testbed: the suite runs under umockdev-wrapper and
            // a testbed of a concurrent test (its PTY-backed ttyACM0) must not be offered or read.
            var environment = ProcessInfo.processInfo.environment
            environment["UMOCKDEV_DIR"] = nil
            process.environment = environment
            let stdin = Pipe(), out = Pipe()
            process.standardInput = stdin
            process.standardOutput = out
            process.standardError = out
            try process.run()
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try stdin.fileHandleForWriting.close()
            let output = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: output, as: UTF8.self))
        } }
    }

    /// A simulator and a scratch directory with the config path for one setup test; both gone
    /// afterwards, the simulator's stop awaited.
    private func withScratch(_ body: (SimulatorServer, String, String) async throws -> Void) async throws {
        let simulator = try await SimulatorServer.start()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("setup-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            try await body(simulator, dir, dir + "/eguma-gate.toml")
        } catch {
            await simulator.stop()
            throw error
        }
        await simulator.stop()
    }

    @Test func setupVerifiesTheKeyWritesAValidConfigAndIsSafeToRunAgain() async throws {
        try await withScratch { simulator, dir, config in
            let goodKey = SimulatedOutlet.demo.key
            let answers = [
                "spa-north", simulator.baseURL, "spa",
                "WRONG-KEY-123", goodKey,          // refused, then accepted
                "main", "25.00", "k",              // lane, price, keyboard scanner
                "sim", "0", "n", "800", "1",       // relay chip/line/active-low/pulse, sensor line
            ].joined(separator: "\n") + "\n"

            let (status, output) = try await run(["setup", "--config", config], input: answers)
            #expect(status == 0, "\(output)")
            #expect(output.contains("e-guma refused this key (HTTP 401)"))
            #expect(output.contains("key accepted by e-guma"))
            #expect(!output.contains(goodKey) && !output.contains("WRONG-KEY-123"))

            let parsed = try GateConfig.load(path: config)
            #expect(parsed.gate.name == "spa-north")
            let lane = try #require(parsed.lane("main"))
            #expect(lane.settings.price.cents == 2500 && lane.settings.outlet == "spa")
            #expect(lane.relay?.chip == "sim" && lane.sensor != nil)
            let keyPath = dir + "/keys/spa.key"
            #expect(try String(contentsOfFile: keyPath, encoding: .utf8) == goodKey + "\n")
            #expect(try FileManager.default.attributesOfItem(atPath: keyPath)[.posixPermissions] as? Int == 0o640)
            #expect(!(try String(contentsOfFile: config, encoding: .utf8)).contains(goodKey))

            // Again, taking every default: the file keeps its values and still validates.
            let before = try String(contentsOfFile: config, encoding: .utf8)
            let (again, output2) = try await run(["setup", "--config", config], input: String(repeating: "\n", count: 20))
            #expect(again == 0, "\(output2)")
            #expect(try String(contentsOfFile: config, encoding: .utf8) == before)

            // Once more, turning the keypad and receipts on (relay, sensor: the defaults).
            let counter = Array(repeating: "", count: 12) + ["y", "ask", "/dev/ttyUSB2"]
            let (third, output3) = try await run(["setup", "--config", config], input: counter.joined(separator: "\n") + "\n")
            #expect(third == 0, "\(output3)")
            let input = try #require(try GateConfig.load(path: config).lane("main")).guestInput
            #expect(input.keypad && input.receipt == .ask)
            #expect(input.printer?.kind == .serial && input.printer?.path == "/dev/ttyUSB2" && input.printer?.baud == 9600)
            #expect(try GateConfig.load(path: config).gate.display == "127.0.0.1:8080")
        }
    }

    /// Issue 22: setup knows `[fleet]` — a URL with a password is refused with the reason
    /// `config check` gives, the site's code key is created (32 random bytes, 0640) on the first
    /// gate, the PostgreSQL password goes into its own file and nowhere else, and the outlet gets
    /// the `user_id` a fleet requires.
    @Test func setupWritesAFleetSectionWithItsSecretsInFiles() async throws {
        try await withScratch { simulator, dir, config in
            let password = "pg-Secret-4711"
            let answers = [
                "spa-north", simulator.baseURL, "spa", SimulatedOutlet.demo.key,
                "main", "25.00", "k", "sim", "0", "n", "800", "",   // lane, no sensor
                "n", "off",                                          // no keypad, no receipts
                "y",                                                 // a fleet
                "postgres://eguma:\(password)@db.example:5432/eguma", // refused: a password in the URL
                "postgres://eguma@db.example:5432/eguma?sslmode=verify-full",
                "spa-baden", "door-1", "", "",                       // site, gate id, code key (default path), create it
                "", password,                                        // password file (default path), the password
                "4711",                                              // the outlet's e-guma user id
            ].joined(separator: "\n") + "\n"

            let (status, output) = try await run(["setup", "--config", config], input: answers)
            #expect(status == 0, "\(output)")
            #expect(output.contains("holds a password"), "\(output)")
            #expect(!output.contains(password))
            let parsed = try GateConfig.load(path: config)
            let fleet = try #require(parsed.fleet)
            #expect(fleet.site == "spa-baden" && fleet.gateID == "door-1" && fleet.host == "db.example" && fleet.sslMode == .verifyFull)
            #expect(parsed.outlets["spa"]?.userID?.text == "4711")
            let text = try String(contentsOfFile: config, encoding: .utf8)
            #expect(!text.contains(password))
            let codeKey = try #require(fleet.codeKeyFile)
            #expect(codeKey == dir + "/keys/fleet-code.key")
            #expect(try Data(base64Encoded: String(contentsOfFile: codeKey, encoding: .utf8).trimmingCharacters(in: .newlines))?.count == 32)
            #expect(try FileManager.default.attributesOfItem(atPath: codeKey)[.posixPermissions] as? Int == 0o640)
            let passwordFile = try #require(fleet.passwordFile)
            #expect(try String(contentsOfFile: passwordFile, encoding: .utf8) == password + "\n")
            #expect(try FileManager.default.attributesOfItem(atPath: passwordFile)[.posixPermissions] as? Int == 0o640)

            // Again with every default: the fleet, its files and the user id stay as they are.
            let keyBefore = try String(contentsOfFile: codeKey, encoding: .utf8)
            let (again, output2) = try await run(["setup", "--config", config], input: String(repeating: "\n", count: 30))
            #expect(again == 0, "\(output2)")
            #expect(try String(contentsOfFile: config, encoding: .utf8) == text)
            #expect(try String(contentsOfFile: codeKey, encoding: .utf8) == keyBefore)
        }
    }

    @Test func scanNowThatReadsNothingAtEndOfInputWritesNoStdinScannerAndExits2() async throws {
        try await withScratch { simulator, dir, config in
            // "s" (scan a voucher now), then stdin ends — as under systemd, or a technician's Ctrl-D.
            let answers = ["spa-north", simulator.baseURL, "spa", SimulatedOutlet.demo.key, "main", "25.00", "s"]
                .joined(separator: "\n") + "\n"

            let (status, output) = try await run(["setup", "--config", config], input: answers)
            #expect(status == 2, "\(output)")
            #expect(output.contains("no scanner chosen and no more input — nothing written"), "\(output)")
            #expect(!FileManager.default.fileExists(atPath: config), "a config was written")
        }
    }
}
