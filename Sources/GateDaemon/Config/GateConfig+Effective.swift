import Foundation
import GateCore

extension GateConfig {
    /// The configuration as the daemon runs it, as TOML: every key with its effective value,
    /// defaults included, so a technician sees what a missing key means. Secrets never appear:
    /// each outlet shows where its key comes from and `keyState` (e.g. "set (•••)").
    public func effectiveTOML(keyState: (OutletConfig) -> String) -> String {
        var out = ["# \(file) — effective values, defaults included", "[gate]"]
        out.append("name = \(Self.quoted(gate.name))")
        out.append("database = \(Self.quoted(gate.database))")
        out.append("control_socket = \(Self.quoted(gate.controlSocket))")
        out.append("metrics = \(Self.quoted(gate.metrics ?? ""))")
        out.append("display = \(Self.quoted(gate.display ?? ""))")
        out.append("retention_days = \(gate.retentionDays)")
        out.append("reconcile_every_h = \(gate.reconcileEveryHours)")
        if let emergency = gate.emergency { out.append("emergency = \(Self.inline(emergency, input: true))") }

        out += ["", "[api]"]
        out.append("base_url = \(Self.quoted(api.baseURL))")
        out.append("connect_timeout_ms = \(Self.ms(api.connectTimeout))")
        out.append("request_timeout_ms = \(Self.ms(api.requestTimeout))")
        if let ca = api.caFile { out.append("ca_file = \(Self.quoted(ca))") }
        out.append("timezone = \(Self.quoted(api.timeZone.identifier))")

        for name in outlets.keys.sorted() {
            guard let outlet = outlets[name] else { continue }
            out += ["", "[outlets.\(name)]"]
            switch outlet.keySource {
            case .file(let path): out.append("api_key_file = \(Self.quoted(path))   # key: \(keyState(outlet))")
            case .environment(let variable): out.append("api_key_env = \(Self.quoted(variable))   # key: \(keyState(outlet))")
            }
            out.append("currency = \(Self.quoted(outlet.currency))")
            if let user = outlet.userID { out.append("user_id = \(user.isNumber ? user.text : Self.quoted(user.text))") }
        }

        for lane in lanes {
            let s = lane.settings
            out += ["", "[lanes.\(lane.name)]"]
            out.append("mode = \(Self.quoted(lane.mode.rawValue))")
            out.append("outlet = \(Self.quoted(s.outlet))")
            if lane.mode == .gate || s.price.cents > 0 { out.append("price = \(Self.quoted(s.price.decimalString))") }
            out.append("offline = \(Self.quoted(s.offline.rawValue))")
            out.append("offline_max_admissions = \(s.offlineMaxAdmissions)")
            out.append("offline_max_per_hour = \(s.offlineMaxPerHour)")
            out.append("offline_known_only = \(s.offlineKnownOnly)")
            out.append("offline_known_days = \(s.offlineKnownDays)")
            out.append("split_payment = \(s.splitPayment)")
            out.append("split_timeout_ms = \(Self.ms(s.splitTimeout))")
            out.append("debounce_ms = \(Self.ms(s.debounce))")
            out.append("accept_products = \(Self.list(s.acceptProducts))")
            out.append("service_products = \(Self.list(s.serviceProducts))")
            out.append("service_redeem_cents = \(s.serviceRedeem.cents)")
            out.append("passage_timeout_ms = \(Self.ms(s.passageTimeout))")
            out.append("language = \(Self.quoted(lane.language))")
            out.append("scanner = \(Self.inline(lane.scanner))")
            if let relay = lane.relay {
                out.append("relay = \(Self.inline(relay, input: false, extra: ["pulse_ms = \(Self.ms(s.pulse))"]))")
            }
            if let sensor = lane.sensor { out.append("sensor = \(Self.inline(sensor, input: true))") }
            let feedback = [("green", lane.green), ("red", lane.red), ("buzzer", lane.buzzer)].compactMap { name, line in
                line.map { "\(name) = \(Self.inline($0, input: false))" }
            }
            if !feedback.isEmpty { out.append("feedback = { \(feedback.joined(separator: ", ")) }") }
            switch lane.display {
            case .serial(let path, let baud, let codepage, let scroll)?:
                out.append("display = { kind = \"serial\", path = \(Self.quoted(path)), baud = \(baud), codepage = \"\(codepage.rawValue)\", scroll_ms = \(Self.ms(scroll)) }")
            case .web?:
                out.append("display = { kind = \"web\" }")
            case nil:
                break
            }
            let input = lane.guestInput
            out.append("keypad = \(input.keypad)")
            out.append("receipt = \(Self.quoted(input.receipt.rawValue))")
            if let p = input.printer {
                out.append("printer = { kind = \"\(p.kind.rawValue)\", path = \(Self.quoted(p.path))\(p.kind == .serial ? ", baud = \(p.baud)" : "") }")
            }
        }
        if let fleet { out += [""] + Self.fleetLines(fleet) }
        return out.joined(separator: "\n") + "\n"
    }

    /// `[fleet]` with its defaults; the password and the code key are files, their contents never shown.
    static func fleetLines(_ f: FleetSettings) -> [String] {
        var out = ["[fleet]", "url = \(quoted(f.url))"]
        if let file = f.passwordFile { out.append("password_file = \(quoted(file))") }
        out.append("site = \(quoted(f.site))")
        out.append("gate_id = \(quoted(f.gateID))")
        if let file = f.codeKeyFile { out.append("code_key_file = \(quoted(file))") }
        out.append("connect_timeout_ms = \(ms(f.connectTimeout))")
        out.append("claim_timeout_ms = \(ms(f.claimTimeout))")
        out.append("offline_without_fleet = \(quoted(f.offlineWithoutFleet.rawValue))")
        return out
    }

    /// The scanner table with every key that applies to its kind.
    public static func inline(_ c: LaneScannerConfig) -> String {
        var parts = ["kind = \"\(c.kind.rawValue)\""]
        if let path = c.path { parts.append("path = \(quoted(path))") }
        if !c.match.isEmpty {
            parts.append("match = { " + c.match.sorted { $0.key < $1.key }.map { "\($0.key) = \(quoted($0.value))" }.joined(separator: ", ") + " }")
        }
        switch c.kind {
        case .serial:
            parts += ["baud = \(c.baud)", "terminator = \"\(c.terminator.rawValue)\"", "idle_ms = \(c.idleMs)"]
        case .hid:
            parts += ["layout = \"\(c.layout.rawValue)\"", "idle_ms = \(c.idleMs)"]
        case .stdin:
            parts.append("idle_ms = \(c.idleMs)")
        case .hidpos:
            break
        }
        return "{ " + parts.joined(separator: ", ") + " }"
    }

    static func inline(_ line: GPIOLineConfig, input: Bool, extra: [String] = []) -> String {
        var parts = ["chip = \(quoted(line.chip))"]
        switch line.line {
        case .offset(let n): parts.append("line = \(n)")
        case .name(let s): parts.append("line = \(quoted(s))")
        }
        parts.append("active_low = \(line.activeLow)")
        if input {
            parts += ["edge = \"\(line.edge.rawValue)\"", "bias = \"\(line.bias.rawValue)\"", "debounce_ms = \(ms(line.debounce))"]
        }
        return "{ " + (parts + extra).joined(separator: ", ") + " }"
    }

    static func quoted(_ s: String) -> String { TOMLText.string(s) }

    static func ms(_ d: Duration) -> Int64 { TOMLText.milliseconds(d) }

    private static func list(_ items: Set<String>) -> String {
        "[" + items.sorted().map(quoted).joined(separator: ", ") + "]"
    }
}
