import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif

/// A time as the journal stores it: the text GRDB writes for a `Date` ("yyyy-MM-dd HH:mm:ss.SSS",
/// UTC, to the millisecond), made without a `DateFormatter`.
///
/// GRDB turns every `Date` bound to a statement into text through Foundation's `DateFormatter`,
/// which is ICU: a few microseconds of ICU's calendar code per timestamp on the admission's
/// critical path (every commit binds one) and, more, ICU's code and data pages resident in the
/// daemon for good (issue 13: "where the resident memory goes"). Every time the store binds goes
/// through this type instead — `JournalTime.now`, `JournalTime(date)` — so ICU is never touched
/// on a write; reading keeps GRDB's own `Date` decoding (its date parser and a gregorian UTC
/// calendar, neither of which is ICU). The text is byte for byte GRDB's, so rows written before
/// and after compare and sort alike (JournalTimeTests).
public struct JournalTime: Sendable, Hashable, DatabaseValueConvertible {
    /// Milliseconds since 1970-01-01 00:00:00 UTC.
    public let milliseconds: Int64

    /// Rounded to the nearest millisecond, half up, from the reference-date interval — as
    /// CoreFoundation hands a `Date` to ICU when GRDB formats it.
    public init(_ date: Date) {
        milliseconds = Int64(((date.timeIntervalSinceReferenceDate + 978_307_200) * 1_000 + 0.5).rounded(.down))
    }

    public static var now: JournalTime { JournalTime(Date()) }

    /// `seconds` later (negative: earlier).
    public func adding(seconds: Double) -> JournalTime {
        JournalTime(Date(timeIntervalSince1970: Double(milliseconds) / 1_000 + seconds))
    }

    /// "yyyy-MM-dd HH:mm:ss.SSS" in UTC, digits written by hand (no locale, no ICU).
    public var text: String {
        let seconds = milliseconds >= 0 ? milliseconds / 1_000 : (milliseconds - 999) / 1_000
        let millis = Int(milliseconds - seconds * 1_000)
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        var bytes = [UInt8](repeating: 0, count: 23)
        func put(_ value: Int, at offset: Int, digits: Int) {
            var v = value
            for i in stride(from: offset + digits - 1, through: offset, by: -1) {
                bytes[i] = UInt8(48 + v % 10)
                v /= 10
            }
        }
        put(Int(parts.tm_year) + 1900, at: 0, digits: 4); bytes[4] = 45  // -
        put(Int(parts.tm_mon) + 1, at: 5, digits: 2); bytes[7] = 45
        put(Int(parts.tm_mday), at: 8, digits: 2); bytes[10] = 32        // space
        put(Int(parts.tm_hour), at: 11, digits: 2); bytes[13] = 58       // :
        put(Int(parts.tm_min), at: 14, digits: 2); bytes[16] = 58
        put(Int(parts.tm_sec), at: 17, digits: 2); bytes[19] = 46        // .
        put(millis, at: 20, digits: 3)
        return String(decoding: bytes, as: UTF8.self)
    }

    public var databaseValue: DatabaseValue { text.databaseValue }

    public static func fromDatabaseValue(_ dbValue: DatabaseValue) -> JournalTime? {
        Date.fromDatabaseValue(dbValue).map(JournalTime.init)
    }
}
