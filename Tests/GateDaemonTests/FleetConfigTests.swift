import Foundation
import GateCore
import GateDaemon
import Testing

/// `[fleet]` (SPEC §10): absent changes nothing; present, every key is checked and every problem
/// says which key and what to do; secrets never appear in `config show`.
@Suite("Fleet config")
struct FleetConfigTests {
    static let base = """
        [gate]
        name = "spa-north"
        database = "/tmp/gate.db"

        [outlets.spa]
        api_key_file = "/etc/eguma-gate/keys/spa.key"
        user_id = 4711

        [lanes.main]
        outlet = "spa"
        price = "25.00"
        scanner = { kind = "stdin" }
        relay = { chip = "sim", line = 0, pulse_ms = 100 }
        """

    static func fleet(_ keys: String) -> String { base + "\n\n[fleet]\n" + keys }

    static let minimal = """
        url = "postgres://eguma@db.spa.example:5432/eguma"
        site = "spa-baden"
        code_key_file = "/etc/eguma-gate/fleet-code.key"
        """

    private func errors(_ text: String) -> [ConfigError] {
        do { _ = try GateConfig.parse(text: text, file: "test.toml"); return [] } catch { return error.errors }
    }

    @Test func withoutAFleetSectionThereIsNoFleet() throws {
        #expect(try GateConfig.parse(text: Self.base, file: "t.toml").fleet == nil)
    }

    @Test func aRemoteHostDefaultsToVerifyFullAndTheDocumentedDefaults() throws {
        let fleet = try #require(try GateConfig.parse(text: Self.fleet(Self.minimal), file: "t.toml").fleet)
        #expect(fleet.host == "db.spa.example" && fleet.port == 5432 && fleet.user == "eguma" && fleet.database == "eguma")
        #expect(fleet.sslMode == .verifyFull)
        #expect(fleet.connectTimeout == .milliseconds(1000) && fleet.claimTimeout == .milliseconds(300))
        #expect(fleet.offlineWithoutFleet == .local)
        #expect(!fleet.gateID.isEmpty, "gate_id defaults to the host name")
    }

    @Test func aLoopbackHostMayGoWithoutTLS() throws {
        let text = Self.fleet(Self.minimal.replacingOccurrences(of: "db.spa.example:5432", with: "127.0.0.1:6543") + "\ngate_id = \"door-1\"")
        let fleet = try #require(try GateConfig.parse(text: text, file: "t.toml").fleet)
        #expect(fleet.sslMode == .disable && fleet.port == 6543 && fleet.gateID == "door-1")
    }

    @Test(arguments: [
        ("postgres://eguma:hunter2@db.example/eguma", "url", "password_file"),
        ("postgres://eguma@db.example/eguma?sslmode=disable", "url", "loopback"),
        ("postgres://eguma@db.example/eguma?sslmode=allow", "url", "verify-full"),
        ("mysql://eguma@db.example/eguma", "url", "postgres://"),
        ("postgres://db.example/eguma", "url", "no user"),
        ("postgres://eguma@db.example/", "url", "no database"),
    ])
    func aBadURLIsRefusedSayingWhatToDo(url: String, key: String, fix: String) {
        let text = Self.fleet(Self.minimal.replacingOccurrences(of: "postgres://eguma@db.spa.example:5432/eguma", with: url))
        let found = errors(text).filter { $0.key == "fleet.\(key)" }
        #expect(found.count == 1, "\(errors(text))")
        #expect(found.first?.reason.contains(fix) == true, "\(found)")
        #expect(!errors(text).description.contains("hunter2"), "a password found in the URL is never repeated")
    }

    @Test func sslrootcertNamesTheCAVerifyFullTrusts() throws {
        let ca = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-ca-\(UUID().uuidString).pem").path
        FileManager.default.createFile(atPath: ca, contents: Data("PEM".utf8))
        defer { try? FileManager.default.removeItem(atPath: ca) }
        let url = "postgres://eguma@db.spa.example:5432/eguma"
        let text = Self.fleet(Self.minimal.replacingOccurrences(of: url, with: url + "?sslmode=verify-full&sslrootcert=\(ca)"))
        let fleet = try #require(try GateConfig.parse(text: text, file: "t.toml").fleet)
        #expect(fleet.caFile == ca && fleet.url.hasSuffix("&sslrootcert=\(ca)"))
        let missing = Self.fleet(Self.minimal.replacingOccurrences(of: url, with: url + "?sslrootcert=/nonexistent/ca.pem"))
        #expect(errors(missing).contains { $0.key == "fleet.url" && $0.reason.contains("cannot read /nonexistent/ca.pem") })
    }

    @Test func siteIsRequired() {
        let text = Self.fleet(Self.minimal.replacingOccurrences(of: "site = \"spa-baden\"", with: ""))
        #expect(errors(text).contains { $0.key == "fleet.site" && $0.reason.contains("missing") })
    }

    @Test func everyOutletNeedsItsUserIDWithAFleet() {
        let text = Self.fleet(Self.minimal).replacingOccurrences(of: "user_id = 4711", with: "")
        #expect(errors(text).contains { $0.key == "outlets.spa.user_id" && $0.reason.contains("required with a fleet") })
    }

    @Test func offlineWithoutFleetTakesLocalOrDenyOnly() throws {
        let deny = try #require(try GateConfig.parse(text: Self.fleet(Self.minimal + "\noffline_without_fleet = \"deny\""), file: "t").fleet)
        #expect(deny.offlineWithoutFleet == .deny)
        #expect(errors(Self.fleet(Self.minimal + "\noffline_without_fleet = \"maybe\"")).contains { $0.key == "fleet.offline_without_fleet" })
    }

    @Test func aPasswordKeyIsRefusedAndUnknownKeysAreNamed() {
        let found = errors(Self.fleet(Self.minimal + "\npassword = \"hunter2\"\nclaim_timout_ms = 5"))
        #expect(found.contains { $0.key == "fleet.password" && $0.reason.contains("password_file") })
        #expect(found.contains { $0.key == "fleet.claim_timout_ms" && $0.reason.contains("claim_timeout_ms") })
    }

    @Test func configShowHasTheSectionWithoutSecrets() throws {
        let text = Self.fleet(Self.minimal + "\npassword_file = \"/etc/eguma-gate/fleet.password\"")
        let shown = try GateConfig.parse(text: text, file: "t.toml").effectiveTOML { _ in "set (•••)" }
        #expect(shown.contains("[fleet]"))
        #expect(shown.contains("url = \"postgres://eguma@db.spa.example:5432/eguma?sslmode=verify-full\""))
        #expect(shown.contains("password_file = \"/etc/eguma-gate/fleet.password\""))
        #expect(shown.contains("claim_timeout_ms = 300") && shown.contains("offline_without_fleet = \"local\""))
        // What config show prints is itself a valid configuration.
        #expect(try GateConfig.parse(text: shown, file: "shown.toml").fleet?.site == "spa-baden")
    }
}
