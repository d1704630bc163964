import GateCore
import Testing

@Suite struct LaneScannerConfigTests {
    let acm = ScannerDevice(
        syspath: "/sys/devices/usb1/1-1/1-1:1.0/tty/ttyACM0", devnode: "/dev/ttyACM0", subsystem: "tty",
        properties: ["ID_VENDOR_ID": "05E0", "ID_MODEL_ID": "1200", "ID_SERIAL": "Symbol_123",
                     "DEVLINKS": "/dev/serial/by-id/usb-Symbol_123 /dev/eguma-scanner-main"])

    @Test func matchNeedsEveryPropertyCaseInsensitively() {
        #expect(LaneScannerConfig(kind: .serial, match: ["ID_VENDOR_ID": "05e0"]).wants(acm))
        #expect(LaneScannerConfig(kind: .serial, match: ["ID_VENDOR_ID": "05e0", "ID_MODEL_ID": "1200"]).wants(acm))
        #expect(!LaneScannerConfig(kind: .serial, match: ["ID_VENDOR_ID": "05e0", "ID_MODEL_ID": "1300"]).wants(acm))
        #expect(!LaneScannerConfig(kind: .serial, match: ["EGUMA_GATE_LANE": "main"]).wants(acm))
    }

    @Test func theKindMustFitTheSubsystem() {
        #expect(!LaneScannerConfig(kind: .hid, match: ["ID_VENDOR_ID": "05e0"]).wants(acm))
        #expect(!LaneScannerConfig(kind: .hidpos, match: ["ID_VENDOR_ID": "05e0"]).wants(acm))
    }

    @Test func aFixedPathMatchesTheNodeOrAUdevSymlink() {
        #expect(LaneScannerConfig(kind: .serial, path: "/dev/ttyACM0").wants(acm))
        #expect(LaneScannerConfig(kind: .serial, path: "/dev/eguma-scanner-main").wants(acm))
        #expect(!LaneScannerConfig(kind: .serial, path: "/dev/ttyACM1").wants(acm))
    }

    @Test func anEmptyMatchWantsNothing() {
        #expect(!LaneScannerConfig(kind: .serial).wants(acm))
    }

    @Test func hidLanesOnlyTakeEventNodes() {
        var mouse = acm
        mouse.subsystem = "input"
        mouse.devnode = "/dev/input/mouse0"
        #expect(!LaneScannerConfig(kind: .hid, match: ["ID_VENDOR_ID": "05e0"]).wants(mouse))
        mouse.devnode = "/dev/input/event3"
        #expect(LaneScannerConfig(kind: .hid, match: ["ID_VENDOR_ID": "05e0"]).wants(mouse))
    }

    @Test func parseAppliesDefaultsAndValues() throws {
        let c = try LaneScannerConfig.parse(
            kind: "serial", match: ["ID_VENDOR_ID": "05e0"], path: nil, baud: 115200, terminator: "crlf",
            idleMs: nil, layout: nil)
        #expect(c == LaneScannerConfig(kind: .serial, match: ["ID_VENDOR_ID": "05e0"], baud: 115200, terminator: .crlf))
    }

    @Test func parseRefusesUnknownWordsAndUnsupportedBaud() {
        #expect(throws: LaneScannerConfig.Problem.self) {
            try LaneScannerConfig.parse(kind: "usb", match: nil, path: "/dev/x", baud: nil, terminator: nil, idleMs: nil, layout: nil)
        }
        #expect(throws: LaneScannerConfig.Problem(key: "baud", reason: "1234 is not supported (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400)")) {
            try LaneScannerConfig.parse(kind: "serial", match: nil, path: "/dev/x", baud: 1234, terminator: nil, idleMs: nil, layout: nil)
        }
        #expect(throws: LaneScannerConfig.Problem.self) {
            try LaneScannerConfig.parse(kind: "hid", match: nil, path: "/dev/x", baud: nil, terminator: nil, idleMs: nil, layout: "fr")
        }
    }

    @Test func parseRefusesADeviceLaneWithoutMatchOrPath() {
        #expect(throws: LaneScannerConfig.Problem.self) {
            try LaneScannerConfig.parse(kind: "hid", match: nil, path: nil, baud: nil, terminator: nil, idleMs: nil, layout: nil)
        }
        #expect((try? LaneScannerConfig.parse(kind: "stdin", match: nil, path: nil, baud: nil, terminator: nil, idleMs: nil, layout: nil)) != nil)
    }
}
