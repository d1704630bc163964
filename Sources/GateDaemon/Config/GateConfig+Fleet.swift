import Foundation
import GateCore

extension GateConfig {
    /// `[fleet]` (SPEC §10). Absent: nil, and the gate runs exactly as without a fleet.
    static func parseFleet(_ r: ConfigReader?, outlets: [String: OutletConfig], root: ConfigReader) -> FleetSettings? {
        guard let r else { return nil }
        let url = r.string("url")
        let site = r.string("site") ?? ""
        if site.isEmpty { r.problem("site", "missing — name the venue, the same on every gate of it (e.g. site = \"spa-baden\"), so two doors cannot become two sites") }
        else if !isFleetName(site) { r.problem("site", "\"\(site)\" — use letters, digits, \".\", \"-\", \"_\" (at most 64)") }
        let gateID = r.string("gate_id") ?? defaultGateID()
        if !isFleetName(gateID) { r.problem("gate_id", "\"\(gateID)\" — use letters, digits, \".\", \"-\", \"_\" (at most 64); unique within the site") }
        let passwordFile = r.string("password_file")
        if passwordFile == "" { r.problem("password_file", "empty — give the file holding the PostgreSQL password, or remove the key") }
        if r.has("password") {
            r.problem("password", "passwords never go in the main config — put it in a file (root:eguma-gate, mode 0640) and set password_file")
            _ = r.raw("password")
        }
        let codeKeyFile = r.string("code_key_file")
        if codeKeyFile == nil { r.problem("code_key_file", "missing — the site's secret for hashing voucher codes (the same file on every gate of the site; e.g. 32 random bytes: head -c 32 /dev/urandom | base64)") }
        let connect = r.integer("connect_timeout_ms", default: 1000, range: 50...60000)
        let claim = r.integer("claim_timeout_ms", default: 300, range: 20...10000)
        let offline = r.choice("offline_without_fleet", ["local", "deny"], default: "local")
        r.rejectUnknownKeys()
        for name in outlets.keys.sorted() where outlets[name]?.userID == nil {
            root.problem("outlets.\(name).user_id", "required with a fleet — write the id e-guma's redemption list shows for this outlet's user (reconciliation matches every gate of that user)")
        }
        guard let url else {
            r.problem("url", "missing — e.g. url = \"postgres://eguma@db.example:5432/eguma?sslmode=verify-full\"")
            return nil
        }
        guard let endpoint = parseFleetURL(url, r) else { return nil }
        return FleetSettings(host: endpoint.host, port: endpoint.port, user: endpoint.user, database: endpoint.database,
                             sslMode: endpoint.sslMode, passwordFile: passwordFile, site: site, gateID: gateID,
                             codeKeyFile: codeKeyFile, connectTimeout: .milliseconds(connect), claimTimeout: .milliseconds(claim),
                             offlineWithoutFleet: FleetSettings.OfflineWithoutFleet(rawValue: offline) ?? .local)
            .trusting(endpoint.caFile)
    }

    /// What is wrong with `text` as `[fleet] url` (the message `config check` gives), nil when
    /// nothing is: `setup` asks again until the URL is one the daemon takes.
    public static func fleetURLProblem(_ text: String) -> String? {
        let context = ConfigContext(file: "", text: "")
        let reader = ConfigReader(table: [:], path: "fleet", context: context)
        return parseFleetURL(text, reader) == nil ? (context.errors.first?.reason ?? "not a fleet URL") : nil
    }

    /// What is wrong with `name` as a fleet `site` or `gate_id`, nil when nothing is.
    public static func fleetNameProblem(_ name: String) -> String? {
        isFleetName(name) ? nil : "letters, digits, \".\", \"-\", \"_\" (at most 64)"
    }

    private struct FleetEndpoint {
        var host: String; var port: Int; var user: String; var database: String; var sslMode: FleetSettings.SSLMode; var caFile: String?
    }

    /// `postgres://USER@HOST:PORT/DB?sslmode=…`. The message never repeats a password it found.
    private static func parseFleetURL(_ text: String, _ r: ConfigReader) -> FleetEndpoint? {
        let example = "write it like \"postgres://eguma@db.example:5432/eguma?sslmode=verify-full\""
        guard let c = URLComponents(string: text), c.scheme == "postgres" || c.scheme == "postgresql" else {
            r.problem("url", "not a postgres:// URL — \(example)")
            return nil
        }
        if c.password != nil {
            r.problem("url", "holds a password — remove it from the URL and put it in a file named by password_file (root:eguma-gate, mode 0640)")
            return nil
        }
        guard let user = c.user, !user.isEmpty else { r.problem("url", "names no user — \(example)"); return nil }
        guard let host = c.host, !host.isEmpty else { r.problem("url", "names no host — \(example)"); return nil }
        let database = String(c.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { r.problem("url", "names no database — \(example)"); return nil }
        let port = c.port ?? 5432
        guard (1...65535).contains(port) else { r.problem("url", "port \(port) is out of range — use 1…65535"); return nil }
        let loopback = FleetSettings.isLoopback(host)
        var mode: FleetSettings.SSLMode = loopback ? .disable : .verifyFull
        var caFile: String?
        for item in c.queryItems ?? [] {
            if item.name == "sslrootcert", let path = item.value, !path.isEmpty {
                if !FileManager.default.isReadableFile(atPath: path) { r.problem("url", "sslrootcert: cannot read \(path)") }
                caFile = path
                continue
            }
            guard item.name == "sslmode" else {
                r.problem("url", "unknown parameter \"\(item.name)\" — only sslmode and sslrootcert are read")
                continue
            }
            guard let value = item.value, let m = FleetSettings.SSLMode(rawValue: value) else {
                let words = FleetSettings.SSLMode.allCases.map(\.rawValue).joined(separator: ", ")
                r.problem("url", "sslmode \"\(item.value ?? "")\" is not one of \(words)")
                return nil
            }
            mode = m
        }
        if mode == .disable && !loopback {
            r.problem("url", "sslmode=disable sends the password and the journal in clear over the network to \(host) — use verify-full (or require), disable is for a loopback host only")
            return nil
        }
        return FleetEndpoint(host: host, port: port, user: user, database: database, sslMode: mode, caFile: caFile)
    }

    private static func isFleetName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 64 && s.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "-" || $0 == "_"
        }
    }

    /// The host name, cut at the first dot: what a venue calls the box.
    public static func defaultGateID() -> String {
        let name = ProcessInfo.processInfo.hostName
        return String(name.split(separator: ".").first ?? Substring(name))
    }
}
