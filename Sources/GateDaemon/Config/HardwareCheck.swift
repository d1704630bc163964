import GateCore
import GateHardware
#if canImport(Glibc)
import Glibc
#endif

/// `config check --hardware`: what the configuration names, met on this machine — every GPIO
/// line requested and released again, every lane's scanner and receipt printer looked up
/// (present or missing).
///
/// Run it with the daemon stopped: a line the daemon holds is reported busy, which is the truth
/// but not a wiring fault.
public enum HardwareCheck {
    /// One thing checked.
    public struct Finding: Sendable, Equatable, CustomStringConvertible {
        /// The config key, e.g. `lanes.main.relay`.
        public var key: String
        public var ok: Bool
        public var detail: String
        public var description: String { "\(ok ? "ok     " : "PROBLEM") \(key): \(detail)" }
    }

    /// Checks every line and scanner of `config`. `devices` lists what udev sees (tests pass
    /// their own); the simulated chip stands behind `chip = "sim"`.
    public static func run(_ config: GateConfig, simulated: SimulatedGPIOChip = SimulatedGPIOChip(),
                           devices: () throws -> [ScannerDevice] = { try UdevWatcher.enumerate() }) -> [Finding] {
        let opener = GPIOChipOpener(simulated: simulated)
        var findings: [Finding] = []
        var lines: [(String, GPIOLineConfig, Bool)] = []
        if let emergency = config.gate.emergency { lines.append(("gate.emergency", emergency, true)) }
        for lane in config.lanes {
            for (name, line) in lane.lines {
                lines.append(("lanes.\(lane.name).\(name)", line, name == "sensor"))
            }
        }
        for (key, line, input) in lines {
            findings.append(check(line, input: input, key: key, opener: opener))
        }
        var udev: Result<[ScannerDevice], any Error>?
        for lane in config.lanes {
            let key = "lanes.\(lane.name).scanner"
            let scanner = lane.scanner
            if scanner.kind == .stdin {
                findings.append(Finding(key: key, ok: true, detail: "standard input — for the demo and tests; under systemd it is empty"))
            } else if let path = scanner.path {
                findings.append(check(path: path, key: key))
            } else {
                if udev == nil { udev = Result { try devices() } }
                switch udev! {
                case .failure(let error):
                    findings.append(Finding(key: key, ok: false, detail: "cannot ask udev for devices: \(error) — is udevd running?"))
                case .success(let all):
                    let wanted = all.filter(scanner.wants).map(\.devnode).sorted()
                    let match = scanner.match.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                    findings.append(wanted.isEmpty
                        ? Finding(key: key, ok: false, detail: "missing — no \(scanner.kind.rawValue) device matches \(match); plug it in, then compare with `eguma-gate scanners`")
                        : Finding(key: key, ok: true, detail: "present: \(wanted.joined(separator: ", "))"))
                }
            }
        }
        for lane in config.lanes {
            guard let printer = lane.guestInput.printer else { continue }
            findings.append(checkPrinter(printer, key: "lanes.\(lane.name).printer"))
        }
        return findings
    }

    /// A receipt printer's node: there, and writable by this user (USB: group lp; serial: the tty's group).
    private static func checkPrinter(_ printer: LaneGuestInputConfig.Printer, key: String) -> Finding {
        let path = printer.path
        var info = stat()
        guard stat(path, &info) == 0 else {
            let hint = printer.kind == .usblp ? "switch the printer on and plug it in (kernel driver usblp: `modprobe usblp`)"
                                              : "plug the printer's serial adapter in, or correct printer.path"
            return Finding(key: key, ok: false, detail: "missing — \(path): \(String(cString: strerror(errno))); \(hint)")
        }
        guard access(path, W_OK) == 0 else {
            let group = printer.kind == .usblp ? "lp" : "dialout"
            return Finding(key: key, ok: false, detail: "\(path) is there but not writable: \(String(cString: strerror(errno))) — is the service user in group \(group)?")
        }
        return Finding(key: key, ok: true, detail: "present: \(path) (\(printer.kind.rawValue))")
    }

    private static func check(_ line: GPIOLineConfig, input: Bool, key: String, opener: GPIOChipOpener) -> Finding {
        do {
            let chip = try opener.open(line.chip)
            if input {
                let requested = try chip.requestInput(line.line, edge: line.edge, bias: line.bias, activeLow: line.activeLow,
                                                      consumer: GPIOChipOpener.consumer)
                let level = (try? requested.isActive()).map { $0 ? "active" : "inactive" } ?? "unreadable"
                requested.release()
                return Finding(key: key, ok: true, detail: "\(line) requested as input (now \(level)) and released\(simulatedNote(line))")
            }
            // Requested inactive, so a relay is never energised by the check.
            let requested = try chip.requestOutput(line.line, activeLow: line.activeLow, consumer: GPIOChipOpener.consumer)
            requested.release()
            return Finding(key: key, ok: true, detail: "\(line) requested as output (inactive) and released\(simulatedNote(line))")
        } catch {
            return Finding(key: key, ok: false, detail: error.description)
        }
    }

    private static func simulatedNote(_ line: GPIOLineConfig) -> String {
        line.isSimulated ? " — the simulated chip, no hardware" : ""
    }

    private static func check(path: String, key: String) -> Finding {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return Finding(key: key, ok: false, detail: "missing — \(path): \(String(cString: strerror(errno))); plug the scanner in (or start socat/ser2net)")
        }
        guard access(path, R_OK | W_OK) == 0 else {
            return Finding(key: key, ok: false, detail: "\(path) is there but not readable and writable: \(String(cString: strerror(errno))) — is the service user in group eguma-gate (udev rules)?")
        }
        return Finding(key: key, ok: true, detail: "present: \(path)")
    }
}
