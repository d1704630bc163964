import ArgumentParser
import Foundation
import GateDaemon
import GateFleet

/// `eguma-gate config show|check|set`.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Show, check or change the configuration.",
        subcommands: [Show.self, Check.self, Set.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the effective configuration, defaults included (secrets never shown).")
        @OptionGroup var options: ConfigOption
        func run() async throws {
            let config = try options.load()
            print(config.effectiveTOML { keyState($0, config) }, terminator: "")
        }

        /// Whether the key loads, never the key itself.
        private func keyState(_ outlet: OutletConfig, _ config: GateConfig) -> String {
            do {
                _ = try outlet.loadKey(configFile: config.file)
                return "set (•••)"
            } catch {
                return "NOT USABLE: \(error.reason)"
            }
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate the configuration and the outlets' key files; exit 2 on any problem.")
        @OptionGroup var options: ConfigOption
        @Flag(help: "Also request and release every GPIO line and look up every lane's scanner (stop the daemon first).")
        var hardware = false
        func run() async throws {
            let config = try options.load()
            var problems: [String] = []
            for name in config.outlets.keys.sorted() {
                do { _ = try config.outlets[name]!.loadKey(configFile: config.file) } catch { problems.append("  " + error.description) }
            }
            if let fleet = config.fleet {
                // The secrets' files only; `fleet check` connects.
                do { _ = try FleetSecrets.password(fleet) } catch { problems.append("  " + error.description) }
                do { _ = try FleetSecrets.codeKey(fleet) } catch { problems.append("  " + error.description) }
            }
            if hardware {
                let findings = HardwareCheck.run(config)
                for finding in findings { print("  \(finding)") }
                problems += findings.filter { !$0.ok }.map { "  \($0.key): \($0.detail)" }
            }
            if !problems.isEmpty { throw CLIError.usage("configuration is not valid:\n" + problems.joined(separator: "\n")) }
            let fleet = config.fleet.map { ", fleet site \($0.site) as gate \($0.gateID) (eguma-gate fleet check connects)" } ?? ""
            print("\(config.file): ok — gate \(config.gate.name), \(config.outlets.count) outlet(s), \(config.laneNames.count) lane(s)\(fleet)")
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change one key; the result is validated before it is written atomically.",
            discussion: """
                Comments and layout are kept: only the key's line changes (or one line is added).
                Keys inside inline tables are set by giving the whole table, e.g.
                  eguma-gate config set lanes.main.scanner '{ kind = "stdin" }'
                A running daemon picks the change up on `systemctl reload eguma-gate`.
                """)
        @OptionGroup var options: ConfigOption
        @Argument(help: "Dotted key, e.g. lanes.main.price.") var key: String
        @Argument(help: "New TOML value; bare words are taken as strings.") var value: String
        func run() async throws {
            let path = options.config
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw CLIError.usage("\(path): cannot read the config file — pass --config FILE")
            }
            let edited: String
            do {
                edited = try ConfigEditor.set(key: key, value: value, in: text, file: path)
            } catch {
                throw CLIError.usage(error.description)
            }
            do {
                _ = try GateConfig.parse(text: edited, file: path)
            } catch {
                throw CLIError.usage("not written — the change would make the configuration invalid:\n"
                                     + error.errors.map { "  " + $0.description }.joined(separator: "\n"))
            }
            do {
                try ConfigEditor.writeAtomically(edited, to: path)
            } catch {
                throw CLIError.runtime(error.description)
            }
            print("\(key) set in \(path); reload a running daemon with: systemctl reload eguma-gate")
        }
    }
}
