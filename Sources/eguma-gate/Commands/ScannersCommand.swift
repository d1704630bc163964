import ArgumentParser
import Foundation
import GateCore
import GateDaemon
import GateHardware

/// `eguma-gate scanners`: what udev sees now, and which lane each scanner would serve.
struct ScannersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scanners", abstract: "List scanners udev sees now and the lane each matches.",
        discussion: """
            Lists serial ports, keyboards (keyboard-wedge scanners) and hidraw nodes with their
            vendor/model id, serial and udev tags. Built-in serial ports and virtual consoles are
            hidden unless a lane wants them or --all is given.
            """)

    @Option(name: .long, help: "Configuration file whose lanes' scanner tables are matched against the devices.")
    var config: String?

    @Flag(name: .long, help: "Also list built-in serial ports and virtual consoles.")
    var all = false

    func run() async throws {
        var lanes: [(lane: String, scanner: LaneScannerConfig)] = []
        if let config {
            let text: String
            do {
                text = try String(contentsOfFile: config, encoding: .utf8)
            } catch {
                throw CLIError.usage("read \(config): \((error as NSError).localizedDescription)")
            }
            do {
                lanes = try ScannerConfigReader.read(toml: text, file: config)
            } catch {
                throw CLIError.usage(error.description)
            }
        }
        let devices: [ScannerDevice]
        do {
            devices = try UdevWatcher.enumerate()
        } catch {
            throw CLIError.runtime(error.description)
        }
        print(Self.render(devices: devices, lanes: lanes, all: all), terminator: "")
    }

    /// The table printed; one row per device, then lanes that found nothing.
    static func render(devices: [ScannerDevice], lanes: [(lane: String, scanner: LaneScannerConfig)], all: Bool) -> String {
        var rows: [[String]] = [["NODE", "KIND", "VENDOR", "MODEL", "SERIAL", "TAGS", "LANE"]]
        var served: Set<String> = []
        for device in devices.sorted(by: { $0.devnode < $1.devnode }) {
            guard let kind = device.kind else { continue }
            let wanting = lanes.filter { $0.scanner.wants(device) }.map(\.lane)
            served.formUnion(wanting)
            let p = device.properties
            let isPeripheral = p["ID_BUS"] != nil || p["ID_VENDOR_ID"] != nil || device.tags.contains("eguma-gate")
            guard all || isPeripheral || !wanting.isEmpty else { continue }
            rows.append([
                device.devnode, kind.rawValue, p["ID_VENDOR_ID"] ?? "-", p["ID_MODEL_ID"] ?? "-",
                p["ID_SERIAL_SHORT"] ?? p["ID_SERIAL"] ?? "-",
                device.tags.isEmpty ? "-" : device.tags.sorted().joined(separator: ","),
                wanting.isEmpty ? "-" : wanting.joined(separator: ","),
            ])
        }
        var out = ""
        if rows.count == 1 {
            out += "No scanners found (USB serial ports, keyboards, hidraw nodes). Is the scanner plugged in?\n"
        } else {
            let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                let cells = row.enumerated().map { i, cell in
                    i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                }
                out += cells.joined(separator: "  ") + "\n"
            }
        }
        for entry in lanes where !served.contains(entry.lane) {
            let how: String = switch entry.scanner.kind {
            case .stdin: "reads standard input"
            default:
                entry.scanner.path.map { "path \($0)" }
                    ?? entry.scanner.match.sorted(by: { $0.key < $1.key }).map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            }
            let note = entry.scanner.kind == .stdin ? "" : " — no device present matches (\(how))"
            out += "lane \(entry.lane): \(entry.scanner.kind.rawValue) scanner\(note.isEmpty ? ", \(how)" : note)\n"
        }
        return out
    }
}
