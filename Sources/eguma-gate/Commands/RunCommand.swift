import ArgumentParser
import Foundation
import GateDaemon
import Logging

/// `eguma-gate run [--config F]`: the daemon (systemd `Type=notify`).
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run the gate daemon (systemd Type=notify: READY, WATCHDOG, STATUS).",
        discussion: "SIGTERM/SIGINT: the admission in flight finishes or is cancelled, relays go inactive. SIGHUP: reload prices, products and policies.")

    @OptionGroup var options: ConfigOption
    @Option(help: "Log level: debug, info, notice, warning, error.") var logLevel = "info"

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in GateLogHandler(label: label, level: level) }
        let logger = Logger(label: "eguma-gate")
        let config = try options.load()
        let runtime: GateRuntime
        do {
            runtime = try await GateRuntime.start(config: config, logger: logger)
        } catch {
            logger.critical("\(error.description)")
            throw error.isConfiguration ? CLIError.usage(error.description) : CLIError.runtime(error.description)
        }
        do {
            try await runtime.run()
        } catch {
            throw CLIError.runtime("the gate stopped: \(error)")
        }
    }
}
