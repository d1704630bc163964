import Foundation
import Testing
@testable import GateDaemon

/// Releasing start-up pages (issue 13, memory): only clean, read-only, private file mappings are
/// dropped, and dropping them lowers this process's RSS while it keeps running.
@Suite struct StartupPagesTests {
    /// A piece of /proc/self/smaps with one mapping of each kind that must be told apart.
    static let smaps = """
        55d0a0000000-55d0a3294000 r-xp 00000000 fe:00 1234                       /usr/bin/eguma-gate
        Size:              51796 kB
        Rss:               32216 kB
        Anonymous:             0 kB
        VmFlags: rd ex mr mw me dw
        55d0a3295000-55d0a33ed000 r--p 03294000 fe:00 1234                       /usr/bin/eguma-gate
        Size:               1376 kB
        Rss:                1376 kB
        Anonymous:          1376 kB
        55d0a33ed000-55d0a5990000 rw-p 033ec000 fe:00 1234                       /usr/bin/eguma-gate
        Rss:                4516 kB
        Anonymous:           476 kB
        7f0000000000-7f0000100000 rw-p 00000000 00:00 0
        Rss:                 992 kB
        Anonymous:           992 kB
        7f1000000000-7f1000008000 rw-s 00000000 fe:00 99                         /var/lib/eguma-gate/journal.sqlite-shm
        Rss:                  32 kB
        Anonymous:             0 kB
        7f2000000000-7f2000028000 r--p 00000000 fe:00 77                         /usr/lib/x86_64-linux-gnu/libc.so.6
        Rss:                 152 kB
        Anonymous:             0 kB
        7f2000028000-7f200017e000 r-xp 00028000 fe:00 77                         /usr/lib/x86_64-linux-gnu/libc.so.6
        Rss:                1304 kB
        Anonymous:             0 kB
        7ffd00000000-7ffd00002000 r-xp 00000000 00:00 0                          [vdso]
        Rss:                   8 kB
        Anonymous:             0 kB
        """

    @Test func onlyCleanReadOnlyPrivateFileMappingsAreChosen() {
        let all = MemoryMapping.parse(smaps: Self.smaps)
        #expect(all.count == 8)
        #expect(all[1] == MemoryMapping(start: 0x55d0a3295000, end: 0x55d0a33ed000, permissions: "r--p",
                                        path: "/usr/bin/eguma-gate", rssKiB: 1376, anonymousKiB: 1376))
        let chosen = all.filter(\.isCleanReadOnlyFile).map { [$0.start, $0.end, UInt($0.rssKiB)] }
        #expect(chosen == [
            [0x55d0a0000000, 0x55d0a3294000, 32216],  // the binary's code
            [0x7f2000000000, 0x7f2000028000, 152],    // a library's read-only data
            [0x7f2000028000, 0x7f200017e000, 1304],   // and its code
        ])
        // Not chosen: relocated data made read-only (copied-on-write pages), writable data,
        // anonymous memory, SQLite's shared -shm mapping, the vDSO.
    }

    @Test func releasingLowersThisProcessRSSAndCodeStillRuns() throws {
        let before = try Self.rssKiB()
        let released = StartupPages.release()
        let after = try Self.rssKiB()
        #expect(released > 1_000, "expected more than 1 MiB of clean code pages in a test process, released \(released) KiB")
        #expect(after < before, "RSS \(before) KiB before, \(after) KiB after releasing \(released) KiB")
        // Code and read-only data come back from the page cache on their next use.
        let text = String(decoding: try JSONEncoder().encode(["still": "running"]), as: UTF8.self)
        #expect(text == #"{"still":"running"}"#)
    }

    static func rssKiB() throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
        return try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
    }
}
