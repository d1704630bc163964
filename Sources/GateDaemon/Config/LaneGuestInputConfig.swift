/// What a lane's guest can do besides scanning (SPEC §10 "Counter"): type a code on the kiosk
/// screen (`keypad`), and take a receipt (`receipt`, `printer`).
public struct LaneGuestInputConfig: Sendable, Equatable {
    /// `receipt = "off" | "always" | "ask"`.
    public enum ReceiptMode: String, Sendable, CaseIterable { case off, always, ask }

    /// `printer = { kind = "usblp" | "serial", path = "…", baud = 9600 }`: an ESC/POS receipt printer.
    public struct Printer: Sendable, Equatable {
        public enum Kind: String, Sendable, CaseIterable { case usblp, serial }
        public var kind: Kind
        public var path: String
        /// Serial printers only (default 9600).
        public var baud: Int
    }

    /// `keypad = true`: the kiosk page shows a touch keyboard; a typed code is handled as a scan.
    public var keypad = false
    public var receipt = ReceiptMode.off
    public var printer: Printer?

    static func parse(_ r: ConfigReader, mode: LaneConfig.Mode) -> LaneGuestInputConfig {
        var input = LaneGuestInputConfig()
        input.keypad = r.bool("keypad", default: false)
        if input.keypad && mode == .balance {
            r.problem("keypad", "a keypad types codes for admission: set it on a gate lane (mode = \"gate\") or remove it")
        }
        input.receipt = ReceiptMode(rawValue: r.choice("receipt", ReceiptMode.allCases.map(\.rawValue), default: "off")) ?? .off
        if let p = r.table("printer") { input.printer = parsePrinter(p) }
        if input.receipt != .off && input.printer == nil && r.table("printer") == nil {
            r.problem("printer", "missing — receipt = \"\(input.receipt.rawValue)\" needs printer = { kind = \"usblp\", path = \"/dev/usb/lp0\" } (or set receipt = \"off\")")
        }
        if input.receipt != .off && mode == .balance {
            r.problem("receipt", "receipts are printed after an admission: a balance-check lane has none — set receipt = \"off\"")
        }
        return input
    }

    /// What needs the kiosk server (`[gate] display`): the keypad, and the receipt button of "ask".
    func kioskProblems(lane: String, kioskOn: Bool) -> [(key: String, reason: String)] {
        guard !kioskOn else { return [] }
        var out: [(key: String, reason: String)] = []
        if keypad {
            out.append(("lanes.\(lane).keypad", "the keypad is on the kiosk page: set [gate] display = \"127.0.0.1:8080\" or remove keypad"))
        }
        if receipt == .ask {
            out.append(("lanes.\(lane).receipt", "\"ask\" shows a receipt button on the kiosk page: set [gate] display = \"127.0.0.1:8080\", or use \"always\" or \"off\""))
        }
        return out
    }

    static func parsePrinter(_ r: ConfigReader) -> Printer? {
        defer { r.rejectUnknownKeys(hint: "printer keys are kind, path, baud") }
        let kind = Printer.Kind(rawValue: r.choice("kind", Printer.Kind.allCases.map(\.rawValue), default: "usblp")) ?? .usblp
        let path = r.string("path") ?? ""
        if path.isEmpty {
            r.problem("path", kind == .usblp ? "missing — the printer's node, e.g. \"/dev/usb/lp0\""
                                             : "missing — the printer's serial port, e.g. \"/dev/ttyUSB2\"")
        }
        let baud = r.integer("baud", default: 9600, range: 1200...230_400)
        if kind == .usblp && r.raw("baud") != nil { r.problem("baud", "only a serial printer has a baud rate — remove it for kind = \"usblp\"") }
        return path.isEmpty ? nil : Printer(kind: kind, path: path, baud: baud)
    }
}
