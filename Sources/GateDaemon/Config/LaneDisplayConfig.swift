import GateCore

/// A lane's `display = { … }`: the guest display besides the kiosk page.
///
/// - `kind = "serial"`: a 2×20 pole display on `path` at `baud` (default 9600), characters in
///   `codepage` (`cp437` default, `cp850`, or `ascii` = transliterated), long rows scrolling
///   every `scroll_ms` (default 350).
/// - `kind = "web"`: the kiosk page only (served for every lane when `[gate] display` is set);
///   written out for clarity, it needs `[gate] display`.
public enum LaneDisplayConfig: Sendable, Equatable {
    case serial(path: String, baud: Int, codepage: PoleCodepage, scroll: Duration)
    case web

    static func parse(_ r: ConfigReader) -> LaneDisplayConfig? {
        let kind = r.choice("kind", ["serial", "web"], default: "")
        defer { r.rejectUnknownKeys(hint: "display keys are kind, path, baud, codepage, scroll_ms") }
        switch kind {
        case "serial":
            let path = r.string("path") ?? ""
            if path.isEmpty { r.problem("path", "missing — the pole display's serial port, e.g. \"/dev/ttyUSB1\"") }
            let baud = r.integer("baud", default: 9600, range: 1200...230_400)
            if ![1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400].contains(baud) {
                r.problem("baud", "\(baud) is not a standard baud rate (pole displays: 9600, sometimes 19200)")
            }
            let codepage = PoleCodepage(rawValue: r.choice("codepage", PoleCodepage.allCases.map(\.rawValue), default: "cp437")) ?? .cp437
            let scroll = r.integer("scroll_ms", default: 350, range: 100...5_000)
            return path.isEmpty ? nil : .serial(path: path, baud: baud, codepage: codepage, scroll: .milliseconds(scroll))
        case "web":
            return .web
        default:
            r.problem("kind", "missing — \"serial\" (pole display) or \"web\" (kiosk page, needs [gate] display)")
            return nil
        }
    }
}
