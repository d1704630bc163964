import ArgumentParser
import EgumaAPI
import Foundation
import GateCore
import GateDaemon
import GateHardware
import Logging

/// `eguma-gate setup`: interactive commissioning. Asks for the gate name, e-guma address, the
/// outlet's API key (hidden, verified against e-guma before it is stored), a lane's price, its
/// scanner (picked from what udev sees, by scanning any voucher now, or stdin) and its relay and
/// sensor lines (with a test pulse), the counter's keypad and receipts, and — for a venue with
/// several doors — the fleet (`SetupCommand+Fleet`). Safe to run again: every answer defaults to what the file
/// says, and the file is edited key by key (comments stay), validated, then written atomically.
struct SetupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup", abstract: "Interactive commissioning: key, price, scanner, relay and sensor, keypad and receipts, fleet.")

    @Option(help: "Configuration file to create or update.") var config: String = GateConfig.defaultPath
    @Option(help: "Directory for outlet key files.") var keysDir: String?

    func run() async throws {
        var text = (try? String(contentsOfFile: config, encoding: .utf8)) ?? ""
        let existing = try? GateConfig.parse(text: text, file: config)
        let io = SetupIO()
        io.say("eguma-gate setup — \(existing == nil ? "creating" : "updating") \(config). Enter keeps the [default].\n")

        func set(_ key: String, _ value: String) throws {
            do { text = try ConfigEditor.set(key: key, value: value, in: text, file: config) } catch {
                throw CLIError.usage(error.description)
            }
        }

        // Gate and e-guma.
        let gateName = io.ask("Gate name (shown in e-guma's back office)", default: existing?.gate.name ?? "gate-1", check: SetupAnswers.gateNameProblem)
        try set("gate.name", SetupAnswers.string(gateName))
        let baseURL = io.ask("e-guma address", default: existing?.api.baseURL ?? EgumaClientConfiguration.productionBaseURL) {
            EgumaClientConfiguration.problem(withBaseURL: $0)
        }
        try set("api.base_url", SetupAnswers.string(baseURL))
        var api = existing?.api ?? EgumaClientConfiguration()
        api.baseURL = baseURL

        // Outlet and its key, verified before it is written.
        let outlet = io.ask("Outlet name", default: existing?.outlets.keys.sorted().first ?? "main", check: SetupAnswers.outletNameProblem)
        let keyDir = keysDir ?? ((config as NSString).deletingLastPathComponent + "/keys")
        let keyPath = keyDir + "/\(outlet).key"
        let haveKey = FileManager.default.fileExists(atPath: keyPath)
        // The account's currency: what e-guma's answer to the key check named, else what the
        // configuration says (default CHF) — never assumed.
        var currency = existing?.outlets[outlet]?.currency ?? OutletCurrencies.defaultCurrency
        if !haveKey || io.confirm("Replace the API key of outlet \(outlet)?", default: false) {
            let (key, answered) = try await askKey(io: io, api: api)
            try writeKey(key, to: keyPath)
            io.say("  key stored in \(keyPath) (mode 0640, never printed)")
            if let answered, OutletCurrencies.isCurrencyCode(answered) {
                if answered != currency { io.say("  the e-guma account's currency is \(answered)") }
                currency = answered
                try set("outlets.\(outlet).currency", SetupAnswers.string(currency))
            }
        }
        try set("outlets.\(outlet).api_key_file", SetupAnswers.string(keyPath))

        // Lane.
        let lane = io.ask("Lane name", default: existing?.laneNames.first ?? "main", check: SetupAnswers.laneNameProblem)
        let old = existing?.lane(lane)
        try set("lanes.\(lane).outlet", SetupAnswers.string(outlet))
        let price = io.ask("Entry price (\(currency))", default: old?.settings.price.decimalString ?? "25.00", check: SetupAnswers.priceProblem)
        try set("lanes.\(lane).price", SetupAnswers.string(price))
        try set("lanes.\(lane).scanner", try await askScanner(io: io, current: old?.scanner))

        // Relay and sensor, with a test pulse.
        let chip = io.ask("GPIO chip of the relay (\"sim\" for none)", default: old?.relay?.chip ?? "gpiochip0", check: SetupAnswers.chipProblem)
        let relayLine = io.ask("Relay line (offset or name)", default: old?.relay.map(SetupAnswers.lineText) ?? "17", check: SetupAnswers.relayLineProblem)
        let activeLow = io.confirm("Is the relay energised by a LOW level (active-low board)?", default: old?.relay?.activeLow ?? false)
        let pulseMs = io.ask("Pulse length (ms)", default: old.map { SetupAnswers.milliseconds($0.settings.pulse) } ?? "800", check: SetupAnswers.pulseProblem)
        try set("lanes.\(lane).relay", SetupAnswers.relay(chip: chip, line: relayLine, activeLow: activeLow, pulseMs: pulseMs))
        let sensorLine = io.ask("Passage sensor line (empty: no sensor)", default: old?.sensor.map(SetupAnswers.lineText) ?? "", check: SetupAnswers.sensorLineProblem)
        if !sensorLine.isEmpty {
            try set("lanes.\(lane).sensor", SetupAnswers.sensor(chip: chip, line: sensorLine))
        }
        if chip != "sim", io.confirm("Pulse the relay now to test it?", default: true) {
            await testPulse(io: io, config: GPIOLineConfig(chip: chip, line: GPIOLineID(parsing: relayLine)!, activeLow: activeLow),
                            pulse: .milliseconds(Int(pulseMs) ?? 800))
        }

        try askCounter(io: io, lane: lane, existing: existing, set: set)
        try askFleet(io: io, outlets: Array(Set((existing?.outlets.keys.map { $0 } ?? []) + [outlet])).sorted(), keyDir: keyDir,
                     existing: existing, set: set)

        // Validate the whole file, then write it atomically.
        do { try SetupAnswers.check(text, file: config, outlet: outlet) } catch { throw CLIError.usage(error.description) }
        do {
            try FileManager.default.createDirectory(atPath: (config as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try ConfigEditor.writeAtomically(text, to: config)
        } catch let error as ConfigError {
            throw CLIError.runtime(error.description)
        }
        io.say("\nWritten \(config). Check it with: eguma-gate config check --config \(config)")
        io.say("Start the gate: systemctl enable --now eguma-gate (or reload a running one: systemctl reload eguma-gate)")
    }

    /// Asks until e-guma accepts the key: a Balance call for a code that does not exist answers
    /// 200 (not found) or 400 with a valid key, 401 without one.
    /// Returns the key and the currency e-guma's answer named (nil when it was not checked).
    private func askKey(io: SetupIO, api: EgumaClientConfiguration) async throws -> (APIKey, String?) {
        let client: EgumaClient
        var quiet = Logger(label: "eguma-gate.setup")
        quiet.logLevel = .critical  // the wizard says what happened itself
        do { client = try EgumaClient(configuration: api, logger: quiet) } catch { throw CLIError.usage("\(error)") }
        let asked: Result<(APIKey, String?), any Error>
        do { asked = .success(try await askKey(io: io, client: client)) } catch { asked = .failure(error) }
        try? await client.shutdown()  // awaited: the client's threads end before the wizard goes on
        return try asked.get()
    }

    private func askKey(io: SetupIO, client: EgumaClient) async throws -> (APIKey, String?) {
        for _ in 0..<5 {
            let key = APIKey(io.secret("e-guma API key of this outlet (input hidden)"))
            if key.isEmpty { io.say("  the key is required"); continue }
            var failure: EgumaError?
            var currency: String?
            do { currency = try await client.balance(code: SetupAnswers.keyCheckCode, key: key).currency } catch { failure = error }
            switch SetupAnswers.keyVerdict(failure) {
            case .accepted:
                io.say("  key accepted by e-guma")
                return (key, currency)
            case .refused:
                io.say("  e-guma refused this key (HTTP 401) — copy it again from e-guma's back office")
            case .unchecked(let why):
                io.say("  cannot check the key now: \(why)")
                if io.confirm("Store it unchecked?", default: false) { return (key, nil) }
            }
        }
        throw CLIError.usage("no valid API key after 5 tries")
    }

    private func writeKey(_ key: APIKey, to path: String) throws {
        try writeSecret(key.secretForStorage, to: path)
    }

    /// A secret file (an outlet's key, the fleet's password and code key): its directory made
    /// 0750 when missing, the file written atomically. A new file is root:eguma-gate 0640 (the
    /// documented layout); a replaced one keeps whatever owner, group and mode the site gave it.
    func writeSecret(_ secret: String, to path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        } catch {
            throw CLIError.runtime("cannot create \(dir): \(error.localizedDescription) — run setup as root")
        }
        do {
            try AtomicFile.write(secret + "\n", to: path, mode: 0o640, group: getgrnam("eguma-gate")?.pointee.gr_gid)
        } catch {
            throw CLIError.runtime(error.description)
        }
    }

    private func askScanner(io: SetupIO, current: LaneScannerConfig?) async throws -> String {
        let devices = SetupAnswers.scannerCandidates((try? UdevWatcher.enumerate()) ?? [])
        io.say("\nScanners udev sees now:")
        for (i, d) in devices.enumerated() {
            io.say("  \(i + 1)) \(d.devnode)  \(d.kind!.rawValue)  \(d.properties["ID_VENDOR"] ?? d.properties["ID_VENDOR_ID"] ?? "?") \(d.properties["ID_MODEL"] ?? d.properties["ID_MODEL_ID"] ?? "")  serial \(d.properties["ID_SERIAL_SHORT"] ?? "-")")
        }
        if devices.isEmpty { io.say("  (none — plug the scanner in, or use k for the keyboard/stdin)") }
        io.say("  s) scan any voucher now and take the scanner that reads it")
        io.say("  k) keyboard / standard input (demo, tests)")
        // Only an explicit "k" writes a stdin scanner: under systemd stdin is empty, so a
        // fallback to it would be a scanner that can never read anything.
        var chosen: ScannerDevice?
        while chosen == nil {
            let fallback = current != nil ? "keep" : devices.isEmpty ? "" : "1"
            guard let answer = io.answer("Scanner", default: fallback) else {
                throw CLIError.usage("no scanner chosen and no more input — nothing written. Plug the scanner in and run "
                                     + "eguma-gate setup again (answer s and scan a voucher, or pick it by number)")
            }
            if answer == "keep", let current { return SetupAnswers.scanner(current) }
            if answer == "k" { return SetupAnswers.stdinScanner }
            if answer == "s" {
                guard !devices.isEmpty else {
                    io.say("  no scanner is connected — plug it in (USB), then run setup again; or pick k for the keyboard")
                    continue
                }
                io.say("  scan a voucher now (30 s) …")
                chosen = await Self.firstReading(devices, timeout: .seconds(30))
                if let chosen { io.say("  read by \(chosen.devnode)") } else {
                    io.say("  nothing was read in 30 s — check the scanner's cable and its interface mode, then choose again")
                }
            } else if let n = Int(answer), devices.indices.contains(n - 1) {
                chosen = devices[n - 1]
            } else {
                io.say("  answer a number from the list, s or k")
            }
        }
        guard let device = chosen, let kind = device.kind else {
            throw CLIError.usage("\(chosen?.devnode ?? "the device") is not a scanner eguma-gate can read — nothing written")
        }
        var layout = LaneScannerConfig.Layout.ch
        if kind == .hid {
            layout = LaneScannerConfig.Layout(rawValue: io.ask("Keyboard layout the scanner is set to (us, de, ch)", default: "ch") {
                LaneScannerConfig.Layout(rawValue: $0) == nil ? "us, de or ch" : nil
            }) ?? .ch
        }
        guard let entry = SetupAnswers.scannerConfig(for: device, layout: layout) else {
            throw CLIError.usage("\(device.devnode) is not a scanner eguma-gate can read — nothing written")
        }
        return SetupAnswers.scanner(entry)
    }

    /// Opens every candidate and returns the first that delivers a frame.
    static func firstReading(_ devices: [ScannerDevice], timeout: Duration) async -> ScannerDevice? {
        let (stream, continuation) = AsyncStream<ScannerDevice>.makeStream()
        var readers: [ScannerReader] = []
        for device in devices {
            guard let kind = device.kind else { continue }
            let config = LaneScannerConfig(kind: kind, terminator: .cr)
            if let reader = try? ScannerReader.open(device.devnode, config: config, sink: { event in
                if case .frame(let bytes) = event, !bytes.isEmpty { continuation.yield(device) }
            }) { readers.append(reader) }
        }
        let timer = Task { try? await Task.sleep(for: timeout); continuation.finish() }
        var found: ScannerDevice?
        for await device in stream { found = device; break }
        timer.cancel()
        for reader in readers { await reader.stop() }
        return found
    }

    private func testPulse(io: SetupIO, config: GPIOLineConfig, pulse: Duration) async {
        do {
            let relay = try GPIORelay(config: config, pulse: pulse, opener: GPIOChipOpener())
            try await relay.pulse(for: pulse)
            await relay.stop()
            io.say("  relay pulsed — did the turnstile release? (if not: check wiring and active_low, docs/gpio.md)")
        } catch {
            io.say("  test pulse failed: \(error) — the configuration is still written; fix the wiring and run eguma-gate gpio test LANE")
        }
    }
}

/// Line-based prompts on stdin/stdout; hidden input turns terminal echo off.
final class SetupIO: Sendable {
    func say(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }

    func ask(_ question: String, default value: String, check: (String) -> String?) -> String {
        while true {
            FileHandle.standardOutput.write(Data("\(question)\(value.isEmpty ? "" : " [\(value)]"): ".utf8))
            guard let line = readLine() else { return value }  // end of input: take the default
            let answer = line.trimmingCharacters(in: .whitespaces).isEmpty ? value : line.trimmingCharacters(in: .whitespaces)
            if let problem = check(answer) { say("  \(problem)"); continue }
            return answer
        }
    }

    /// Like `ask`, but nil at end of input instead of the default: for questions whose default
    /// must not be taken silently.
    func answer(_ question: String, default value: String) -> String? {
        FileHandle.standardOutput.write(Data("\(question)\(value.isEmpty ? "" : " [\(value)]"): ".utf8))
        guard let line = readLine() else { say(""); return nil }
        let answer = line.trimmingCharacters(in: .whitespaces)
        return answer.isEmpty ? (value.isEmpty ? "" : value) : answer
    }

    func confirm(_ question: String, default value: Bool) -> Bool {
        let answer = ask(question + " (y/n)", default: value ? "y" : "n") { ["y", "n", "yes", "no"].contains($0.lowercased()) ? nil : "y or n" }
        return answer.lowercased().hasPrefix("y")
    }

    func secret(_ question: String) -> String {
        FileHandle.standardOutput.write(Data("\(question): ".utf8))
        var saved = termios()
        let isTTY = isatty(STDIN_FILENO) == 1 && tcgetattr(STDIN_FILENO, &saved) == 0
        if isTTY {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSANOW, &quiet)
        }
        let line = readLine() ?? ""
        if isTTY { tcsetattr(STDIN_FILENO, TCSANOW, &saved); say("") }
        return line.trimmingCharacters(in: .whitespaces)
    }
}
