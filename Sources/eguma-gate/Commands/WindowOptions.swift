import ArgumentParser
import EgumaAPI
import Foundation

/// `--date D | --from T --to T` of `reconcile` and `report`: a window of e-guma's local time
/// (`[api] timezone`). Without any: yesterday, the day the morning routine checks.
struct WindowOptions: ParsableArguments {
    @Option(help: "A local day: 2026-03-29, today or yesterday (default: yesterday).")
    var date: String?
    @Option(help: "Window start, local time (2026-03-29T06:00:00) or with an offset (2026-03-29T04:00:00Z).")
    var from: String?
    @Option(help: "Window end (exclusive), same forms as --from.")
    var to: String?

    init() {}

    func window(_ local: EgumaLocalTime, now: Date = Date()) throws -> DateInterval {
        switch (date, from, to) {
        case (nil, nil, nil):
            return local.day(containing: local.day(containing: now).start.addingTimeInterval(-1))
        case (let day?, nil, nil):
            switch day {
            case "today": return local.day(containing: now)
            case "yesterday": return local.day(containing: local.day(containing: now).start.addingTimeInterval(-1))
            default:
                guard let interval = local.day(day) else {
                    throw CLIError.usage("--date \(day): not a day — write it like 2026-03-29 (or today, yesterday)")
                }
                return interval
            }
        case (nil, let f?, let t?):
            let start = try Self.time(f, "--from", local), end = try Self.time(t, "--to", local)
            guard start < end else { throw CLIError.usage("--from \(f) is not before --to \(t) — the window would be empty") }
            return DateInterval(start: start, end: end)
        case (nil, _, _):
            throw CLIError.usage("--from and --to go together — give both, or --date")
        default:
            throw CLIError.usage("give either --date or --from/--to, not both")
        }
    }

    private static func time(_ text: String, _ option: String, _ local: EgumaLocalTime) throws -> Date {
        if let date = local.parse(text) { return date }
        if let date = try? Date(text, strategy: .iso8601) { return date }
        throw CLIError.usage("\(option) \(text): not a time — write it like 2026-03-29T06:00:00 (local, \(local.timeZone.identifier)) or 2026-03-29T04:00:00Z")
    }
}
