import ArgumentParser
import EgumaAPI
import Foundation
import GateCore
import GateDaemon
import GateFleet
import GateStore
import Logging

/// `eguma-gate report`: a day's figures per lane and in total, from the journal alone (works
/// whether or not the daemon runs, and without e-guma). Parses and prints; `DayReport` counts.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "The day's figures per lane and in total (default: yesterday).",
        discussion: """
            Entries, revenue net of cancels, vouchers used, split payments, denials by reason, \
            cancels (immediate / from the outbox), offline admissions and their replays, \
            token_unknown, manual and emergency opens, and the reconciliation status the daemon \
            recorded. --csv for the accountant (one row per lane and a total row); --json the same \
            numbers with snake_case keys.
            """)

    @OptionGroup var options: ConfigOption
    @OptionGroup var window: WindowOptions
    @Option(help: "Only this lane.") var lane: String?
    @Flag(help: "Print one JSON document.") var json = false
    @Flag(help: "Print CSV.") var csv = false
    @Flag(help: "Every gate of the fleet's site, from PostgreSQL: lanes as GATE/LANE, and the total (docs/fleet.md).")
    var fleet = false

    func run() async throws {
        let config = try options.load()
        if json && csv { throw CLIError.usage("give --json or --csv, not both") }
        if let lane, lane != DeskLane.name { try requireLane(lane, in: config) }  // desk: the desk's redemptions
        let local = EgumaLocalTime(config.api.timeZone)
        let interval = try window.window(local)
        let admissions: [ReportAdmission], redemptions: [JournalRedemptionRow], events: [ReportEvent], later: [ReportEvent]
        var laneNames = config.laneNames
        var outletOf = Dictionary(uniqueKeysWithValues: config.lanes.map { ($0.name, $0.settings.outlet) })
        if fleet {
            let shipped = try await Self.fleetJournals(config, window: interval)
            (admissions, redemptions, events, later) = (shipped.admissions, shipped.redemptions, shipped.events, [])
            laneNames = shipped.lanes.sorted()
            // Another gate's lane is taken to sell for this gate's outlet of the same lane name.
            for name in laneNames { outletOf[name] = outletOf[String(name.split(separator: "/").last ?? "")] }
        } else {
            let database = try await options.journal(config).database
            admissions = try await database.admissions(from: interval.start, to: interval.end)
            redemptions = try await database.redemptions(from: interval.start, to: interval.end)
            events = try await database.reportEvents(from: interval.start, to: interval.end)
            // The daemon records the closing run of a day shortly after its midnight.
            later = try await database.reportEvents(from: interval.end, to: interval.end.addingTimeInterval(86_400))
        }
        var report = DayReport(admissions: admissions, redemptions: redemptions, events: events, lanes: laneNames)
        if let lane { report = report.only(lane: lane) }
        let status = Self.reconciliation(events + later, window: interval, local: local)
        let reportLanes = report.lanes.keys.sorted()
        func statusOf(lane: String?) -> String {
            guard let lane else {
                let all = Set(config.outlets.keys.map { status[$0] ?? "not reconciled" })
                return all.count == 1 ? all.first ?? "not reconciled" : all.sorted().joined(separator: " / ")
            }
            return outletOf[lane].flatMap { status[$0] } ?? "not reconciled"
        }
        // Amounts are in each outlet's account currency: the one the daemon learnt from e-guma's
        // answers (remembered beside the journal), else the outlet's `currency` key.
        let learnt = OutletCurrencies.load(file: OutletCurrencies.file(besideDatabase: config.gate.database))
        func currencyOf(lane: String?) -> String? {
            func of(_ lane: String) -> String {
                guard let outlet = outletOf[lane] else { return OutletCurrencies.defaultCurrency }
                return learnt[outlet] ?? config.outlets[outlet]?.currency ?? OutletCurrencies.defaultCurrency
            }
            if let lane { return of(lane) }
            let all = Set(report.lanes.keys.map(of)).union(laneNames.map(of))
            return all.count == 1 ? all.first : nil  // lanes of accounts in different currencies: no one total currency
        }
        func money(_ cents: Int64, lane: String?) -> String {
            currencyOf(lane: lane).map { "\($0) \(Money(cents: cents))" } ?? "\(Money(cents: cents)) (mixed currencies)"
        }
        let span = (local.format(interval.start), local.format(interval.end))
        if csv {
            let header = ["from", "to", "lane"] + DayReport.Figures().columns.map(\.0)
                + ["revenue", "currency", "denied_by_reason", "reconciliation"]
            print(header.joined(separator: ","))
            let rows = reportLanes.map { ($0, report.lanes[$0] ?? DayReport.Figures(), statusOf(lane: $0), currencyOf(lane: $0)) }
                + [("total", report.total, statusOf(lane: lane), currencyOf(lane: lane))]
            for (name, f, reconciled, currency) in rows {
                let reasons = f.deniedByReason.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
                let cells = [span.0, span.1, name] + f.columns.map { String($0.1) }
                    + ["\(Money(cents: f.revenueCents))", currency ?? "mixed", reasons, reconciled]
                print(cells.map(Self.csvCell).joined(separator: ","))
            }
            return
        }
        if json {
            func object(_ f: DayReport.Figures, _ reconciled: String, _ currency: String?) -> [String: Any] {
                var o: [String: Any] = [:]
                for (k, v) in f.columns { o[k] = v }
                o["denied_by_reason"] = f.deniedByReason
                o["reconciliation"] = reconciled
                o["currency"] = currency.map { $0 as Any } ?? NSNull()
                return o
            }
            var lanes: [String: Any] = [:]
            for name in reportLanes {
                lanes[name] = object(report.lanes[name] ?? DayReport.Figures(), statusOf(lane: name), currencyOf(lane: name))
            }
            let doc: [String: Any] = ["from": span.0, "to": span.1, "time_zone": local.timeZone.identifier, "lanes": lanes,
                                      "total": object(report.total, statusOf(lane: lane), currencyOf(lane: lane))]
            print(String(decoding: try JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self))
            return
        }
        print("report \(span.0) … \(span.1) \(local.timeZone.identifier)")
        for (name, f, reconciled) in reportLanes.map({ ($0, report.lanes[$0] ?? DayReport.Figures(), statusOf(lane: $0)) })
            + (lane == nil ? [("total", report.total, statusOf(lane: nil))] : []) {
            print("\n\(name == "total" ? "TOTAL" : "lane \(name)")")
            print("  entries \(f.entries), revenue \(money(f.revenueCents, lane: name == "total" ? lane : name)), vouchers used \(f.vouchersUsed), split payments \(f.splitPayments)")
            print("  denied \(f.denied)" + (f.deniedByReason.isEmpty ? "" : ": " + f.deniedByReason.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")))
            print("  cancels \(f.cancels) (immediate \(f.cancelsImmediate), from the outbox \(f.cancelsFromOutbox))")
            print("  offline admissions \(f.offlineAdmissions): replays paid \(f.offlineReplaysPaid), failed \(f.offlineReplaysFailed), pending \(f.offlineReplaysPending)"
                  + (f.offlineShortfalls == 0 ? "" : ", short \(f.offlineShortfalls) (missing \(money(f.offlineShortfallCents, lane: name == "total" ? lane : name)))"))
            print("  token_unknown \(f.tokenUnknown), manual opens \(f.manualOpens), emergency opens \(f.emergencyOpens)")
            print("  reconciliation: \(reconciled)")
        }
    }

    /// Per outlet, the latest `reconciled` / `reconcile_mismatch` event for a run that began at
    /// the window's start: "reconciled", "mismatch", each with the run's end when partial; "no
    /// verdict" when the only runs could not read e-guma's answer (`reconcile_no_verdict`).
    static func reconciliation(_ events: [ReportEvent], window: DateInterval, local: EgumaLocalTime) -> [String: String] {
        let prefix = local.format(window.start) + "…"
        var status: [String: String] = [:]
        for e in events where [.reconciled, .reconcileMismatch, .reconcileNoVerdict].contains(e.type) && (e.message ?? "").hasPrefix(prefix) {
            let outlet = e.lane.hasPrefix("outlet:") ? String(e.lane.dropFirst("outlet:".count)) : e.lane
            // A run without a verdict says nothing about a verdict another run reached.
            if e.type == .reconcileNoVerdict, status[outlet] != nil { continue }
            let end = (e.message ?? "").dropFirst(prefix.count).prefix(19)
            let partial = end != local.format(window.end).prefix(19) ? " (up to \(end))" : ""
            status[outlet] = (e.type == .reconciled ? "reconciled" : e.type == .reconcileMismatch ? "mismatch" : "no verdict") + partial
        }
        return status
    }

    /// `--fleet`: every gate's shipped journal of the window.
    static func fleetJournals(_ config: GateConfig, window: DateInterval) async throws -> FleetReport {
        guard let settings = config.fleet else {
            throw CLIError.usage("--fleet: \(config.file) has no [fleet] section (docs/fleet.md)")
        }
        do {
            return try await FleetReport.read(settings, window: window, logger: Logger(label: "eguma-gate.fleet"))
        } catch {
            throw FleetCommand.cliError(error)
        }
    }

    static func csvCell(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == ";" })
            ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
