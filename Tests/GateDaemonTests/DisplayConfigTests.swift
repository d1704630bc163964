import Foundation
import GateCore
import GateDaemon
import Testing

/// `[gate] display` (kiosk pages) and the per-lane `display = { … }` keys.
struct DisplayConfigTests {
    static func config(gate: String = "", lane: String = "", extraLane: String = "") -> String {
        """
        [gate]
        name = "spa-north"
        database = "/tmp/gate.db"
        \(gate)

        [outlets.spa]
        api_key_file = "/etc/eguma-gate/keys/spa.key"

        [lanes.main]
        outlet = "spa"
        price = "25.00"
        scanner = { kind = "serial", path = "/dev/ttyACM0" }
        relay = { chip = "gpiochip0", line = 17 }
        \(lane)
        \(extraLane)
        """
    }

    private func errors(_ text: String) -> [String] {
        do {
            _ = try GateConfig.parse(text: text, file: "test.toml")
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    @Test func theKioskIsOffUnlessGateDisplayIsSet() throws {
        #expect(try GateConfig.parse(text: Self.config(), file: "t").gate.display == nil)
        #expect(try GateConfig.parse(text: Self.config(gate: #"display = "127.0.0.1:8080""#), file: "t").gate.display == "127.0.0.1:8080")
        #expect(try GateConfig.parse(text: Self.config(gate: #"display = """#), file: "t").gate.display == nil)
        #expect(try GateConfig.parse(text: Self.config(gate: #"display = "127.0.0.1:0""#), file: "t").gate.display == "127.0.0.1:0")
    }

    @Test func aKioskAddressThatIsNotHostPortOrSharesTheMetricsPortIsRefused() {
        #expect(errors(Self.config(gate: #"display = "8080""#)).contains { $0.contains("gate.display") && $0.contains("not host:port") })
        #expect(errors(Self.config(gate: #"display = "127.0.0.1:9464""#)).contains { $0.contains("also gate.metrics") })
    }

    @Test func aSerialPoleDisplayIsParsedWithDefaults() throws {
        let config = try GateConfig.parse(text: Self.config(lane: #"display = { kind = "serial", path = "/dev/ttyUSB1" }"#), file: "t")
        #expect(config.lane("main")?.display == .serial(path: "/dev/ttyUSB1", baud: 9600, codepage: .cp437, scroll: .milliseconds(350)))
        let custom = try GateConfig.parse(text: Self.config(lane: #"display = { kind = "serial", path = "/dev/ttyUSB1", baud = 19200, codepage = "ascii", scroll_ms = 500 }"#), file: "t")
        #expect(custom.lane("main")?.display == .serial(path: "/dev/ttyUSB1", baud: 19200, codepage: .ascii, scroll: .milliseconds(500)))
    }

    @Test func poleDisplayMistakesAreNamed() {
        #expect(errors(Self.config(lane: #"display = { kind = "serial" }"#)).contains { $0.contains("lanes.main.display.path") })
        #expect(errors(Self.config(lane: #"display = { kind = "serial", path = "/dev/ttyUSB1", codepage = "latin1" }"#))
            .contains { $0.contains("display.codepage") })
        #expect(errors(Self.config(lane: #"display = { kind = "serial", path = "/dev/ttyUSB1", baud = 9601 }"#))
            .contains { $0.contains("display.baud") })
        #expect(errors(Self.config(lane: #"display = { kind = "serial", path = "/dev/ttyACM0" }"#))
            .contains { $0.contains("the lane's scanner") })
        #expect(errors(Self.config(lane: #"display = { kind = "serial", path = "/dev/ttyUSB1", colour = "red" }"#))
            .contains { $0.contains("colour") })
    }

    @Test func aWebDisplayNeedsTheKioskServer() {
        #expect(errors(Self.config(lane: #"display = { kind = "web" }"#)).contains { $0.contains("needs the kiosk server") })
        #expect(errors(Self.config(gate: #"display = "127.0.0.1:8080""#, lane: #"display = { kind = "web" }"#)).isEmpty)
    }

    @Test func twoLanesCannotShareOnePoleDisplay() {
        let second = """
            [lanes.side]
            outlet = "spa"
            price = "25.00"
            scanner = { kind = "serial", path = "/dev/ttyACM1" }
            relay = { chip = "gpiochip0", line = 18 }
            display = { kind = "serial", path = "/dev/ttyUSB1" }
            """
        #expect(errors(Self.config(lane: #"display = { kind = "serial", path = "/dev/ttyUSB1" }"#, extraLane: second))
            .contains { $0.contains("already the display of lane") })
    }
}
