import Foundation
import GateCore
import GateDaemon
import Testing

/// Config validation: every problem names file, key, line where possible, and the fix.
struct GateConfigTests {
    static let valid = """
        [gate]
        name = "spa-north"
        database = "/tmp/gate.db"

        [api]
        base_url = "http://127.0.0.1:8080"

        [outlets.spa]
        api_key_file = "/etc/eguma-gate/keys/spa.key"

        [outlets.shop]
        api_key_env = "EGUMA_KEY_SHOP"

        [lanes.main]
        outlet = "spa"
        price = "25.00"
        scanner = { kind = "serial", match = { ID_VENDOR_ID = "05e0" }, terminator = "crlf" }
        relay = { chip = "gpiochip0", line = 17, pulse_ms = 800 }
        sensor = { chip = "gpiochip0", line = 27, edge = "falling", bias = "pull-up", debounce_ms = 20 }
        """

    private func errors(_ text: String) -> [ConfigError] {
        do {
            _ = try GateConfig.parse(text: text, file: "test.toml")
            return []
        } catch {
            return error.errors
        }
    }

    @Test func aValidFileGivesEveryOutletItsOwnKeySource() throws {
        let config = try GateConfig.parse(text: Self.valid, file: "test.toml")
        #expect(config.gate.name == "spa-north")
        #expect(config.gate.metrics == "127.0.0.1:9464")
        #expect(config.outlets["spa"]?.keySource == .file("/etc/eguma-gate/keys/spa.key"))
        #expect(config.outlets["shop"]?.keySource == .environment("EGUMA_KEY_SHOP"))
        #expect(config.api.baseURL == "http://127.0.0.1:8080")
    }

    @Test func aLaneBecomesSettingsScannerAndLines() throws {
        let config = try GateConfig.parse(text: Self.valid, file: "test.toml")
        let lane = try #require(config.lane("main"))
        #expect(lane.settings.price == Money(cents: 2500))
        #expect(lane.settings.reference(admission: 7) == "spa-north/main/7")
        #expect(lane.settings.pulse == .milliseconds(800))
        #expect(lane.settings.hasSensor)
        #expect(lane.scanner.kind == .serial && lane.scanner.match == ["ID_VENDOR_ID": "05e0"] && lane.scanner.terminator == .crlf)
        #expect(lane.relay == GPIOLineConfig(chip: "gpiochip0", line: .offset(17)))
        #expect(lane.sensor?.bias == .pullUp)
    }

    @Test(arguments: [
        ("price = \"25.00\"", "price = \"25,00\"", "lanes.main.price", "is not an amount"),
        ("price = \"25.00\"", "price = 25.5", "lanes.main.price", "as a string"),
        ("outlet = \"spa\"", "outlet = \"bar\"", "lanes.main.outlet", "no outlet \"bar\""),
        ("kind = \"serial\"", "kind = \"usb\"", "lanes.main.scanner.kind", "unknown kind"),
        ("line = 27,", "line = 17,", "lanes.main.sensor", "already used by lanes.main.relay"),
        ("edge = \"falling\"", "edge = \"down\"", "lanes.main.sensor.edge", "not one of"),
        ("pulse_ms = 800", "pulse_ms = 0", "lanes.main.relay.pulse_ms", "out of range"),
        ("price = \"25.00\"", "price = \"25.00\"\noffline_max_per_hour = -1", "lanes.main.offline_max_per_hour", "out of range"),
        ("price = \"25.00\"", "price = \"25.00\"\noffline_known_days = 0", "lanes.main.offline_known_days", "out of range"),
        ("price = \"25.00\"", "price = \"25.00\"\noffline_known_only = \"yes\"", "lanes.main.offline_known_only", "expected true or false"),
    ])
    func aBrokenLaneNamesItsKey(original: String, broken: String, key: String, reason: String) throws {
        let found = errors(Self.valid.replacingOccurrences(of: original, with: broken))
        let error = try #require(found.first { $0.key == key }, "\(found)")
        #expect(error.reason.contains(reason))
    }

    @Test func theOfflineBoundsDefaultAndAreRead() throws {
        let lane = try #require(try GateConfig.parse(text: Self.valid, file: "test.toml").lane("main"))
        #expect(lane.settings.offlineMaxAdmissions == 20 && lane.settings.offlineMaxPerHour == 60)
        #expect(!lane.settings.offlineKnownOnly && lane.settings.offlineKnownDays == 30)
        let bounded = try #require(try GateConfig.parse(text: Self.valid.replacingOccurrences(of: "price = \"25.00\"", with: """
            price = "25.00"
            offline_max_admissions = 3
            offline_max_per_hour = 7
            offline_known_only = true
            offline_known_days = 14
            """), file: "test.toml").lane("main"))
        #expect(bounded.settings.offlineMaxAdmissions == 3 && bounded.settings.offlineMaxPerHour == 7)
        #expect(bounded.settings.offlineKnownOnly && bounded.settings.offlineKnownDays == 14)
    }

    @Test func anUnknownKeyIsReportedWithItsLine() throws {
        let text = Self.valid.replacingOccurrences(of: "database = \"/tmp/gate.db\"", with: "databse = \"/tmp/gate.db\"")
        let error = try #require(errors(text).first)
        #expect(error.key == "gate.databse")
        #expect(error.line == 3)
        #expect(error.description == "test.toml:3: gate.databse: unknown key — did you mean \"database\"?")
    }

    @Test func plainHTTPToANonLoopbackHostIsRefused() {
        let text = Self.valid.replacingOccurrences(of: "http://127.0.0.1:8080", with: "http://api.e-guma.ch")
        let found = errors(text)
        #expect(found.map(\.key) == ["api.base_url"], "\(found)")
        #expect(found.first?.reason.contains("only allowed for a loopback address") == true)
    }

    @Test(arguments: [
        ("http://127.0.0.1:8080", true), ("http://127.1.2.3", true), ("http://localhost:9", true), ("http://[::1]:9", true),
        ("http://127.attacker.net", false), ("http://127.0.0.1.evil.com", false), ("http://localhost.evil.com", false),
        ("http://127.0.0.256", false), ("http://128.0.0.1", false), ("https://127.attacker.net", true),
    ])
    func plainHTTPOnlyForALiteralLoopbackAddress(url: String, accepted: Bool) {
        let text = Self.valid.replacingOccurrences(of: "http://127.0.0.1:8080", with: url)
        let found = errors(text).filter { $0.key == "api.base_url" }
        #expect(found.isEmpty == accepted, "\(url): \(found)")
    }

    @Test func anAPIKeyInTheMainFileIsRefusedWithoutEchoingIt() {
        let text = Self.valid + "\n[outlets.bar]\napi_key = \"SECRET-KEY-123\"\napi_key_file = \"/k\"\n"
        let found = errors(text)
        #expect(found.contains { $0.key == "outlets.bar.api_key" })
        #expect(!found.description.contains("SECRET-KEY-123"))
    }

    @Test func invalidTOMLNamesTheLine() throws {
        let error = try #require(errors("[gate]\nname = \"x\nfoo").first)
        #expect(error.line == 2)
        #expect(error.reason.hasPrefix("not valid TOML"))
    }

    @Test func everyProblemIsReportedAtOnce() {
        let found = errors("[gate]\nmetrics = \"nope\"\n")
        #expect(Set(found.compactMap(\.key)) == ["gate.name", "gate.metrics", "outlets", "lanes"])
    }

    @Test func keyFilesReadableByOthersAreRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("spa.key").path
        try "TOPSECRETKEY\n".write(toFile: path, atomically: true, encoding: .utf8)
        let outlet = OutletConfig(name: "spa", keySource: .file(path))

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect(throws: ConfigError.self) { try outlet.loadKey(configFile: "c.toml") }
        do {
            _ = try outlet.loadKey(configFile: "c.toml")
        } catch {
            // The documented layout, so following the advice never locks the service out.
            #expect(error.description.contains("run: chown root:eguma-gate \(path) && chmod 0640 \(path)"))
            #expect(!error.description.contains("TOPSECRETKEY"))
        }

        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: path)
        let key = try outlet.loadKey(configFile: "c.toml")
        #expect(key.matches("TOPSECRETKEY"))
        #expect("\(key)" == "APIKey(•••)")
    }

    @Test func aMissingEnvironmentKeyNamesTheVariable() {
        let outlet = OutletConfig(name: "shop", keySource: .environment("EGUMA_KEY_SHOP"))
        #expect(throws: ConfigError.self) { try outlet.loadKey(environment: [:], configFile: "c.toml") }
        #expect((try? outlet.loadKey(environment: ["EGUMA_KEY_SHOP": "k1"], configFile: "c.toml"))?.matches("k1") == true)
    }
}
