import GateCore

/// One `[lanes.NAME]` table (SPEC §5), validated: the admission settings the engine runs with,
/// and the hardware the lane uses.
public struct LaneConfig: Sendable {
    /// `gate`: scanner + relay, redeems. `balance`: scanner + display, never redeems.
    public enum Mode: String, Sendable, CaseIterable { case gate, balance }

    public var name: String
    public var mode: Mode
    public var settings: LaneSettings
    public var scanner: LaneScannerConfig
    /// Required for `mode = "gate"`.
    public var relay: GPIOLineConfig?
    public var sensor: GPIOLineConfig?
    public var green: GPIOLineConfig?
    public var red: GPIOLineConfig?
    public var buzzer: GPIOLineConfig?
    /// Guest texts: de, fr, it or en (e-guma's own messages are never translated).
    public var language: String
    /// `display = { kind = "serial", … }`: a pole display; nil when the lane has none.
    public var display: LaneDisplayConfig?
    /// `screen_hold_ms`: how long a denied, cancelled, offline or balance screen stays before
    /// the lane shows idle again (5 s on gate lanes, 20 s on balance lanes).
    public var screenHold: Duration = .seconds(5)
    /// `keypad`, `receipt`, `printer` (SPEC §10).
    public var guestInput = LaneGuestInputConfig()

    public static let languages = ["de", "fr", "it", "en"]

    /// Every GPIO line this lane holds, for clash detection across lanes.
    var lines: [(String, GPIOLineConfig)] {
        [("relay", relay), ("sensor", sensor), ("feedback.green", green), ("feedback.red", red), ("feedback.buzzer", buzzer)]
            .compactMap { key, line in line.map { (key, $0) } }
    }

    static func parse(name: String, gateName: String, outlets: Set<String>, _ r: ConfigReader) -> LaneConfig? {
        let mode = LaneConfig.Mode(rawValue: r.choice("mode", Mode.allCases.map(\.rawValue), default: "gate")) ?? .gate
        let outlet = r.string("outlet") ?? ""
        if outlet.isEmpty {
            r.problem("outlet", "missing — name the [outlets.NAME] whose API key this lane uses")
        } else if !outlets.contains(outlet) {
            r.problem("outlet", "no outlet \"\(outlet)\" — defined: \(outlets.sorted().joined(separator: ", "))")
        }
        var price = Money.zero
        if let text = r.rawPrice("price") {
            if let parsed = Money(decimal: text), parsed.cents > 0 { price = parsed }
            else { r.problem("price", "\"\(text)\" is not an amount — write it like \"25.00\" (a string, dot as decimal separator)") }
        } else if mode == .gate {
            r.problem("price", "missing — the entry price, e.g. price = \"25.00\"")
        }
        let offline = LaneSettings.OfflinePolicy(rawValue: r.choice("offline", ["deny", "admit"], default: "deny")) ?? .deny
        let split = r.bool("split_payment", default: true)
        let splitTimeout = r.integer("split_timeout_ms", default: 30_000, range: 1_000...600_000)
        let debounce = r.integer("debounce_ms", default: 2_000, range: 0...60_000)
        let accept = r.strings("accept_products")
        let service = r.strings("service_products")
        let serviceCents = r.integer("service_redeem_cents", default: 0, range: 0...10_000_000)
        let passageTimeout = r.integer("passage_timeout_ms", default: 10_000, range: 500...300_000)
        let language = r.choice("language", languages, default: "de")
        // Offline bounds (issue 12 item 4).
        let offlineMaxAdmissions = r.integer("offline_max_admissions", default: 20, range: 0...10_000)
        let offlineMaxPerHour = r.integer("offline_max_per_hour", default: 60, range: 0...10_000)
        let offlineKnownOnly = r.bool("offline_known_only", default: false)
        let offlineKnownDays = r.integer("offline_known_days", default: 30, range: 1...400)
        // Code-guessing guard (issue 12 item 3): kept in one block.
        let guessPolicy = GuessPolicy(
            maxFailures: r.integer("guard_max_failures", default: 5, range: 1...1_000),
            window: .seconds(r.integer("guard_window_s", default: 60, range: 1...86_400)),
            firstPause: .seconds(r.integer("guard_pause_s", default: 30, range: 1...900)),
            shortCodesPerMinute: r.integer("short_code_max_per_minute", default: 3, range: 0...100),
            acceptShortCodes: r.bool("accept_short_codes", default: true))
        let screenHoldMs = r.integer("screen_hold_ms", default: mode == .balance ? 20_000 : 5_000, range: 500...600_000)

        var scanner: LaneScannerConfig?
        if let s = r.table("scanner") {
            scanner = parseScanner(s)
        } else {
            r.problem("scanner", "missing — e.g. scanner = { kind = \"serial\", match = { ID_VENDOR_ID = \"05e0\" } }")
        }
        var relay: GPIOLineConfig?
        var pulseMs = 800
        if let t = r.table("relay") {
            pulseMs = t.integer("pulse_ms", default: 800, range: 50...30_000)
            relay = parseLine(t, input: false)
        } else if mode == .gate {
            r.problem("relay", "missing — e.g. relay = { chip = \"gpiochip0\", line = 17, pulse_ms = 800 }")
        }
        let sensor = r.table("sensor").flatMap { parseLine($0, input: true) }
        var green: GPIOLineConfig?, red: GPIOLineConfig?, buzzer: GPIOLineConfig?
        if let f = r.table("feedback") {
            green = f.table("green").flatMap { parseLine($0, input: false) }
            red = f.table("red").flatMap { parseLine($0, input: false) }
            buzzer = f.table("buzzer").flatMap { parseLine($0, input: false) }
            f.rejectUnknownKeys(hint: "feedback has green, red and buzzer")
        }
        let display = r.table("display").flatMap { LaneDisplayConfig.parse($0) }
        let guestInput = LaneGuestInputConfig.parse(r, mode: mode)
        r.rejectUnknownKeys()

        guard let scanner else { return nil }
        var settings = LaneSettings(
            name: name, gateName: gateName, outlet: outlet, price: price, offline: offline,
            splitPayment: split, splitTimeout: .milliseconds(splitTimeout), debounce: .milliseconds(debounce),
            acceptProducts: Set(accept), serviceProducts: Set(service), serviceRedeem: Money(cents: Int64(serviceCents)),
            passageTimeout: .milliseconds(passageTimeout), pulse: .milliseconds(pulseMs), hasSensor: sensor != nil)
        settings.offlineMaxAdmissions = offlineMaxAdmissions; settings.offlineMaxPerHour = offlineMaxPerHour
        settings.offlineKnownOnly = offlineKnownOnly; settings.offlineKnownDays = offlineKnownDays
        settings.guessPolicy = guessPolicy
        return LaneConfig(name: name, mode: mode, settings: settings, scanner: scanner, relay: relay, sensor: sensor,
                          green: green, red: red, buzzer: buzzer, language: language, display: display,
                          screenHold: .milliseconds(screenHoldMs), guestInput: guestInput)
    }

    static func parseScanner(_ r: ConfigReader) -> LaneScannerConfig? {
        var match: [String: String]?
        if let m = r.table("match") {
            var values: [String: String] = [:]
            for key in m.keys {
                if let v = m.string(key) { values[key] = v }
            }
            match = values
        }
        let result: LaneScannerConfig?
        do {
            result = try LaneScannerConfig.parse(
                kind: r.string("kind"), match: match, path: r.string("path"), baud: r.integer("baud"),
                terminator: r.string("terminator"), idleMs: r.integer("idle_ms"), layout: r.string("layout"))
        } catch {
            r.problem(error.key, error.reason)
            result = nil
        }
        r.rejectUnknownKeys(hint: "scanner keys are kind, match, path, baud, terminator, idle_ms, layout")
        return result
    }

    /// `{ chip = "gpiochip0", line = 17, active_low = false }` (+ `edge`, `bias`, `debounce_ms` for inputs).
    static func parseLine(_ r: ConfigReader, input: Bool) -> GPIOLineConfig? {
        let chip = r.string("chip") ?? ""
        if chip.isEmpty { r.problem("chip", "missing — gpiochip0, /dev/gpiochip0, a chip label, or \"sim\"") }
        var line: GPIOLineID?
        switch r.raw("line") {
        case .integer(let n)?: line = n >= 0 ? .offset(n) : nil
            if n < 0 { r.problem("line", "\(n) is not a line offset") }
        case .string(let s)?: line = GPIOLineID(parsing: s)
            if line == nil { r.problem("line", "empty line name") }
        case let other?: r.problem("line", "expected an offset or a line name, found \(other.typeName)")
        case nil: r.problem("line", "missing — the line offset (e.g. 17) or its name (e.g. \"GPIO17\")")
        }
        let activeLow = r.bool("active_low", default: false)
        var config = GPIOLineConfig(chip: chip, line: line ?? .offset(0), activeLow: activeLow)
        if input {
            config.edge = GPIOEdge(rawValue: r.choice("edge", GPIOEdge.allCases.map(\.rawValue), default: "falling")) ?? .falling
            config.bias = GPIOBias(rawValue: r.choice("bias", GPIOBias.allCases.map(\.rawValue), default: "as-is")) ?? .asIs
            config.debounce = .milliseconds(r.integer("debounce_ms", default: 20, range: 0...5_000))
        }
        _ = r.raw("pulse_ms")  // read by the relay's caller
        r.rejectUnknownKeys()
        return chip.isEmpty || line == nil ? nil : config
    }
}

extension ConfigReader {
    /// A price: a string such as "25.00"; a bare number is refused with advice (floats are inexact).
    func rawPrice(_ name: String) -> String? {
        guard let value = raw(name) else { return nil }
        switch value {
        case .string(let s): return s
        case .integer(let i): return String(i)
        case .double(let d):
            problem(name, "write the price as a string, e.g. \"\(d)\" in quotes, so it is exact")
            return nil
        default:
            problem(name, "expected an amount like \"25.00\", found \(value.typeName)")
            return nil
        }
    }
}
