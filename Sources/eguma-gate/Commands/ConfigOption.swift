import ArgumentParser
import GateDaemon

/// `--config FILE` (default `/etc/eguma-gate/eguma-gate.toml`) for every command that needs the
/// configuration, the database or the daemon.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "Configuration file.")
    var config: String = GateConfig.defaultPath

    init() {}

    init(config: String) { self.config = config }

    /// Loads and validates; any problem is a usage error (exit 2) listing every problem.
    func load() throws -> GateConfig {
        do {
            return try GateConfig.load(path: config)
        } catch {
            throw CLIError.usage("configuration is not valid:\n" + error.errors.map { "  " + $0.description }.joined(separator: "\n"))
        }
    }

    /// The configured journal, read directly (`events`, `outbox`, `report`, `reconcile`); exit 1
    /// when it does not exist yet or cannot be opened. Pass the configuration when the command
    /// already loaded it: each load parses the file (and checks its TOML in a child) again.
    func journal(_ loaded: GateConfig? = nil) async throws -> JournalView {
        let config = try loaded ?? load()
        do { return try await JournalView.open(path: config.gate.database) } catch { throw CLIError.runtime(error.description) }
    }
}
