import GateCore
import GateDaemon
import Testing

@Suite struct ScannerConfigReaderTests {
    @Test func readsEveryLanesScannerTable() throws {
        let toml = """
            [gate]
            name = "spa-north"

            [lanes.main]
            outlet = "spa"
            scanner = { kind = "serial", match = { ID_VENDOR_ID = "05e0" }, baud = 9600, terminator = "crlf" }

            [lanes.side]
            scanner = { kind = "hid", match = { ID_SERIAL = "HW_1900" }, layout = "ch", idle_ms = 80 }

            [lanes.nothing]
            outlet = "spa"
            """
        let lanes = try ScannerConfigReader.read(toml: toml, file: "gate.toml")
        #expect(lanes.map(\.lane) == ["main", "side"])
        #expect(lanes[0].scanner == LaneScannerConfig(kind: .serial, match: ["ID_VENDOR_ID": "05e0"], terminator: .crlf))
        #expect(lanes[1].scanner == LaneScannerConfig(kind: .hid, match: ["ID_SERIAL": "HW_1900"], idleMs: 80, layout: .ch))
    }

    @Test func aBadValueNamesFileLaneAndKey() {
        let toml = """
            [lanes.main]
            scanner = { kind = "serial", path = "/dev/ttyACM0", terminator = "semicolon" }
            """
        #expect {
            try ScannerConfigReader.read(toml: toml, file: "gate.toml")
        } throws: { error in
            "\(error)".hasPrefix("gate.toml:2: lanes.main.scanner.terminator: unknown terminator")
        }
    }

    @Test func anUnknownKeyIsRefused() {
        let toml = "[lanes.main]\nscanner = { kind = \"stdin\", speed = 3 }\n"
        #expect(throws: ScannerConfigReader.Failure.self) { try ScannerConfigReader.read(toml: toml, file: "f") }
    }

    @Test func aSyntaxErrorGivesTheLine() {
        #expect {
            try ScannerConfigReader.read(toml: "[lanes.main]\nscanner = {", file: "gate.toml")
        } throws: { error in
            "\(error)".hasPrefix("gate.toml:2")
        }
    }
}
