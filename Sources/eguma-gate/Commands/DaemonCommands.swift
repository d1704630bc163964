import ArgumentParser
import Foundation
import GateDaemon

/// Sends one request to the running daemon and fails with a clear message when it cannot.
/// Takes the configuration the command already loaded: each load parses the file (and checks its
/// TOML in a child process) again.
func ask(_ config: GateConfig, _ request: ControlRequest) throws -> ControlResponse {
    let response: ControlResponse
    do {
        response = try ControlClient(path: config.gate.controlSocket).send(request)
    } catch {
        throw CLIError.runtime(error.description)
    }
    guard response.ok else { throw CLIError.runtime(response.error ?? "the daemon refused the request") }
    return response
}

/// Fails with exit 2 when the configuration has no lane `name`, listing the lanes there are.
func requireLane(_ name: String, in config: GateConfig) throws {
    guard config.lane(name) == nil else { return }
    throw CLIError.usage("\(NameSuggestion.unknownLane(name, among: config.laneNames)) — check the name in \(config.file)")
}

/// `eguma-gate status`: lanes, scanners, online state, outbox depth, last admissions.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show what the running daemon is doing.")
    @OptionGroup var options: ConfigOption
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() async throws {
        let response = try ask(try options.load(), ControlRequest(command: "status"))
        guard let status = response.status else { throw CLIError.runtime("the daemon sent no status") }
        if json { return try printJSON(status) }
        let dead = status.outboxDead > 0 ? ", \(status.outboxDead) DEAD (see eguma-gate outbox list)" : ""
        print("gate \(status.gate): e-guma \(status.online ? "online" : "OFFLINE"), outbox \(status.outboxPending) pending\(dead)\(status.emergency ? ", EMERGENCY OPEN" : "")")
        for lane in status.lanes {
            let scanner = lane.scannerPresent ? "scanner \(lane.scannerDevice ?? "present")" : "SCANNER MISSING"
            print("  \(lane.name) [\(lane.mode)]: \(lane.state), \(scanner), \(lane.entriesToday) entries today")
            for line in lane.lastAdmissions { print("      \(line)") }  // newest first
        }
    }
}

/// `eguma-gate open LANE [--reason TEXT]`: manual open, recorded as `manual_open` with the
/// calling user and the reason.
struct OpenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "open", abstract: "Open a lane by hand (recorded with your user name and reason).")
    @OptionGroup var options: ConfigOption
    @Argument(help: "Lane name.") var lane: String
    @Option(help: "Why (kept in the manual_open event), e.g. \"wheelchair\".") var reason: String?

    func run() async throws {
        let config = try options.load()
        try requireLane(lane, in: config)
        let response = try ask(config, ControlRequest(command: "open", lane: lane, reason: reason))
        print(response.message ?? "lane \(lane) opened")
    }
}

/// `eguma-gate unlock LANE`: ends a code-guessing pause, recorded as `lane_unlocked` with the calling user.
struct UnlockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unlock",
                                                    abstract: "End a lane's code-guessing pause (recorded with your user name).")
    @OptionGroup var options: ConfigOption
    @Argument(help: "Lane name.") var lane: String

    func run() async throws {
        let response = try ask(try options.load(), ControlRequest(command: "unlock", lane: lane))
        print(response.message ?? "lane \(lane) unlocked")
    }
}

/// `eguma-gate sim passage LANE`: trigger the simulated passage sensor of a lane.
struct SimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sim", abstract: "Drive simulated hardware of the running daemon.",
                                                    subcommands: [Passage.self])

    struct Passage: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A guest walks through LANE (simulated sensor, chip = \"sim\").")
        @OptionGroup var options: ConfigOption
        @Argument(help: "Lane name.") var lane: String

        func run() async throws {
            let response = try ask(try options.load(), ControlRequest(command: "sim_passage", lane: lane))
            print(response.message ?? "passage on \(lane)")
        }
    }
}
