import ArgumentParser
import GateDaemon
import GateCore
import GateFleet
import Foundation
import Logging

/// `eguma-gate fleet check|migrate` (SPEC §10; docs/fleet.md).
struct FleetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet", abstract: "The venue's shared PostgreSQL: check it, migrate its schema.",
        subcommands: [Check.self, Migrate.self, Status.self])

    /// Exit 2 for configuration, authentication, TLS, schema or gate_id problems; 3 unreachable.
    static func cliError(_ error: any Error) -> CLIError {
        guard let fleet = error as? FleetError else { return .runtime("\(error)") }
        return fleet.isUnreachable ? .unreachable(fleet.description) : .usage(fleet.description)
    }

    static func settings(_ options: ConfigOption) throws -> (settings: FleetSettings, logger: Logger) {
        let config = try options.load()
        guard let fleet = config.fleet else {
            throw CLIError.usage("\(config.file): no [fleet] section — this controller runs on its own (docs/fleet.md says how to set up a fleet)")
        }
        var logger = Logger(label: "eguma-gate.fleet")
        logger.logLevel = .warning
        return (fleet, logger)
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Connect to the fleet's PostgreSQL and check its schema and this gate's id.",
            discussion: "Exit codes: 0 ok, 2 configuration, authentication, TLS or schema problem, 3 PostgreSQL unreachable.")
        @OptionGroup var options: ConfigOption
        func run() async throws {
            let fleet = try FleetCommand.settings(options)
            guard let machineID = FleetRegistration.localMachineID() else {
                throw CLIError.usage("/etc/machine-id is missing or empty — run: systemd-machine-id-setup")
            }
            do {
                let report = try await FleetAdmin.check(fleet.settings, machineID: machineID, logger: fleet.logger)
                let gate = report.registered ? "registered to this machine" : "not registered yet (the daemon registers it at start)"
                print("fleet \(report.server): ok — schema version \(report.schemaVersion), site \(fleet.settings.site), gate \(fleet.settings.gateID) \(gate)")
            } catch {
                throw FleetCommand.cliError(error)
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every gate of the site: last heartbeat and its age, version, lanes, outbox, offline waiting, shipping lag.",
            discussion: "A gate whose last heartbeat is older than --stale-after-s is shown as STALE. Exit 3 when PostgreSQL is unreachable.")
        @OptionGroup var options: ConfigOption
        @Flag(help: "JSON instead of text.") var json = false
        @Option(help: "Seconds without a heartbeat after which a gate is stale.") var staleAfterS = 60
        func run() async throws {
            let fleet = try FleetCommand.settings(options)
            do {
                let status = try await FleetStatus.read(fleet.settings, staleAfter: .seconds(staleAfterS), logger: fleet.logger)
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                    encoder.dateEncodingStrategy = .iso8601
                    print(String(decoding: try encoder.encode(status), as: UTF8.self))
                } else {
                    print(status.text)
                }
            } catch {
                throw FleetCommand.cliError(error)
            }
        }
    }

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create or upgrade the fleet's tables in PostgreSQL (the daemon never does it by itself).")
        @OptionGroup var options: ConfigOption
        func run() async throws {
            let fleet = try FleetCommand.settings(options)
            do {
                let applied = try await FleetAdmin.migrate(fleet.settings, logger: fleet.logger)
                print(applied.isEmpty ? "fleet schema already current (version \(FleetSchema.current))"
                                      : "fleet schema migrated to version \(FleetSchema.current): \(applied.joined(separator: ", "))")
            } catch {
                throw FleetCommand.cliError(error)
            }
        }
    }
}
