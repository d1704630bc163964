import EgumaAPI
import Foundation
import GateCore

/// The whole configuration (SPEC §5), validated. A daemon never starts half-configured: loading
/// either returns a complete `GateConfig` or throws `ConfigErrors` listing every problem.
public struct GateConfig: Sendable {
    /// `[gate]`
    public struct Gate: Sendable, Equatable {
        public var name: String
        public var database: String
        public var controlSocket: String
        /// `host:port` for Prometheus metrics and /healthz; nil when turned off (`""`).
        public var metrics: String?
        public var retentionDays: Int
        /// `host:port` of the guest kiosk pages (`/lanes/NAME`, Server-Sent Events); nil when off (absent or `""`).
        public var display: String?
        /// Fire-alarm contact (normally closed); while open every lane is held open.
        public var emergency: GPIOLineConfig?
        /// How often the daemon reconciles the day so far with e-guma (`reconcile_every_h`, 0 = off;
        /// the previous day is reconciled once after midnight unless off).
        public var reconcileEveryHours: Int = 4
    }

    public var file: String
    public var gate: Gate
    public var api: EgumaClientConfiguration
    public var outlets: [String: OutletConfig]
    /// The lanes, in name order.
    public var lanes: [LaneConfig]
    /// `[fleet]`: the venue's PostgreSQL (docs/fleet.md); nil = a controller on its own.
    public var fleet: FleetSettings?

    public var laneNames: [String] { lanes.map(\.name) }

    public func lane(_ name: String) -> LaneConfig? { lanes.first { $0.name == name } }

    public static let defaultPath = "/etc/eguma-gate/eguma-gate.toml"

    /// Loads and validates a config file.
    public static func load(path: String) throws(ConfigErrors) -> GateConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigErrors(errors: [ConfigError(file: path, key: nil, line: nil,
                reason: "cannot read the config file (\(error.localizedDescription)) — pass --config FILE or create \(defaultPath)")])
        }
        return try parse(text: text, file: path)
    }

    /// Validates config text; `file` is used in messages.
    public static func parse(text: String, file: String) throws(ConfigErrors) -> GateConfig {
        let document: [String: ConfigValue]
        do {
            document = try ConfigValue.parse(toml: text, file: file)
        } catch {
            throw ConfigErrors(errors: [error])
        }
        let context = ConfigContext(file: file, text: text)
        let root = ConfigReader(table: document, path: "", context: context)

        let gate = parseGate(root.table("gate"), root: root)
        let api = parseAPI(root.table("api"))
        var outlets: [String: OutletConfig] = [:]
        if let table = root.table("outlets") {
            for (name, reader) in table.tables() {
                if let outlet = parseOutlet(name: name, reader) { outlets[name] = outlet }
            }
            table.rejectUnknownKeys()
        }
        if outlets.isEmpty { root.problem("outlets", "no outlet configured — add [outlets.NAME] with api_key_file") }
        var lanes: [LaneConfig] = []
        if let table = root.table("lanes") {
            for (name, reader) in table.tables() {
                if name.contains("/") || name.isEmpty { reader.problem(nil, "a lane name must not contain \"/\"") }
                if name == DeskLane.name {
                    reader.problem(nil, "the lane name \"\(DeskLane.name)\" is reserved for desk redemptions (voucher redeem --outlet) — rename the lane, e.g. [lanes.counter]")
                }
                if let lane = LaneConfig.parse(name: name, gateName: gate?.name ?? "", outlets: Set(outlets.keys), reader) {
                    lanes.append(lane)
                }
            }
            if table.keys.isEmpty { root.problem("lanes", "no lane configured — add [lanes.NAME]") }
        } else {
            root.problem("lanes", "no lane configured — add [lanes.NAME]")
        }
        checkLineClashes(lanes, emergency: gate?.emergency, root: root)
        if let gate { checkReferenceLength(lanes, gateName: gate.name, root: root) }
        for lane in lanes where lane.display == .web && gate?.display == nil {
            root.problem("lanes.\(lane.name).display", "kind = \"web\" needs the kiosk server: set [gate] display = \"127.0.0.1:8080\"")
        }
        for lane in lanes {
            for problem in lane.guestInput.kioskProblems(lane: lane.name, kioskOn: gate?.display != nil) {
                root.problem(problem.key, problem.reason)
            }
        }
        var poles: [String: String] = [:]
        for lane in lanes {
            guard case .serial(let path, _, _, _)? = lane.display else { continue }
            if let other = poles[path] { root.problem("lanes.\(lane.name).display", "\(path) is already the display of lane \(other)") }
            poles[path] = lane.name
            if lane.scanner.kind == .serial, lane.scanner.path == path {
                root.problem("lanes.\(lane.name).display", "\(path) is the lane's scanner — a pole display needs its own port")
            }
        }
        let fleet = parseFleet(root.table("fleet"), outlets: outlets, root: root)
        root.rejectUnknownKeys(hint: "top-level tables are [gate], [api], [outlets.NAME], [lanes.NAME], [fleet]")

        guard context.errors.isEmpty, let gate else { throw ConfigErrors(errors: context.errors) }
        return GateConfig(file: file, gate: gate, api: api, outlets: outlets, lanes: lanes, fleet: fleet)
    }

    private static func parseGate(_ r: ConfigReader?, root: ConfigReader) -> Gate? {
        guard let r else {
            root.problem("gate", "missing [gate] table — it needs at least name = \"…\"")
            return nil
        }
        let name = r.string("name") ?? ""
        if name.isEmpty { r.problem("name", "missing — name this gate (it appears in e-guma's back office)") }
        else if name.contains("/") { r.problem("name", "must not contain \"/\" (it separates gate/lane/admission in references)") }
        let database = r.string("database", default: "/var/lib/eguma-gate/gate.db")
        let socket = r.string("control_socket", default: "/run/eguma-gate/control.sock")
        if socket.utf8.count > maximumSocketPathBytes {
            r.problem("control_socket", "the path is \(socket.utf8.count) bytes; a Unix socket path holds at most \(maximumSocketPathBytes) — use a shorter one such as /run/eguma-gate/control.sock")
        }
        var metrics: String? = r.string("metrics", default: "127.0.0.1:9464")
        if metrics == "" { metrics = nil }
        if let m = metrics, !isHostPort(m) { r.problem("metrics", "\"\(m)\" is not host:port — e.g. \"127.0.0.1:9464\", or \"\" to turn it off") }
        var display = r.string("display")
        if display == "" { display = nil }
        if let d = display, !isHostPort(d, allowAnyPort: true) { r.problem("display", "\"\(d)\" is not host:port — e.g. \"127.0.0.1:8080\", or \"\" to turn it off") }
        if let d = display, d == metrics { r.problem("display", "\(d) is also gate.metrics — give the kiosk pages their own port") }
        let retention = r.integer("retention_days", default: 400, range: 1...36500)
        let emergency = r.table("emergency").flatMap { LaneConfig.parseLine($0, input: true) }
        let reconcileEvery = r.integer("reconcile_every_h", default: 4, range: 0...24)
        r.rejectUnknownKeys()
        return Gate(name: name, database: database, controlSocket: socket, metrics: metrics, retentionDays: retention,
                    display: display, emergency: emergency, reconcileEveryHours: reconcileEvery)
    }

    private static func parseAPI(_ r: ConfigReader?) -> EgumaClientConfiguration {
        var api = EgumaClientConfiguration()
        guard let r else { return api }
        api.baseURL = r.string("base_url", default: api.baseURL)
        if let problem = EgumaClientConfiguration.problem(withBaseURL: api.baseURL) { r.problem("base_url", problem) }
        api.connectTimeout = .milliseconds(r.integer("connect_timeout_ms", default: 3000, range: 100...60000))
        api.requestTimeout = .milliseconds(r.integer("request_timeout_ms", default: 8000, range: 500...120000))
        if let zone = r.string("timezone") {
            if let tz = TimeZone(identifier: zone) {
                api.timeZone = tz
            } else {
                r.problem("timezone", "\"\(zone)\" is not a time zone name — use e-guma's, \"Europe/Zurich\" (IANA names like Europe/Berlin)")
            }
        }
        if let ca = r.string("ca_file") {
            if !FileManager.default.isReadableFile(atPath: ca) { r.problem("ca_file", "cannot read \(ca)") }
            api.caFile = ca
        }
        r.rejectUnknownKeys()
        return api
    }

    private static func parseOutlet(name: String, _ r: ConfigReader) -> OutletConfig? {
        let file = r.string("api_key_file")
        let env = r.string("api_key_env")
        let userID = userIDValue(r)
        var currency = CurrencyCode.fallback
        if let text = r.string("currency") {
            if CurrencyCode.isValid(text) {
                currency = text
            } else {
                r.problem("currency", "\"\(text)\" is not a currency code — write the e-guma account's currency as three capital letters: \"CHF\" or \"EUR\"")
            }
        }
        if r.has("api_key") {
            r.problem("api_key", "API keys never go in the main config — put it in a file (root:eguma-gate, mode 0640) and set api_key_file")
            _ = r.raw("api_key")
        }
        r.rejectUnknownKeys()
        switch (file, env) {
        case (let f?, nil): return OutletConfig(name: name, keySource: .file(f), userID: userID, currency: currency)
        case (nil, let e?): return OutletConfig(name: name, keySource: .environment(e), userID: userID, currency: currency)
        case (.some, .some):
            r.problem(nil, "set either api_key_file or api_key_env, not both")
        case (nil, nil):
            r.problem(nil, "missing api_key_file (or api_key_env) — each outlet needs its own e-guma API key")
        }
        return nil
    }

    /// `[outlets.X] user_id`: e-guma sends user ids as numbers in some accounts and as text in
    /// others, so either is taken (`4711`, `"4711"`, `"u-4711"`) and compared as canonical text.
    private static func userIDValue(_ r: ConfigReader) -> EgumaID? {
        guard let value = r.raw("user_id") else { return nil }
        let fix = "write the id e-guma's redemption list shows for this outlet's user, e.g. user_id = 4711 or user_id = \"u-4711\""
        switch value {
        case .integer(let n) where n >= 1: return EgumaID(Int64(n))
        case .integer(let n): r.problem("user_id", "\(n) is not an e-guma user id — \(fix)")
        case .string(let s):
            if let id = EgumaID(text: s) { return id }
            r.problem("user_id", "\"\(s)\" is empty or holds control characters — \(fix)")
        default: r.problem("user_id", "expected an integer or a string, found \(value.typeName) — \(fix)")
        }
        return nil
    }

    /// `sun_path` is 108 bytes including the terminating NUL.
    static let maximumSocketPathBytes = 107
    /// e-guma refuses a `reference_number` longer than this (EGUMA-API.md).
    static let maximumReferenceLength = 1024

    /// Two uses of one GPIO line would fail at start with "line busy": say so now, naming both.
    /// The simulated chip refuses a second request of a line just like a real one, so its lines
    /// count too; `/dev/gpiochip0` and `gpiochip0` are the same chip.
    private static func checkLineClashes(_ lanes: [LaneConfig], emergency: GPIOLineConfig?, root: ConfigReader) {
        var seen: [String: String] = [:]
        var uses = lanes.flatMap { lane in lane.lines.map { ("lanes.\(lane.name).\($0.0)", $0.1) } }
        if let emergency { uses.append(("gate.emergency", emergency)) }
        for (key, line) in uses {
            let chip = line.chip.hasPrefix("/dev/") ? String(line.chip.dropFirst(5)) : line.chip
            let id = "\(chip) \(line.line)"
            if let other = seen[id] {
                root.problem(key, "\(id) is already used by \(other) — each GPIO line can serve one purpose")
            } else {
                seen[id] = key
            }
        }
    }

    /// The longest reference a lane will send (the largest admission id) must fit e-guma's limit.
    private static func checkReferenceLength(_ lanes: [LaneConfig], gateName: String, root: ConfigReader) {
        for lane in lanes {
            let longest = lane.settings.reference(admission: .max).count
            guard longest > maximumReferenceLength else { continue }
            let key = gateName.count >= lane.name.count ? "gate.name" : "lanes.\(lane.name)"
            root.problem(key, "references \"<gate name>/\(lane.name)/<admission>\" would reach \(longest) characters, e-guma accepts \(maximumReferenceLength) — shorten the gate or lane name")
        }
    }

    /// `allowAnyPort`: port 0 (the kernel picks a free one; the demo and tests) is accepted.
    static func isHostPort(_ text: String, allowAnyPort: Bool = false) -> Bool {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              ((allowAnyPort ? 0 : 1)...65535).contains(port) else { return false }
        return colon > text.startIndex
    }
}
