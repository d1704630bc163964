import GateCore
import TOMLKit

/// Reads only the lanes' `scanner = { … }` tables from the TOML configuration (SPEC §5), for
/// `eguma-gate scanners --config`. The full loader reuses `LaneScannerConfig.parse`.
public enum ScannerConfigReader {
    /// A configuration that cannot be read, with file and key.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Lane name → scanner configuration, sorted by lane name. Lanes without `scanner` are left out.
    public static func read(toml text: String, file: String) throws(Failure) -> [(lane: String, scanner: LaneScannerConfig)] {
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw Failure(description: "\(file):\(error.source.begin.line): \(error.description)")
        } catch {
            throw Failure(description: "\(file): \(error)")
        }
        guard let lanesValue = root["lanes"] else { return [] }
        guard let lanes = lanesValue.table else { throw Failure(description: "\(file): lanes: must be a table of lanes") }
        var result: [(String, LaneScannerConfig)] = []
        for name in lanes.keys.sorted() {
            guard let lane = lanes[name]?.table else { throw Failure(description: "\(file): lanes.\(name): must be a table") }
            guard let scannerValue = lane["scanner"] else { continue }
            guard let scanner = scannerValue.table else {
                throw Failure(description: "\(file): lanes.\(name).scanner: must be a table like { kind = \"serial\", … }")
            }
            var match: [String: String]?
            if let m = scanner["match"] {
                guard let table = m.table else {
                    throw Failure(description: "\(file): lanes.\(name).scanner.match: must be a table of udev properties")
                }
                var dict: [String: String] = [:]
                for key in table.keys {
                    guard let value = table[key]?.string else {
                        throw Failure(description: "\(file): lanes.\(name).scanner.match.\(key): must be a string")
                    }
                    dict[key] = value
                }
                match = dict
            }
            let known: Set = ["kind", "match", "path", "baud", "terminator", "idle_ms", "layout"]
            if let unknown = scanner.keys.first(where: { !known.contains($0) }) {
                throw Failure(description: "\(file): lanes.\(name).scanner.\(unknown): unknown key")
            }
            do {
                let config = try LaneScannerConfig.parse(
                    kind: try string(scanner, "kind", name, file), match: match,
                    path: try string(scanner, "path", name, file), baud: try int(scanner, "baud", name, file),
                    terminator: try string(scanner, "terminator", name, file),
                    idleMs: try int(scanner, "idle_ms", name, file), layout: try string(scanner, "layout", name, file))
                result.append((name, config))
            } catch let problem as LaneScannerConfig.Problem {
                throw Failure(description: "\(file): lanes.\(name).\(problem.description)")
            } catch let failure as Failure {
                throw failure
            } catch {
                throw Failure(description: "\(file): lanes.\(name).scanner: \(error)")
            }
        }
        return result
    }

    private static func string(_ t: TOMLTable, _ key: String, _ lane: String, _ file: String) throws(Failure) -> String? {
        guard let v = t[key] else { return nil }
        guard let s = v.string else { throw Failure(description: "\(file): lanes.\(lane).scanner.\(key): must be a string") }
        return s
    }

    private static func int(_ t: TOMLTable, _ key: String, _ lane: String, _ file: String) throws(Failure) -> Int? {
        guard let v = t[key] else { return nil }
        guard let i = v.int else { throw Failure(description: "\(file): lanes.\(lane).scanner.\(key): must be an integer") }
        return i
    }
}
