import ArgumentParser
import EgumaAPI
import Foundation
import GateCore
import GateDaemon
import GateStore

/// `eguma-gate admission list|show|void` (issue 25, SPEC §10 "Counter"): the day's admissions
/// with their redemptions, read from the journal directly (daemon running or not), and the void
/// of one (`AdmissionVoid` says how it writes and which worker sends its cancels).
struct AdmissionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admission", abstract: "The day's admissions, one admission's redemptions, and voiding one (refund through e-guma).",
        subcommands: [List.self, Show.self, VoidAdmission.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Admissions of a day (e-guma's local time) with their redemptions.")
        @OptionGroup var options: ConfigOption
        @Option(help: "A local day: 2026-03-29, today or yesterday (default: today).") var date: String?
        @Option(help: "Only this lane (desk: the desk's redemptions).") var lane: String?
        @Flag(help: "One JSON object per admission and line.") var json = false

        func run() async throws {
            let config = try options.load()
            if let lane, lane != DeskLane.name { try requireLane(lane, in: config) }
            let interval = try WindowOptions.parse(["--date", date ?? "today"]).window(EgumaLocalTime(config.api.timeZone))
            let records = try await options.journal(config).database.admissionRecords(from: interval.start, to: interval.end, lane: lane)
            if records.isEmpty && !json { print("no admissions \(date ?? "today")\(lane.map { " on lane \($0)" } ?? "")"); return }
            for record in records {
                if json { print(try AdmissionLines.json(record, tokens: false)) } else { AdmissionLines.text(record, tokens: false).forEach { print($0) } }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One admission: its redemptions with their tokens, the queued offline redeem.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "Admission id (as admission list and events show it).") var id: Int64
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            guard let record = try await options.journal().database.admissionRecord(id) else {
                throw CLIError.runtime("no admission #\(id) in the journal — see eguma-gate admission list")
            }
            if json { print(try AdmissionLines.json(record, tokens: true)) } else { AdmissionLines.text(record, tokens: true).forEach { print($0) } }
        }
    }

    struct VoidAdmission: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "void",
            abstract: "Void an admission: cancel every live redemption of it at e-guma (through the outbox), recorded with who and why.",
            discussion: """
                Exit 0: cancelled at e-guma (or an offline admission's queued redeem withdrawn). Exit 3: \
                e-guma unreachable — the cancels are queued durably and the daemon's outbox finishes them. \
                Exit 1: nothing left to cancel, or refused (still open, a redemption still being settled, \
                token unknown: refund by hand). The journal is written directly; with the daemon running \
                its outbox worker sends the cancels, without it this command does.
                """)
        @OptionGroup var options: ConfigOption
        @Argument(help: "Admission id.") var id: Int64
        @Option(help: "Why (required, kept in the admission_voided event), e.g. \"turned back after passing\".") var reason: String
        @Option(help: "Who voids it (default: your login).") var user: String?

        func validate() throws {
            guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw ValidationError("--reason must say why the admission is voided (it is kept in the journal)")
            }
            if let user, user.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--user must not be empty") }
        }

        func run() async throws {
            let config = try options.load()
            let database = try await options.journal(config).database
            let who = user ?? PeerCredentials.userName(uid: getuid())
            let outcome = try await AdmissionVoid(config: config, database: database).run(id, user: who, reason: reason)
            try finish(outcome)
        }
    }
}

/// How `admission list|show` print an admission.
enum AdmissionLines {
    static func text(_ r: AdmissionRecord, tokens: Bool) -> [String] {
        let started = r.startedAt.formatted(.iso8601)
        var head = "#\(r.id)  \(started)  \(r.lane)  \(r.outcome ?? "open")"
        if r.offline { head += " (offline)" }
        head += "  charged \(Money(cents: r.chargedCents))"
        var lines = [head]
        for x in r.redemptions {
            var line = "    redemption #\(x.id)  \(x.code)  \(Money(cents: x.amountCents))  \(x.state.rawValue)"
            if let after = x.balanceAfterCents { line += "  balance after \(Money(cents: after))" }
            line += "  outlet \(x.outlet)  ref \(x.reference)"
            if tokens { line += "  token \(x.token ?? "-")" }
            lines.append(line)
        }
        if let q = r.queuedRedeem { lines.append("    offline redeem \(Money(cents: q.amountCents)): outbox entry #\(q.entry) \(q.state.rawValue)") }
        return lines
    }

    static func json(_ r: AdmissionRecord, tokens: Bool) throws -> String {
        var o: [String: Any] = ["id": r.id, "lane": r.lane, "started_at": r.startedAt.formatted(.iso8601),
                                "closed_at": r.closedAt.map { $0.formatted(.iso8601) as Any } ?? NSNull(),
                                "outcome": r.outcome ?? NSNull(), "offline": r.offline, "charged_cents": r.chargedCents]
        o["redemptions"] = r.redemptions.map { x -> [String: Any] in
            var d: [String: Any] = ["id": x.id, "outlet": x.outlet, "code": x.code, "amount_cents": x.amountCents,
                                    "reference": x.reference, "state": x.state.rawValue,
                                    "balance_before_cents": x.balanceBeforeCents,
                                    "balance_after_cents": x.balanceAfterCents.map { $0 as Any } ?? NSNull()]
            if tokens { d["token"] = x.token ?? NSNull() }
            return d
        }
        o["offline_redeem"] = r.queuedRedeem.map { ["entry": $0.entry, "state": $0.state.rawValue, "amount_cents": $0.amountCents] as [String: Any] } ?? NSNull()
        return String(decoding: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
    }
}
