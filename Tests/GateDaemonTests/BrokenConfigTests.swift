import EgumaSimulator
import Foundation
import Testing
import TestSupport

/// Broken configuration files, each refused by both `eguma-gate config check` and
/// `eguma-gate run` (the real binary) with exit code 2 and a message naming the file, the line
/// where there is one, the key and the reason.
@Suite("Broken config files give a precise message and exit 2")
struct BrokenConfigTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        /// Dotted key the message names.
        var key: String
        /// The reason, as printed (`$KEYFILE` stands for the key file's path).
        var reason: String
        /// A text on the offending line (the message must carry that line number); nil: no line.
        var line: String?
        var change: @Sendable (inout GateTestConfig) -> Void
        /// Applied to the written text (for lines the struct does not model).
        var edit: @Sendable (String) -> String = { $0 }
        /// After writing, e.g. a chmod.
        var prepare: @Sendable (GateTestConfig) throws -> Void = { _ in }
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "unknown key", key: "lanes.main.colour", reason: "unknown key", line: "colour = ",
             change: { $0.laneExtra = #"colour = "blue""# }),
        Case(name: "bad price", key: "lanes.main.price",
             reason: #""25,00" is not an amount — write it like "25.00""#, line: "price = ",
             change: { $0.price = "25,00" }),
        Case(name: "lane without outlet", key: "lanes.main.outlet",
             reason: "missing — name the [outlets.NAME] whose API key this lane uses", line: nil,
             change: { _ in }, edit: { $0.replacingOccurrences(of: "outlet = \"demo\"\n", with: "") }),
        Case(name: "lane naming an undefined outlet", key: "lanes.main.outlet",
             reason: #"no outlet "spa" — defined: demo"#, line: #"outlet = "spa""#,
             change: { _ in }, edit: { $0.replacingOccurrences(of: "outlet = \"demo\"", with: "outlet = \"spa\"") }),
        Case(name: "world-readable key file", key: "outlets.demo.api_key_file",
             reason: "$KEYFILE has mode 644: others may read it or others/group may write it — run: chown root:eguma-gate $KEYFILE && chmod 0640 $KEYFILE", line: nil,
             change: { _ in }, prepare: { config in
                 guard chmod(config.keyPath, 0o644) == 0 else { throw CocoaError(.fileWriteNoPermission) }
             }),
        Case(name: "unknown scanner kind", key: "lanes.main.scanner.kind",
             reason: #"unknown kind "laser" (serial, hid, hidpos or stdin)"#, line: "scanner = ",
             change: { $0.scanner = #"{ kind = "laser" }"# }),
        Case(name: "a GPIO line used twice", key: "lanes.main.sensor",
             reason: "gpiochip0 line 17 is already used by lanes.main.relay — each GPIO line can serve one purpose",
             line: "sensor = ",
             change: {
                 $0.relay = #"{ chip = "gpiochip0", line = 17 }"#
                 $0.sensor = #"{ chip = "gpiochip0", line = 17 }"#
             }),
        Case(name: "http:// to a non-loopback host", key: "api.base_url",
             reason: Self.plainHTTP, line: "base_url = ",
             change: { $0.baseURL = "http://api.e-guma.ch" }),
        Case(name: "http:// to a DNS name that starts like a loopback address", key: "api.base_url",
             reason: Self.plainHTTP, line: "base_url = ",
             change: { $0.baseURL = "http://127.attacker.net" }),
        Case(name: "http:// to a loopback literal followed by a domain", key: "api.base_url",
             reason: Self.plainHTTP, line: "base_url = ",
             change: { $0.baseURL = "http://127.0.0.1.evil.com:8080" }),
        Case(name: "relay and sensor on the same simulated line", key: "lanes.main.sensor",
             reason: "sim line 0 is already used by lanes.main.relay — each GPIO line can serve one purpose",
             line: "sensor = ",
             change: {
                 $0.relay = #"{ chip = "sim", line = 0 }"#
                 $0.sensor = #"{ chip = "sim", line = 0 }"#
             }),
        Case(name: "a chip written as a path and as a name is one chip", key: "lanes.main.sensor",
             reason: "gpiochip0 line 4 is already used by lanes.main.relay — each GPIO line can serve one purpose",
             line: "sensor = ",
             change: {
                 $0.relay = #"{ chip = "/dev/gpiochip0", line = 4 }"#
                 $0.sensor = #"{ chip = "gpiochip0", line = 4 }"#
             }),
        Case(name: "a control socket path longer than a Unix socket holds", key: "gate.control_socket",
             reason: "the path is 130 bytes; a Unix socket path holds at most 107 — use a shorter one such as /run/eguma-gate/control.sock",
             line: "control_socket = ",
             change: { _ in },
             edit: { text in
                 let long = "/run/" + String(repeating: "s", count: 120) + ".sock"
                 return text.split(separator: "\n", omittingEmptySubsequences: false)
                     .map { $0.hasPrefix("control_socket = ") ? "control_socket = \"\(long)\"" : String($0) }
                     .joined(separator: "\n")
             }),
        Case(name: "a gate name too long for e-guma's reference_number", key: "gate.name",
             reason: #"references "<gate name>/main/<admission>" would reach 1035 characters, e-guma accepts 1024 — shorten the gate or lane name"#,
             line: "name = ",
             change: { $0.gateName = String(repeating: "g", count: 1010) }),
        Case(name: "a misspelt key gets a suggestion", key: "lanes.main.langauge",
             reason: #"unknown key — did you mean "language"?"#, line: "langauge = ",
             change: { $0.laneExtra = #"langauge = "fr""# }),
    ]

    static let plainHTTP = "plain http:// is only allowed for a loopback address (127.0.0.1, ::1 or localhost — the simulator); use https://"

    @Test(arguments: cases)
    func isRefusedByConfigCheckAndRun(_ broken: Case) async throws {
        var config = try GateTestConfig(baseURL: "http://127.0.0.1:9")
        defer { config.remove() }
        broken.change(&config)
        let text = broken.edit(config.text)
        try config.write(text)
        try broken.prepare(config)

        var location = config.configPath
        if let marker = broken.line {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            let index = try #require(lines.firstIndex { $0.contains(marker) }, "\(marker) in the config")
            location += ":\(index + 1)"
        }
        let reason = broken.reason.replacingOccurrences(of: "$KEYFILE", with: config.keyPath)
        let expected = "\(location): \(broken.key): \(reason)"

        for command in [["config", "check"], ["run"]] {
            let result = try await GateBinary.run(command + ["--config", config.configPath], timeout: .seconds(20))
            #expect(result.status == 2, "\(command.joined(separator: " ")): \(result)")
            #expect(result.stderr.contains(expected), "\(command.joined(separator: " ")) should say\n\(expected)\nbut said\n\(result.stderr)")
            #expect(!result.stderr.contains(SimulatedOutlet.demo.key), "the key never appears")
        }
    }

    @Test func aValidConfigPassesTheCheck() async throws {
        let config = try GateTestConfig(baseURL: "http://127.0.0.1:9")
        defer { config.remove() }
        try config.write()
        let result = try await GateBinary.run(["config", "check", "--config", config.configPath])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("ok — gate e2e, 1 outlet(s), 1 lane(s)"))
    }
}
