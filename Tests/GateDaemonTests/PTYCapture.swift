import Foundation
import GateCore
import GateDaemon
import GateHardware
import Glibc
import Synchronization
import TestSupport

/// Collects what is written to a PTY's slave side (the pole display's port) by reading the
/// master on a dedicated thread; tests take the bytes in order, awaiting each chunk with a deadline.
final class PTYCapture: Sendable {
    let terminal: PseudoTerminal
    private let bytes = ObservedValue<[UInt8]>([])
    private let consumed = Mutex(0)
    private let stopped = ObservedValue(false)

    /// A symlink to the PTY's slave outside /dev, like a udev symlink. Why not /dev/pts/N itself:
    /// umockdev's preload (the suite runs under umockdev-wrapper) redirects /dev paths into a
    /// testbed that another test may have active at that moment; a path outside /dev is not
    /// intercepted and the kernel resolves the link to the real PTY.
    let path: String

    init() throws {
        terminal = try TestPTY.open()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pole-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        path = dir + "/display"
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: terminal.slavePath)
        // The thread holds the terminal itself, not only its fd number: the master is closed
        // (PseudoTerminal.deinit) only after this thread has finished. Holding the bare number let
        // a stopped capture, still inside its last poll, read from the next test's PTY that had
        // been given the same fd number — that test then missed its first bytes.
        let terminal = self.terminal, bytes = self.bytes, stopped = self.stopped
        Thread {
            let master = terminal.master
            var chunk = [UInt8](repeating: 0, count: 4096)
            while !stopped.value {
                var pfd = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
                guard poll(&pfd, 1, 50) > 0 else { continue }  // 50 ms: how often the stop flag is seen
                let n = chunk.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
                if n > 0 { bytes.update { $0 += chunk[0..<n] } }
                else if n < 0 && errno != EAGAIN && errno != EINTR && errno != EIO { break }
            }
        }.start()
    }

    /// The next `count` bytes written, once they are there.
    func take(_ count: Int, timeout: Duration = .seconds(10)) async throws -> [UInt8] {
        let start = consumed.withLock { $0 }
        let bytes = self.bytes
        let all = try await withDeadline(timeout, "\(count) bytes on the pole display (have \(bytes.value.count - start))") {
            guard let all = await bytes.wait(until: { $0.count >= start + count }) else { throw CancellationError() }
            return all
        }
        consumed.withLock { $0 = start + count }
        return Array(all[start..<(start + count)])
    }

    /// Everything written so far, once it contains `needle`.
    func waitFor(_ needle: [UInt8], timeout: Duration = .seconds(10)) async throws -> [UInt8] {
        let bytes = self.bytes
        return try await withDeadline(timeout, "\(needle.count) expected bytes on the pole display") {
            guard let all = await bytes.wait(until: { Self.contains($0, needle) }) else { throw CancellationError() }
            return all
        }
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    /// Bytes written beyond what was taken.
    var unread: [UInt8] { Array(bytes.value.dropFirst(consumed.withLock { $0 })) }

    func stop() {
        stopped.update { $0 = true }
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }
}
