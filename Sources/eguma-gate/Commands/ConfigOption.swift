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
}
