import Foundation

/// Times as e-guma writes them: local wall-clock time without an offset (`2025-05-21T16:28:17`),
/// in the account's time zone (Europe/Zurich). One value per time zone; every conversion between
/// such a text and an absolute `Date` goes through here, so no code guesses the zone.
///
/// Daylight saving: a local time that happens twice (the autumn hour 02:00–03:00) is read as its
/// first occurrence; one that never happens (the spring hour) is moved forward by the gap, as
/// Foundation's calendar does. A local day is midnight to midnight, so it lasts 23 or 25 hours
/// on a change day.
public struct EgumaLocalTime: Sendable, Equatable {
    /// e-guma is a Swiss service.
    public static let defaultTimeZone = TimeZone(identifier: "Europe/Zurich") ?? .gmt

    public let timeZone: TimeZone

    public init(_ timeZone: TimeZone = EgumaLocalTime.defaultTimeZone) { self.timeZone = timeZone }

    private var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }

    /// `yyyy-MM-ddTHH:mm:ss` in this zone (whole seconds, rounded down).
    public func format(_ date: Date) -> String {
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0,
                      c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
    }

    /// Reads `yyyy-MM-ddTHH:mm:ss` (fractions of a second allowed, no offset) as local time;
    /// nil when the text is not such a time.
    public func parse(_ text: String) -> Date? {
        let parts = text.split(separator: "T", omittingEmptySubsequences: false)
        guard parts.count == 2, let day = Self.day(parts[0]) else { return nil }
        let clock = parts[1].split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let hms = clock[0].split(separator: ":", omittingEmptySubsequences: false)
        guard hms.count == 3, hms.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCIIDigitCharacter) }),
              let h = Int(hms[0]), let m = Int(hms[1]), let s = Int(hms[2]), h < 24, m < 60, s < 61 else { return nil }
        var fraction = 0.0
        if clock.count == 2 {
            guard !clock[1].isEmpty, clock[1].allSatisfy(\.isASCIIDigitCharacter), let f = Double("0." + clock[1]) else { return nil }
            fraction = f
        }
        var components = DateComponents(year: day.year, month: day.month, day: day.day, hour: h, minute: m, second: s)
        components.timeZone = timeZone
        guard let date = calendar.date(from: components) else { return nil }
        return date.addingTimeInterval(fraction)
    }

    /// The local day `yyyy-MM-dd` as [start, end): local midnight to the next local midnight.
    public func day(_ text: String) -> DateInterval? {
        guard let d = Self.day(Substring(text)),
              let start = calendar.date(from: DateComponents(year: d.year, month: d.month, day: d.day)),
              let end = calendar.date(byAdding: .day, value: 1, to: start) else { return nil }
        return DateInterval(start: start, end: end)
    }

    /// The local day that contains `date`, as [start, end).
    public func day(containing date: Date) -> DateInterval {
        let start = calendar.startOfDay(for: date)
        let end = calendar.date(byAdding: .day, value: 1, to: start) ?? start.addingTimeInterval(86_400)
        return DateInterval(start: start, end: end)
    }

    /// `yyyy-MM-dd` of the local day that contains `date`.
    public func dayName(_ date: Date) -> String { String(format(date).prefix(10)) }

    private static func day(_ text: Substring) -> (year: Int, month: Int, day: Int)? {
        let p = text.split(separator: "-", omittingEmptySubsequences: false)
        guard p.count == 3, p[0].count == 4, p[1].count == 2, p[2].count == 2,
              p.allSatisfy({ $0.allSatisfy(\.isASCIIDigitCharacter) }),
              let y = Int(p[0]), let m = Int(p[1]), let d = Int(p[2]), (1...12).contains(m), (1...31).contains(d) else { return nil }
        // Reject 2026-02-30 rather than let the calendar roll it into March.
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        guard let date = calendar.date(from: DateComponents(year: y, month: m, day: d)),
              calendar.component(.day, from: date) == d else { return nil }
        return (y, m, d)
    }
}

extension Character {
    fileprivate var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}
