import Foundation
import Synchronization
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// What one durable commit costs on this disk, measured in the same run as the gate (issue 24).
///
/// The money rule makes two durable commits the floor of a safe admission (the redemption's
/// intent before the Redeem call, its token before the relay), so the gate's overhead is judged
/// after subtracting them: overhead − 2 × fdatasync p50. The probe does what a WAL commit does —
/// append one 4 KiB page to a file in the directory the gate's database lives in (the same file
/// system), then `fdatasync` — once before each sampled scan, interleaved like the floor pair, so
/// the disk's drift over the run weighs on both alike. The file is preallocated and rewritten from
/// its start every 1,024 pages, as a checkpointed WAL is.
///
/// The LD_PRELOAD fsync shim delays only the gate's process; with it the gate's commits cost the
/// probe's time plus the shim's delay, and `perCommit(shimDelayMs:)` says so.
final class SyncProbe: Sendable {
    private let fd: FileDescriptor
    private let path: String
    private let state = Mutex<(offset: Int64, samples: [Duration])>((0, []))
    private static let page = [UInt8](repeating: 0x5a, count: 4096)
    private static let pages: Int64 = 1_024

    init(directory: String = NSTemporaryDirectory(), name: String = "sync-probe") throws {
        path = directory + "/\(name)-\(getpid()).bin"
        fd = try FileDescriptor.open(FilePath(path), .readWrite, options: [.create, .truncate], permissions: [.ownerReadWrite])
        // Preallocated, so each sample is a data write + fdatasync, not a file growth.
        for i in 0..<Self.pages { _ = try fd.writeAll(toAbsoluteOffset: i * 4096, Self.page) }
        guard fsync(fd.rawValue) == 0 else { throw BenchSocket.Failure(description: "fsync \(path): errno \(errno)") }
    }

    /// One commit-sized write and its fdatasync, timed. `delayUs`: first wait as the fsync shim
    /// makes the gate's process wait (the same `nanosleep`), for the durable floor under the shim.
    func sample(delayUs: Int = 0) throws {
        let offset = state.withLock { s in
            defer { s.offset = (s.offset + 1) % Self.pages }
            return s.offset * 4096
        }
        let start = ContinuousClock.now
        _ = try fd.writeAll(toAbsoluteOffset: offset, Self.page)
        if delayUs > 0 {
            var asked = timespec(tv_sec: delayUs / 1_000_000, tv_nsec: (delayUs % 1_000_000) * 1_000)
            var left = timespec()
            while nanosleep(&asked, &left) == -1 && errno == EINTR { asked = left }
        }
        guard fdatasync(fd.rawValue) == 0 else { throw BenchSocket.Failure(description: "fdatasync \(path): errno \(errno)") }
        let took = ContinuousClock.now - start
        state.withLock { $0.samples.append(took) }
    }

    /// The samples since the last call, and a fresh start for the next configuration.
    func take() -> [Duration] {
        state.withLock { s in
            defer { s.samples = [] }
            return s.samples
        }
    }

    func close() {
        try? fd.close()
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The money-rule figures of one run: its overhead over the interleaved floor, less two
    /// commits as the gate's process sees them (the probe, plus the shim's delay per commit).
    static func report(_ who: String, measure: String, overhead50: Double, overhead99: Double,
                       syncs: [Duration], shimDelayMs: Double) -> String {
        let p50 = millis(GateBenchmarks.p(syncs, 50)) + shimDelayMs
        let p99 = millis(GateBenchmarks.p(syncs, 99)) + shimDelayMs
        let above50 = overhead50 - 2 * p50
        let limit99 = 2 * p99 + 2
        let met = { (ok: Bool) in ok ? "met" : "NOT met" }
        return "  \(who) scan → \(measure): " + String(format: "overhead %.2f ms p50 − 2 × fdatasync p50 %.2f ms = %+.2f ms", overhead50, p50, above50)
            + " (goal ≤ +0.80: \(met(above50 <= 0.8))); "
            + String(format: "overhead %.2f ms p99 vs 2 × fdatasync p99 + 2 ms = %.2f ms", overhead99, limit99) + " (\(met(overhead99 <= limit99)))"
    }
}
