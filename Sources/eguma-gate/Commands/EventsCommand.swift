import ArgumentParser
import Foundation
import GateCore
import GateDaemon
import GateStore

/// `eguma-gate events [-f] [--lane L] [--since T] [--json]`: the admission journal, read from the
/// database directly (works whether or not the daemon runs); `-f` follows like `tail -f`.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Show the admission journal; -f follows it live.",
        discussion: """
            --since takes an RFC 3339 time (2026-11-27T08:00:00Z), a date (2026-11-27), "today", \
            or an age such as 30m, 2h, 7d. --json prints one object per line with ts, lane, type, \
            admission, code, amount_cents, balance_cents, message, source (scanner, keypad, desk or null).
            """)

    @OptionGroup var options: ConfigOption
    @Flag(name: .shortAndLong, help: "Keep printing new events as the daemon writes them.") var follow = false
    @Option(help: "Only this lane.") var lane: String?
    @Option(help: "Only events since this time.") var since: String?
    @Flag(help: "One JSON object per line.") var json = false
    @Option(help: "Without --since: how many of the latest events to show.") var last = 50
    @Option(help: "Only events of this type (entered, denied, cancel_failed, …).") var type: String?

    func validate() throws {
        guard last >= 0 else { throw ValidationError("--last must be 0 or more") }
    }

    func run() async throws {
        let config = try options.load()
        if let lane { try requireLane(lane, in: config) }
        let types = try type.map { [try Self.parseType($0)] }
        let sinceDate = try since.map(Self.parseSince)
        let view = try await options.journal(config)
        let selection = JournalView.Selection(lane: lane, types: types, since: sinceDate)
        let position = try await view.history(selection, last: last) { print(JournalView.line($0, json: json)) }
        fflush(nil)
        guard follow else { return }
        try await view.follow(selection, from: position) { fresh in
            for e in fresh { print(JournalView.line(e, json: json)) }
            fflush(nil)
        }
    }

    static func parseType(_ text: String) throws -> GateEventType {
        guard let type = GateEventType(rawValue: text) else {
            throw CLIError.usage("--type \(text): not an event type — one of \(GateEventType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return type
    }

    static func parseSince(_ text: String) throws -> Date {
        if text == "today" { return Calendar.current.startOfDay(for: Date()) }
        if let unit = text.last, let n = Double(text.dropLast()), n >= 0 {
            let seconds: Double? = switch unit {
            case "s": n
            case "m": n * 60
            case "h": n * 3600
            case "d": n * 86_400
            default: nil
            }
            if let seconds { return Date().addingTimeInterval(-seconds) }
        }
        if let date = try? Date(text, strategy: .iso8601) { return date }
        if let day = try? Date(text + "T00:00:00Z", strategy: .iso8601) { return day }
        throw CLIError.usage("--since \(text): use an RFC 3339 time, a date (2026-11-27), today, or an age like 2h")
    }
}

/// `eguma-gate outbox [list | retry ID | drop ID]`: pending cancels and offline redeems.
struct OutboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox", abstract: "Pending cancels and offline redeems, and what to do with them.",
        subcommands: [List.self, Retry.self, Drop.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Open entries with their attempts and last error.")
        @OptionGroup var options: ConfigOption
        @Flag(help: "Print JSON lines.") var json = false
        func run() async throws {
            let lines = try await options.journal().outboxLines(json: json)
            if lines.isEmpty && !json { print("outbox empty: nothing waits for e-guma"); return }
            for line in lines { print(line) }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make an entry due now (also a dead-lettered one); a running daemon tries it at once.")
        @OptionGroup var options: ConfigOption
        @Argument var id: Int64
        func run() async throws {
            let config = try options.load()
            if ControlClient.isAlive(path: config.gate.controlSocket) {
                // The daemon's worker may sleep until its next due entry: it must be woken.
                let response = try ask(config, ControlRequest(command: "outbox_retry", id: id))
                print(response.message ?? "outbox entry #\(id) is being tried now")
                return
            }
            guard try await options.journal(config).database.retry(id) else { throw CLIError.runtime("no open outbox entry #\(id) — see eguma-gate outbox list") }
            print("outbox entry #\(id) is due again; the daemon is not running, it tries the entry when it starts")
        }
    }

    struct Drop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drop an entry for good, after settling it by hand in e-guma's back office.",
            discussion: """
                Recorded as an outbox_dropped event with your user name and the reason. Through the \
                running daemon when it runs (user from the socket's peer credentials), else written \
                to the database directly (user from this process).
                """)
        @OptionGroup var options: ConfigOption
        @Argument var id: Int64
        @Option(help: "Why (required, kept in the journal), e.g. \"refunded at the desk\".") var reason: String

        func validate() throws {
            guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw ValidationError("--reason must say why the entry is dropped (it is kept in the journal)")
            }
        }

        func run() async throws {
            let config = try options.load()
            if ControlClient.isAlive(path: config.gate.controlSocket) {
                let response = try ask(config, ControlRequest(command: "outbox_drop", id: id, reason: reason))
                print(response.message ?? "outbox entry #\(id) dropped")
                return
            }
            let user = PeerCredentials.userName(uid: getuid())
            guard try await options.journal(config).database.dropRecorded(id, user: user, reason: reason) != nil else {
                throw CLIError.runtime("no open outbox entry #\(id) — see eguma-gate outbox list")
            }
            print("outbox entry #\(id) dropped by \(user)")
        }
    }
}
