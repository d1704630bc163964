import GateCore

/// Reads only the lanes' `scanner = { … }` tables from the TOML configuration (SPEC §5), for
/// `eguma-gate scanners --config` on a file that may not be complete yet (no outlets, no price).
/// The tables are validated exactly as the full loader does (`LaneConfig.parseScanner`).
public enum ScannerConfigReader {
    /// A configuration that cannot be read, with file, line and key.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Lane name → scanner configuration, sorted by lane name. Lanes without `scanner` are left out.
    public static func read(toml text: String, file: String) throws(Failure) -> [(lane: String, scanner: LaneScannerConfig)] {
        let document: [String: ConfigValue]
        do {
            document = try ConfigValue.parse(toml: text, file: file)
        } catch {
            throw Failure(description: error.description)
        }
        let context = ConfigContext(file: file, text: text)
        let root = ConfigReader(table: document, path: "", context: context)
        var result: [(lane: String, scanner: LaneScannerConfig)] = []
        for (name, lane) in root.table("lanes")?.tables() ?? [] where lane.has("scanner") {
            if let scanner = lane.table("scanner").flatMap(LaneConfig.parseScanner) {
                result.append((name, scanner))
            }
        }
        if !context.errors.isEmpty {
            throw Failure(description: context.errors.map(\.description).joined(separator: "\n"))
        }
        return result
    }
}
