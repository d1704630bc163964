import EgumaAPI
import Foundation
import GateCore

/// What `eguma-gate setup` asks, as rules and TOML: what an answer must look like, what e-guma's
/// answer to the key check means, which scanner entry a picked device becomes, and the value each
/// answer is written as. The command only asks, pulses the relay and prints; the file is then
/// edited key by key (`ConfigEditor`) and checked as a whole (`check`) before it is written.
public enum SetupAnswers {
    // MARK: rules (nil = acceptable, else what to tell the technician)

    public static func gateNameProblem(_ name: String) -> String? {
        name.isEmpty || name.contains("/") ? "a name without /" : nil
    }

    public static func outletNameProblem(_ name: String) -> String? {
        !name.isEmpty && name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) ? nil : "letters, digits, - and _ only"
    }

    public static func laneNameProblem(_ name: String) -> String? {
        name.isEmpty || name.contains("/") || name.contains(".") ? "a short name without / or ." : nil
    }

    public static func priceProblem(_ text: String) -> String? {
        Money(decimal: text) == nil ? "write it like 25.00" : nil
    }

    public static func chipProblem(_ text: String) -> String? {
        text.isEmpty ? "required" : nil
    }

    public static func relayLineProblem(_ text: String) -> String? {
        GPIOLineID(parsing: text) == nil ? "an offset like 17 or a name like GPIO17" : nil
    }

    /// Empty means "no sensor".
    public static func sensorLineProblem(_ text: String) -> String? {
        text.isEmpty || GPIOLineID(parsing: text) != nil ? nil : "an offset, a name, or empty"
    }

    public static let pulseRange = 50...30_000

    public static func pulseProblem(_ text: String) -> String? {
        Int(text).map { pulseRange.contains($0) } == true ? nil : "\(pulseRange.lowerBound)…\(pulseRange.upperBound)"
    }

    /// The fleet's secret files and the code key are named by absolute paths (the daemon's
    /// working directory is not the technician's).
    public static func absolutePathProblem(_ text: String) -> String? {
        text.hasPrefix("/") && !text.hasSuffix("/") ? nil : "an absolute file path, e.g. /etc/eguma-gate/keys/fleet-code.key"
    }

    /// A new site code key (`[fleet] code_key_file`): 32 random bytes from the system's CSPRNG,
    /// base64 — more than the 16 bytes the fleet requires, text so it survives copying.
    public static func newCodeKey() -> String {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }).base64EncodedString()
    }

    // MARK: the key check

    /// What e-guma's answer to a Balance call for a code that does not exist says about the key.
    public enum KeyVerdict: Equatable, Sendable {
        case accepted
        /// HTTP 401: the key is wrong.
        case refused
        /// e-guma could not be asked (offline, timeout, server error): the key is unknown.
        case unchecked(String)
    }

    /// The code asked for: valid in form, so only the key decides between 401 and "not found".
    public static let keyCheckCode = "SETUPCHECK00"

    /// With a valid key e-guma answers 200 ("not found", not redeemable) or 400/404; 401 without.
    public static func keyVerdict(_ error: EgumaError?) -> KeyVerdict {
        guard let error else { return .accepted }
        switch error.kind {
        case .badRequest, .httpStatus(404, _): return .accepted
        case .unauthorized: return .refused
        case .notSent, .uncertain, .httpStatus, .undecodable: return .unchecked("\(error)")
        }
    }

    // MARK: scanners

    /// The devices setup offers: scanners eguma-gate can read that sit on a bus (not virtual
    /// consoles), in device-node order.
    public static func scannerCandidates(_ devices: [ScannerDevice]) -> [ScannerDevice] {
        devices.filter { $0.kind != nil && ($0.properties["ID_BUS"] != nil || $0.properties["ID_VENDOR_ID"] != nil) }
            .sorted { $0.devnode < $1.devnode }
    }

    /// The scanner entry for a picked device: matched by its serial number when it has one (it
    /// survives replugging into another port), else by vendor and model, else by its path.
    public static func scannerConfig(for device: ScannerDevice, layout: LaneScannerConfig.Layout = .ch) -> LaneScannerConfig? {
        guard let kind = device.kind else { return nil }
        let p = device.properties
        var match: [String: String] = [:]
        if let serial = p["ID_SERIAL"] { match["ID_SERIAL"] = serial } else {
            if let v = p["ID_VENDOR_ID"] { match["ID_VENDOR_ID"] = v }
            if let m = p["ID_MODEL_ID"] { match["ID_MODEL_ID"] = m }
        }
        var config = LaneScannerConfig(kind: kind, match: match, path: match.isEmpty ? device.devnode : nil)
        if kind == .serial { config.terminator = .cr }
        if kind == .hid { config.layout = layout }
        return config
    }

    // MARK: TOML values

    /// A TOML basic string (`TOMLText`, as `config show` and `config set` write them).
    public static func string(_ text: String) -> String { TOMLText.string(text) }

    /// A GPIO line as the file writes it: an offset bare, a name quoted.
    public static func line(_ text: String) -> String {
        Int(text) != nil ? text : string(text)
    }

    /// A configured line as setup shows it for a default.
    public static func lineText(_ config: GPIOLineConfig) -> String {
        switch config.line {
        case .offset(let n): String(n)
        case .name(let s): s
        }
    }

    /// Whole milliseconds, as `pulse_ms` is written.
    public static func milliseconds(_ duration: Duration) -> String { String(TOMLText.milliseconds(duration)) }

    public static func relay(chip: String, line: String, activeLow: Bool, pulseMs: String) -> String {
        "{ chip = \(string(chip)), line = \(self.line(line)), active_low = \(activeLow), pulse_ms = \(pulseMs) }"
    }

    /// A passage sensor that pulls a dry contact to ground: falling edge, pull-up, 20 ms debounce.
    public static func sensor(chip: String, line: String) -> String {
        "{ chip = \(string(chip)), line = \(self.line(line)), edge = \"falling\", bias = \"pull-up\", debounce_ms = 20 }"
    }

    public static func scanner(_ c: LaneScannerConfig) -> String {
        var parts = ["kind = \(string(c.kind.rawValue))"]
        if let path = c.path { parts.append("path = \(string(path))") }
        if !c.match.isEmpty {
            parts.append("match = { " + c.match.sorted { $0.key < $1.key }.map { "\($0.key) = \(string($0.value))" }.joined(separator: ", ") + " }")
        }
        if c.kind == .serial { parts.append("baud = \(c.baud)"); parts.append("terminator = \(string(c.terminator.rawValue))") }
        if c.kind == .hid { parts.append("layout = \(string(c.layout.rawValue))") }
        return "{ " + parts.joined(separator: ", ") + " }"
    }

    public static let stdinScanner = "{ kind = \"stdin\" }"

    // MARK: the whole file

    /// Why setup writes nothing: the edited file would not be a valid configuration.
    public struct Refusal: Error, CustomStringConvertible {
        public let description: String
    }

    /// Parses the edited file as `run` would and reads the outlet's key file; throws what is wrong.
    public static func check(_ text: String, file: String, outlet: String) throws(Refusal) {
        do {
            let checked = try GateConfig.parse(text: text, file: file)
            _ = try checked.outlets[outlet]?.loadKey(configFile: file)
        } catch let error as ConfigErrors {
            throw Refusal(description: "not written — the result would be invalid:\n" + error.description)
        } catch {
            throw Refusal(description: "not written: \(error)")
        }
    }
}
