import ArgumentParser
import EgumaAPI
import Foundation
import GateCore
import GateDaemon
import GateFleet
import GateStore
import Logging

/// `eguma-gate reconcile`: the journal against e-guma's List of Voucher Redemptions, per outlet.
/// Parses and prints; the comparison is `Reconciler` / `Reconciliation`.
struct ReconcileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile", abstract: "Compare the journal with e-guma's list of redemptions (default: yesterday).",
        discussion: """
            Per outlet: matched, missing at e-guma (the journal charged, e-guma did not), unknown \
            to the gate (e-guma lists a redemption by the outlet's user the journal does not hold), \
            amount differences. Exit 0 when everything matches, 1 on discrepancies (money differs), \
            3 when there is no verdict (e-guma unreachable, its answer or the journal cannot be read, \
            or with a fleet: a gate of the outlet's user has not shipped the window yet, PostgreSQL \
            unreachable), 2 on usage or configuration errors (also when e-guma refuses the outlet's \
            API key). With a [fleet], every outlet counts the journals of the site's other \
            controllers of the same e-guma user; --fleet reconciles every outlet configured here for \
            the site (an outlet whose key only other gates hold is reconciled there).
            """)

    @OptionGroup var options: ConfigOption
    @OptionGroup var window: WindowOptions
    @Option(help: "Only this outlet.") var outlet: String?
    @Flag(help: "Every outlet of the site, with the other controllers' journals (needs [fleet]).") var fleet = false
    @Flag(help: "Print one JSON document.") var json = false
    @Flag(help: "Print voucher codes in full (default: masked).") var showCodes = false

    func run() async throws {
        let config = try options.load()
        let local = EgumaLocalTime(config.api.timeZone)
        let interval = try window.window(local)
        if fleet {
            guard config.fleet != nil else {
                throw CLIError.usage("reconcile --fleet: \(config.file) has no [fleet] section — add one (docs/fleet.md) or reconcile without --fleet")
            }
            if let outlet { throw CLIError.usage("reconcile --fleet does every outlet of the site — leave out --outlet \(outlet)") }
        }
        let names = try outlet.map { name in
            guard config.outlets[name] != nil else {
                throw CLIError.usage("--outlet \(name): no such outlet — configured: \(config.outlets.keys.sorted().joined(separator: ", "))")
            }
            return [name]
        } ?? config.outlets.keys.sorted()
        var outlets: [Reconciler.Outlet] = []
        for name in names {
            guard let outlet = config.outlets[name] else { continue }
            do { outlets.append(Reconciler.Outlet(name: name, key: try outlet.loadKey(configFile: config.file), userID: outlet.userID)) }
            catch { throw CLIError.usage(error.description) }
        }
        // Exit 1 means money differs, so nothing else may give it: a journal that cannot be
        // opened or read is "no verdict" (exit 3) with the reason, like an unreadable e-guma answer.
        let database: GateDatabase
        do { database = try await options.journal(config).database } catch {
            throw CLIError.unreachable("reconcile: no verdict — the journal could not be opened: \(error)")
        }
        let client: EgumaClient
        do { client = try EgumaClient(configuration: config.api) } catch { throw CLIError.usage("\(error)") }
        // With a fleet, the other controllers of the same e-guma user count too (docs/fleet.md).
        let fleet: FleetReconcileSource?
        do { fleet = try config.fleet.map { try FleetReconcileSource(settings: $0, logger: Logger(label: "eguma-gate.fleet")) } }
        catch { throw CLIError.usage("\(error)") }
        let reconciler = Reconciler(database: database, client: client, fleet: fleet)
        var results: [OutletReconciliation] = []
        do {
            for outlet in outlets { results.append(try await reconciler.reconcile(outlet, window: interval)) }
            try? await client.shutdown()
        } catch let error as ReconcileNoVerdict {
            try? await client.shutdown()
            throw CLIError.unreachable("reconcile: \(error)")
        } catch let error as EgumaError {
            try? await client.shutdown()
            // Exit 1 means money differs: e-guma's failures never give it.
            throw error.kind.isUnauthorized ? CLIError.usage(error.description) : CLIError.unreachable(error.description)
        } catch {
            try? await client.shutdown()
            throw CLIError.unreachable("reconcile: no verdict — \(error)")
        }
        let printer = ReconcilePrinter(local: local, showCodes: showCodes)
        print(json ? try printer.json(results, window: interval) : printer.text(results, window: interval))
        if results.contains(where: { !$0.result.isClean }) { throw ExitCode(1) }
    }
}

/// Text and JSON renderings of reconciliation results.
struct ReconcilePrinter {
    let local: EgumaLocalTime
    let showCodes: Bool

    /// `--show-codes`: the printed form with dashes (`C2UV-WD75-7M75`); else masked.
    func code(_ c: String) -> String {
        guard showCodes else { return VoucherCode.mask(c) }
        let chars = Array(c)
        guard chars.count == 12 else { return c }
        return String(chars[0..<4]) + "-" + String(chars[4..<8]) + "-" + String(chars[8..<12])
    }

    func text(_ results: [OutletReconciliation], window: DateInterval) -> String {
        var lines: [String] = []
        for r in results {
            lines.append("outlet \(r.outlet)\(r.userID.map { " (e-guma user \($0))" } ?? "") \(local.format(window.start)) … \(local.format(window.end)) \(local.timeZone.identifier)")
            lines.append("  matched: \(r.result.matched.count) voucher(s)")
            for f in r.result.matched where f.note != nil { lines.append("    \(code(f.code)): \(f.note ?? "")") }
            for (title, list) in [("MISSING AT E-GUMA", r.result.missingAtEguma), ("UNKNOWN TO THE GATE", r.result.unknownToGate),
                                  ("AMOUNT DIFFERENCE", r.result.amountDifferences)] {
                for f in list {
                    lines.append("  \(title): \(code(f.code)) — gate \(Money(cents: f.gateCents)), e-guma \(Money(cents: f.egumaCents))")
                    for j in f.journal {
                        lines.append("    journal \(local.format(j.at)) lane \(j.lane) admission #\(j.admission) \(Money(cents: j.amountCents)) \(j.state.rawValue)")
                    }
                    for p in f.platform {
                        lines.append("    e-guma  \(local.format(p.at)) \(Money(cents: p.amountCents))\(p.derecognized ? " derecognized" : "")")
                    }
                }
            }
            for note in r.notes { lines.append("  note: \(note)") }
        }
        let bad = results.reduce(0) { $0 + $1.result.discrepancies.count }
        lines.append(bad == 0 ? "result: everything matches e-guma" : "result: \(bad) discrepancy(ies) — what each means and what to do: docs/operations.md, step 2")
        return lines.joined(separator: "\n")
    }

    /// A user id as e-guma would write it: a number when it is one, else text.
    static func jsonUserID(_ id: EgumaID?) -> Any {
        guard let id else { return NSNull() }
        if let number = id.number { return NSNumber(value: number) }
        return id.text
    }

    func json(_ results: [OutletReconciliation], window: DateInterval) throws -> String {
        func finding(_ f: ReconcileFinding) -> [String: Any] {
            [
                "code": code(f.code), "gate_cents": f.gateCents, "eguma_cents": f.egumaCents, "note": f.note ?? NSNull(),
                "journal": f.journal.map { ["time": local.format($0.at), "lane": $0.lane, "admission": $0.admission,
                                            "amount_cents": $0.amountCents, "state": $0.state.rawValue] as [String: Any] },
                "eguma": f.platform.map { ["time": local.format($0.at), "amount_cents": $0.amountCents,
                                           "derecognized": $0.derecognized] as [String: Any] },
            ]
        }
        let object: [String: Any] = [
            "from": local.format(window.start), "to": local.format(window.end), "time_zone": local.timeZone.identifier,
            "clean": results.allSatisfy(\.result.isClean),
            "outlets": results.map { r in
                [
                    "outlet": r.outlet, "user_id": Self.jsonUserID(r.userID),
                    "clean": r.result.isClean,
                    "matched": r.result.matched.map(finding), "missing_at_eguma": r.result.missingAtEguma.map(finding),
                    "unknown_to_gate": r.result.unknownToGate.map(finding),
                    "amount_differences": r.result.amountDifferences.map(finding), "notes": r.notes,
                ] as [String: Any]
            },
        ]
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
    }
}
