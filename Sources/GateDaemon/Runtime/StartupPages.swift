#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Gives back the daemon's start-up pages once it is ready (issue 13, memory).
///
/// A gate runs for months; the code and read-only data that only start-up touched — the packaged
/// binary's 3.5 MB relocation table the loader reads once, argument parsing, configuration,
/// migrations, TLS set-up, ICU's time-zone tables — stay mapped, and counted in its RSS, for all
/// that time. After READY every clean, read-only, private file mapping (the executable and the
/// libraries) is dropped from this process (`MADV_DONTNEED`); what the gate still uses comes back
/// on its next access from the page cache (a minor fault; other processes sharing a library keep
/// their own mappings). A mapping that holds a private copied-on-write page (relocated data made
/// read-only after load) is skipped: dropping it would lose what was written to it; so is any
/// writable or shared mapping (SQLite's `-shm`).
enum StartupPages {
    /// The number of KiB released; 0 when nothing could be (no /proc, or nothing clean).
    static func release() -> Int {
        guard let smaps = MemoryMapping.read(pid: "self") else { return 0 }
        var released = 0
        for mapping in smaps where mapping.isCleanReadOnlyFile {
            guard let start = UnsafeMutableRawPointer(bitPattern: mapping.start) else { continue }
            if madvise(start, Int(mapping.end - mapping.start), MADV_DONTNEED) == 0 { released += mapping.rssKiB }
        }
        return released
    }
}

/// One mapping of a process, as /proc/PID/smaps describes it (the fields the gate uses).
public struct MemoryMapping: Equatable, Sendable {
    public var start: UInt
    public var end: UInt
    /// "r-xp", "rw-s", …
    public var permissions: String
    /// The mapped file; empty for anonymous memory, "[stack]", "[vdso]" and the like otherwise.
    public var path: String
    public var rssKiB = 0
    /// Resident pages not backed by the file: anonymous memory, or a file's copied-on-write pages.
    public var anonymousKiB = 0

    /// A read-only private mapping of a file without a copied-on-write page: every resident page
    /// of it can be dropped and read again from the file.
    public var isCleanReadOnlyFile: Bool {
        path.hasPrefix("/") && permissions.hasPrefix("r") && !permissions.contains("w") && permissions.hasSuffix("p")
            && anonymousKiB == 0
    }

    /// The mappings of process `pid` ("self" for this one); nil when /proc cannot be read.
    public static func read(pid: String) -> [MemoryMapping]? {
        ProcFile.text("/proc/\(pid)/smaps").map { parse(smaps: $0) }
    }

    /// Parses the text of /proc/PID/smaps.
    public static func parse(smaps: String) -> [MemoryMapping] {
        var mappings: [MemoryMapping] = []
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = fields.first else { continue }
            if fields.count >= 5, first.contains("-"), first.allSatisfy({ $0.isHexDigit || $0 == "-" }) {
                let bounds = first.split(separator: "-")
                guard bounds.count == 2, let start = UInt(bounds[0], radix: 16), let end = UInt(bounds[1], radix: 16) else { continue }
                mappings.append(MemoryMapping(start: start, end: end, permissions: String(fields[1]),
                                              path: fields.count >= 6 ? fields[5...].joined(separator: " ") : ""))
            } else if fields.count > 1, let kib = Int(fields[1]), !mappings.isEmpty {
                if first == "Rss:" { mappings[mappings.count - 1].rssKiB = kib }
                if first == "Anonymous:" { mappings[mappings.count - 1].anonymousKiB = kib }
            }
        }
        return mappings
    }
}

/// A file under /proc, read to its end. A proc file reports size 0, and `String(contentsOfFile:)`
/// stops after its first block: /proc/PID/smaps came back without most of its mappings.
public enum ProcFile {
    public static func text(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        return (try? handle.readToEnd()).map { String(decoding: $0, as: UTF8.self) }
    }
}
