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
/// sensor lines (with a test pulse). Safe to run again: every answer defaults to what the file
/// says, and the file is edited key by key (comments stay), validated, then written atomically.
struct SetupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup", abstract: "Interactive commissioning: key, price, scanner, relay and sensor.")

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
        func quoted(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }

        // Gate and e-guma.
        let gateName = io.ask("Gate name (shown in e-guma's back office)", default: existing?.gate.name ?? "gate-1") { $0.contains("/") ? "must not contain /" : nil }
        try set("gate.name", quoted(gateName))
        let baseURL = io.ask("e-guma address", default: existing?.api.baseURL ?? EgumaClientConfiguration.productionBaseURL) {
            EgumaClientConfiguration.problem(withBaseURL: $0)
        }
        try set("api.base_url", quoted(baseURL))
        var api = existing?.api ?? EgumaClientConfiguration()
        api.baseURL = baseURL

        // Outlet and its key, verified before it is written.
        let outlet = io.ask("Outlet name", default: existing?.outlets.keys.sorted().first ?? "main") { name in
            name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" } && !name.isEmpty ? nil : "letters, digits, - and _ only"
        }
        let keyDir = keysDir ?? ((config as NSString).deletingLastPathComponent + "/keys")
        let keyPath = keyDir + "/\(outlet).key"
        let haveKey = FileManager.default.fileExists(atPath: keyPath)
        if !haveKey || io.confirm("Replace the API key of outlet \(outlet)?", default: false) {
            let key = try await askKey(io: io, api: api)
            try writeKey(key, to: keyPath)
            io.say("  key stored in \(keyPath) (mode 0640, never printed)")
        }
        try set("outlets.\(outlet).api_key_file", quoted(keyPath))

        // Lane.
        let lane = io.ask("Lane name", default: existing?.laneNames.first ?? "main") { $0.isEmpty || $0.contains("/") || $0.contains(".") ? "a short name without / or ." : nil }
        let old = existing?.lane(lane)
        try set("lanes.\(lane).outlet", quoted(outlet))
        let price = io.ask("Entry price (CHF)", default: old?.settings.price.decimalString ?? "25.00") { Money(decimal: $0) == nil ? "write it like 25.00" : nil }
        try set("lanes.\(lane).price", quoted(price))
        try set("lanes.\(lane).scanner", try await askScanner(io: io, current: old?.scanner))

        // Relay and sensor, with a test pulse.
        let chip = io.ask("GPIO chip of the relay (\"sim\" for none)", default: old?.relay?.chip ?? "gpiochip0") { $0.isEmpty ? "required" : nil }
        let relayLine = io.ask("Relay line (offset or name)", default: old?.relay.map(lineText) ?? "17") { GPIOLineID(parsing: $0) == nil ? "an offset like 17 or a name like GPIO17" : nil }
        let activeLow = io.confirm("Is the relay energised by a LOW level (active-low board)?", default: old?.relay?.activeLow ?? false)
        let pulseMs = io.ask("Pulse length (ms)", default: old.map { String($0.settings.pulse.components.seconds * 1000 + $0.settings.pulse.components.attoseconds / 1_000_000_000_000_000) } ?? "800") { Int($0).map { (50...30_000).contains($0) } == true ? nil : "50…30000" }
        try set("lanes.\(lane).relay", "{ chip = \(quoted(chip)), line = \(lineLiteral(relayLine)), active_low = \(activeLow), pulse_ms = \(pulseMs) }")
        let sensorLine = io.ask("Passage sensor line (empty: no sensor)", default: old?.sensor.map(lineText) ?? "") { $0.isEmpty || GPIOLineID(parsing: $0) != nil ? nil : "an offset, a name, or empty" }
        if !sensorLine.isEmpty {
            try set("lanes.\(lane).sensor", "{ chip = \(quoted(chip)), line = \(lineLiteral(sensorLine)), edge = \"falling\", bias = \"pull-up\", debounce_ms = 20 }")
        }
        if chip != "sim", io.confirm("Pulse the relay now to test it?", default: true) {
            await testPulse(io: io, config: GPIOLineConfig(chip: chip, line: GPIOLineID(parsing: relayLine)!, activeLow: activeLow),
                            pulse: .milliseconds(Int(pulseMs) ?? 800))
        }

        // Validate the whole file, then write it atomically.
        do {
            let checked = try GateConfig.parse(text: text, file: config)
            _ = try checked.outlets[outlet]?.loadKey(configFile: config)
        } catch let error as ConfigErrors {
            throw CLIError.usage("not written — the result would be invalid:\n" + error.description)
        } catch let error as ConfigError {
            throw CLIError.usage("not written: \(error)")
        }
        do {
            try FileManager.default.createDirectory(atPath: (config as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try ConfigEditor.writeAtomically(text, to: config)
        } catch let error as ConfigError {
            throw CLIError.runtime(error.description)
        }
        io.say("\nWritten \(config). Check it with: eguma-gate config check --config \(config)")
        io.say("Start the gate: systemctl enable --now eguma-gate (or reload a running one: systemctl reload eguma-gate)")
    }

    private func lineText(_ config: GPIOLineConfig) -> String {
        switch config.line {
        case .offset(let n): String(n)
        case .name(let s): s
        }
    }

    private func lineLiteral(_ text: String) -> String {
        Int(text) != nil ? text : "\"\(text)\""
    }

    /// Asks until e-guma accepts the key: a Balance call for a code that does not exist answers
    /// 200 (not found) or 400 with a valid key, 401 without one.
    private func askKey(io: SetupIO, api: EgumaClientConfiguration) async throws -> APIKey {
        let client: EgumaClient
        var quiet = Logger(label: "eguma-gate.setup")
        quiet.logLevel = .critical  // the wizard says what happened itself
        do { client = try EgumaClient(configuration: api, logger: quiet) } catch { throw CLIError.usage("\(error)") }
        defer { Task { try? await client.shutdown() } }
        for _ in 0..<5 {
            let key = APIKey(io.secret("e-guma API key of this outlet (input hidden)"))
            if key.isEmpty { io.say("  the key is required"); continue }
            do {
                _ = try await client.balance(code: "SETUPCHECK00", key: key)
                io.say("  key accepted by e-guma")
                return key
            } catch {
                switch error.kind {
                case .badRequest, .httpStatus(404, _):
                    io.say("  key accepted by e-guma")
                    return key
                case .unauthorized:
                    io.say("  e-guma refused this key (HTTP 401) — copy it again from e-guma's back office")
                case .notSent, .uncertain, .httpStatus, .undecodable:
                    io.say("  cannot check the key now: \(error)")
                    if io.confirm("Store it unchecked?", default: false) { return key }
                }
            }
        }
        throw CLIError.usage("no valid API key after 5 tries")
    }

    private func writeKey(_ key: APIKey, to path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        } catch {
            throw CLIError.runtime("cannot create \(dir): \(error.localizedDescription) — run setup as root")
        }
        // A new key file is root:eguma-gate 0640 (the documented layout); a replaced one keeps
        // whatever owner, group and mode the site gave it.
        do {
            try AtomicFile.write(key.secretForStorage + "\n", to: path, mode: 0o640, group: getgrnam("eguma-gate")?.pointee.gr_gid)
        } catch {
            throw CLIError.runtime(error.description)
        }
    }

    private func askScanner(io: SetupIO, current: LaneScannerConfig?) async throws -> String {
        let devices = ((try? UdevWatcher.enumerate()) ?? []).filter {
            $0.kind != nil && ($0.properties["ID_BUS"] != nil || $0.properties["ID_VENDOR_ID"] != nil)
        }.sorted { $0.devnode < $1.devnode }
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
            if answer == "keep", let current { return Self.literal(current) }
            if answer == "k" { return "{ kind = \"stdin\" }" }
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
        let p = device.properties
        var match: [String: String] = [:]
        if let serial = p["ID_SERIAL"] { match["ID_SERIAL"] = serial } else {
            if let v = p["ID_VENDOR_ID"] { match["ID_VENDOR_ID"] = v }
            if let m = p["ID_MODEL_ID"] { match["ID_MODEL_ID"] = m }
        }
        var config = LaneScannerConfig(kind: kind, match: match, path: match.isEmpty ? device.devnode : nil)
        if kind == .serial { config.terminator = .cr }
        if kind == .hid { config.layout = LaneScannerConfig.Layout(rawValue: io.ask("Keyboard layout the scanner is set to (us, de, ch)", default: "ch") { LaneScannerConfig.Layout(rawValue: $0) == nil ? "us, de or ch" : nil }) ?? .us }
        return Self.literal(config)
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

    static func literal(_ c: LaneScannerConfig) -> String {
        var parts = ["kind = \"\(c.kind.rawValue)\""]
        if let path = c.path { parts.append("path = \"\(path)\"") }
        if !c.match.isEmpty {
            parts.append("match = { " + c.match.sorted { $0.key < $1.key }.map { "\($0.key) = \"\($0.value)\"" }.joined(separator: ", ") + " }")
        }
        if c.kind == .serial { parts.append("baud = \(c.baud)"); parts.append("terminator = \"\(c.terminator.rawValue)\"") }
        if c.kind == .hid { parts.append("layout = \"\(c.layout.rawValue)\"") }
        return "{ " + parts.joined(separator: ", ") + " }"
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
