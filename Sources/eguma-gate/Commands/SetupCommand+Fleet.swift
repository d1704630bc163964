import EgumaAPI
import Foundation
import GateDaemon

/// `[fleet]` in `eguma-gate setup` (docs/fleet.md): asked last, and only matters for a venue with
/// several doors on one e-guma key. Declining leaves the file as it is — an existing `[fleet]`
/// section is kept (leaving a fleet is a decision for the venue, made by removing the section),
/// no fleet is the default for a new gate.
///
/// The two secrets are files, as the outlets' keys: the PostgreSQL password is typed hidden and
/// written root:eguma-gate 0640; the site's code key is created here from 32 random bytes on the
/// site's first gate, and copied from there to the others (setup says so — every gate of a site
/// must hash voucher codes with the same key, or shared offline claims and reconciliation miss).
extension SetupCommand {
    func askFleet(io: SetupIO, outlets: [String], keyDir: String, existing: GateConfig?, set: (String, String) throws -> Void) throws {
        let old = existing?.fleet
        guard io.confirm("\nIs this gate one of several doors of the venue, sharing one PostgreSQL (a fleet, docs/fleet.md)?", default: old != nil) else {
            if old != nil { io.say("  [fleet] is kept as it is — to leave the fleet, remove the section from the file") }
            return
        }
        let url = io.ask("PostgreSQL of the fleet (postgres://USER@HOST:PORT/DB?sslmode=verify-full, no password in it)",
                         default: old?.url ?? "", check: GateConfig.fleetURLProblem)
        try set("fleet.url", SetupAnswers.string(url))
        let site = io.ask("Site name (the same on every gate of the venue)", default: old?.site ?? "", check: GateConfig.fleetNameProblem)
        try set("fleet.site", SetupAnswers.string(site))
        let gateID = io.ask("This gate's id in the site (unique per site)", default: old?.gateID ?? GateConfig.defaultGateID(),
                            check: GateConfig.fleetNameProblem)
        try set("fleet.gate_id", SetupAnswers.string(gateID))

        let codeKey = io.ask("The site's code key file (the same file on every gate of the site)",
                             default: old?.codeKeyFile ?? keyDir + "/fleet-code.key", check: SetupAnswers.absolutePathProblem)
        if !FileManager.default.fileExists(atPath: codeKey) {
            if io.confirm("\(codeKey) does not exist. Is this the site's first gate (create a new key)? Answer n to copy it from the first gate",
                          default: old == nil) {
                try writeSecret(SetupAnswers.newCodeKey(), to: codeKey)
                io.say("  created \(codeKey) — copy this file (same owner and mode) to every other gate of site \(site) before starting them")
            } else {
                io.say("  copy \(codeKey) from the site's first gate (root:eguma-gate, mode 0640) before starting this gate")
            }
        }
        try set("fleet.code_key_file", SetupAnswers.string(codeKey))

        let passwordFile = io.ask("File holding the PostgreSQL password (\"none\": the server trusts this gate by certificate or pg_hba)",
                                  default: old.map { $0.passwordFile ?? "none" } ?? keyDir + "/fleet-password") {
            $0 == "none" ? nil : SetupAnswers.absolutePathProblem($0)
        }
        if passwordFile != "none" {
            let exists = FileManager.default.fileExists(atPath: passwordFile)
            if !exists || io.confirm("Replace the password in \(passwordFile)?", default: false) {
                let password = io.secret("PostgreSQL password of the URL's user (input hidden)")
                try writeSecret(password, to: passwordFile)
                io.say("  password stored in \(passwordFile) (mode 0640, never printed)")
            }
            try set("fleet.password_file", SetupAnswers.string(passwordFile))
        } else if old?.passwordFile != nil {
            io.say("  password_file is kept in the file — remove it by hand if the server no longer asks for a password")
        }

        // Reconciliation matches every gate of one e-guma user: required with a fleet.
        for outlet in outlets {
            let current = existing?.outlets[outlet]?.userID?.text ?? ""
            let id = io.ask("e-guma user id of outlet \(outlet) (as e-guma's redemption list shows it)", default: current) {
                EgumaID(text: $0) == nil ? "required with a fleet: the id e-guma's redemption list shows for this outlet's user" : nil
            }
            try set("outlets.\(outlet).user_id", Int64(id).map(String.init) ?? SetupAnswers.string(id))
        }
        io.say("  then: eguma-gate fleet check (connects and checks the schema); once per site: eguma-gate fleet migrate")
    }
}
