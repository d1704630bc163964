import EgumaAPI
import Foundation
import GateCore
import GateDaemon
import Testing

/// `SetupAnswers`: setup's rules and the TOML it writes (issue 11 design: the command only asks
/// and prints). Every value written must parse back through the real config reader as the same
/// value; SetupCommandTests drive the wizard end to end.
struct SetupAnswersTests {
    /// A valid file around one lane whose `relay`, `sensor` and `scanner` values are given.
    static func file(gateName: String = "\"g\"", relay: String, sensor: String? = nil, scanner: String) -> String {
        """
        [gate]
        name = \(gateName)
        database = "/tmp/g.db"
        [api]
        base_url = "http://127.0.0.1:8080"
        [outlets.spa]
        api_key_env = "K"
        [lanes.main]
        outlet = "spa"
        price = "25.00"
        scanner = \(scanner)
        relay = \(relay)
        \(sensor.map { "sensor = \($0)" } ?? "")
        """
    }

    @Test(arguments: ["spa \"north\"", #"back\slash"#, "tab\there", "new\nline", "bell\u{07}", "Zürich Thermalbad 🛁"])
    func anyNameIsOneTOMLStringThatReadsBackTheSame(name: String) throws {
        let text = Self.file(gateName: SetupAnswers.string(name), relay: SetupAnswers.relay(chip: "sim", line: "0", activeLow: false, pulseMs: "800"),
                             scanner: SetupAnswers.stdinScanner)
        #expect(try GateConfig.parse(text: text, file: "t").gate.name == name)
    }

    @Test func relayAndSensorValuesReadBackAsAnswered() throws {
        let text = Self.file(relay: SetupAnswers.relay(chip: "gpiochip0", line: "GPIO17", activeLow: true, pulseMs: "1200"),
                             sensor: SetupAnswers.sensor(chip: "gpiochip0", line: "27"), scanner: SetupAnswers.stdinScanner)
        let lane = try #require(try GateConfig.parse(text: text, file: "t").lane("main"))
        #expect(lane.relay?.line == .name("GPIO17") && lane.relay?.activeLow == true)
        #expect(lane.settings.pulse == .milliseconds(1200))
        #expect(SetupAnswers.milliseconds(lane.settings.pulse) == "1200")
        #expect(lane.sensor?.line == .offset(27) && lane.sensor?.edge == .falling && lane.sensor?.bias == .pullUp)
        #expect(lane.sensor.map(SetupAnswers.lineText) == "27" && lane.relay.map(SetupAnswers.lineText) == "GPIO17")
    }

    @Test func aPickedScannerIsMatchedBySerialElseVendorAndModelElsePath() throws {
        let bySerial = ScannerDevice(syspath: "/sys/a", devnode: "/dev/ttyACM0", subsystem: "tty",
                                     properties: ["ID_SERIAL": "Symbol_DS4308 \"7\"", "ID_VENDOR_ID": "05e0", "ID_BUS": "usb"])
        let serial = try #require(SetupAnswers.scannerConfig(for: bySerial))
        #expect(serial.match == ["ID_SERIAL": "Symbol_DS4308 \"7\""] && serial.path == nil && serial.terminator == .cr)

        let byModel = ScannerDevice(syspath: "/sys/b", devnode: "/dev/input/event4", subsystem: "input",
                                    properties: ["ID_VENDOR_ID": "0c2e", "ID_MODEL_ID": "0b61", "ID_INPUT_KEYBOARD": "1"])
        let model = try #require(SetupAnswers.scannerConfig(for: byModel, layout: .de))
        #expect(model.kind == .hid && model.match == ["ID_VENDOR_ID": "0c2e", "ID_MODEL_ID": "0b61"] && model.layout == .de)

        let byPath = ScannerDevice(syspath: "/sys/c", devnode: "/dev/hidraw2", subsystem: "hidraw")
        #expect(SetupAnswers.scannerConfig(for: byPath)?.path == "/dev/hidraw2")
        #expect(SetupAnswers.scannerConfig(for: ScannerDevice(syspath: "/sys/d", devnode: "/dev/sda", subsystem: "block")) == nil)

        // Each entry, written and read back, is the same scanner (the serial's quotes included).
        for config in [serial, model, try #require(SetupAnswers.scannerConfig(for: byPath))] {
            let text = Self.file(relay: SetupAnswers.relay(chip: "sim", line: "0", activeLow: false, pulseMs: "800"), scanner: SetupAnswers.scanner(config))
            let read = try #require(try GateConfig.parse(text: text, file: "t").lane("main")?.scanner)
            #expect(read.kind == config.kind && read.match == config.match && read.path == config.path, "\(SetupAnswers.scanner(config))")
        }
        #expect(SetupAnswers.scannerCandidates([byPath, bySerial, byModel]).map(\.devnode) == ["/dev/input/event4", "/dev/ttyACM0"],
                "only devices on a bus, in node order")
    }

    @Test func theKeyCheckTellsAcceptedRefusedAndUnknownApart() {
        func error(_ kind: EgumaError.Kind) -> EgumaError { EgumaError(kind: kind, endpoint: .balance, maskedCode: "••••-••••-CK00") }
        #expect(SetupAnswers.keyVerdict(nil) == .accepted)
        #expect(SetupAnswers.keyVerdict(error(.badRequest(message: "Gutschein nicht gefunden"))) == .accepted)
        #expect(SetupAnswers.keyVerdict(error(.httpStatus(code: 404, message: ""))) == .accepted)
        #expect(SetupAnswers.keyVerdict(error(.unauthorized(message: "bad key"))) == .refused)
        for kind: EgumaError.Kind in [.notSent(reason: "connection refused"), .uncertain(reason: "timeout"), .httpStatus(code: 500, message: ""), .undecodable(detail: "html")] {
            guard case .unchecked = SetupAnswers.keyVerdict(error(kind)) else {
                Issue.record("\(kind) must leave the key unchecked, not accepted or refused")
                continue
            }
        }
    }

    @Test func theRulesRefuseWhatTheFileCannotHold() {
        #expect(SetupAnswers.gateNameProblem("spa/north") != nil && SetupAnswers.gateNameProblem("spa-north") == nil)
        #expect(SetupAnswers.outletNameProblem("spa shop") != nil && SetupAnswers.outletNameProblem("spa_2") == nil)
        #expect(SetupAnswers.laneNameProblem("main.1") != nil && SetupAnswers.laneNameProblem("main") == nil)
        #expect(SetupAnswers.priceProblem("25,00") != nil && SetupAnswers.priceProblem("25.00") == nil)
        #expect(SetupAnswers.pulseProblem("49") != nil && SetupAnswers.pulseProblem("30001") != nil && SetupAnswers.pulseProblem("800") == nil)
        #expect(SetupAnswers.relayLineProblem("") != nil && SetupAnswers.sensorLineProblem("") == nil)
    }

    @Test func aResultThatWouldNotLoadIsRefusedWithEveryProblem() {
        let broken = Self.file(relay: "{ chip = \"sim\", line = 0, pulse_ms = 5 }", scanner: SetupAnswers.stdinScanner)
        #expect { try SetupAnswers.check(broken, file: "t.toml", outlet: "spa") } throws: { error in
            "\(error)".hasPrefix("not written — the result would be invalid:") && "\(error)".contains("pulse_ms")
        }
    }
}
