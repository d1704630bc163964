import Foundation
import GateCore
import GateHardware
import Glibc
import Testing
import TestSupport

extension DeviceAccess {
    /// A serial scanner at a fixed path that udev does not list — a plain PTY, as socat or
    /// ser2net make for network scanners. The path is a symlink in a temp directory: outside
    /// /dev, so umockdev's preload (this test binary runs under umockdev-wrapper) leaves it to
    /// the kernel, and removing/recreating it is the unplug/replug.
    @Suite struct FixedPathScannerTests {
        /// The lane's source on `path`, polled every 50 ms, and its events.
        private func watch(_ path: String) -> EventQueue {
            let config = LaneScannerConfig(kind: .serial, path: path, terminator: .cr)
            return EventQueue(running: FixedPathScanner(config: config, path: path, clock: ContinuousClock(), interval: .milliseconds(50)))
        }

        /// `dir/scanner` → `pty`, watched, attached.
        private func attached(_ pty: PseudoTerminal, in dir: String) async throws -> (link: String, events: EventQueue) {
            let link = dir + "/scanner"
            try #require(symlink(pty.slavePath, link) == 0)
            let events = watch(link)
            #expect(try await events.next("attached") == .attached(device: link))
            return (link, events)
        }

        private func temporaryDirectory() throws -> String {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fixed-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            return dir
        }

        @Test func aPTYUdevDoesNotKnowAttachesReadsAndFollowsRemoveAndRecreate() async throws {
            let dir = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let pty = try TestPTY.open()

            // Present: opened directly, codes read.
            let (link, events) = try await attached(pty, in: dir)
            try pty.send("K7QM2XPA9HTD\r")
            #expect(try await events.nextFrame() == "K7QM2XPA9HTD")

            // The path goes away: missing.
            try #require(unlink(link) == 0)
            guard case .detached(let device, let reason)? = try await events.next("detached after removal") else {
                Issue.record("expected detached"); return
            }
            #expect(device == link && reason.contains("removed"))

            // It comes back: attached again, reading again.
            try #require(symlink(pty.slavePath, link) == 0)
            #expect(try await events.next("attached after recreate") == .attached(device: link))
            try pty.send("B3NV8WRE5JQL\r")
            #expect(try await events.nextFrame() == "B3NV8WRE5JQL")
        }

        /// Review item 8: a lane's run awaits its source's run, cancelled; when it returns the
        /// device is closed, so a restarted run's new watcher never finds the old reader holding it.
        @Test func aCancelledRunReturnsOnlyOnceTheDeviceIsClosed() async throws {
            let dir = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let pty = try TestPTY.open()
            let link = dir + "/scanner"
            try #require(symlink(pty.slavePath, link) == 0)
            let config = LaneScannerConfig(kind: .serial, path: link, terminator: .cr)
            let events = EventQueue(running: FixedPathScanner(config: config, path: link, clock: ContinuousClock(), interval: .milliseconds(50)))
            #expect(try await events.next("attached") == .attached(device: link))
            #expect(Self.openDescriptors(of: pty.slavePath) > 0)
            await events.close()
            #expect(Self.openDescriptors(of: pty.slavePath) == 0, "the reader's fd is closed when the run returns")
        }

        /// A restarted lane: the new run opens the device the old run held (an exclusive serial
        /// open, EBUSY while the old reader holds it) and reads it, because the old run returned
        /// only once its reader had closed it.
        @Test func aRunStartedAfterTheLastOneReturnedOpensTheSameDeviceAgain() async throws {
            let dir = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let pty = try TestPTY.open()
            let (link, first) = try await attached(pty, in: dir)
            await first.close()

            let second = watch(link)
            #expect(try await second.next("attached again") == .attached(device: link))
            try pty.send("K7QM2XPA9HTD\r")
            #expect(try await second.nextFrame() == "K7QM2XPA9HTD")
            await second.close()
        }

        /// How many of this process's file descriptors name `path`.
        static func openDescriptors(of path: String) -> Int {
            let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
            return fds.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0)) == path }.count
        }

        @Test func aPathAbsentAtStartIsMissingUntilItAppears() async throws {
            let dir = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let link = dir + "/scanner"
            let events = watch(link)
            guard case .detached(_, let reason)? = try await events.next("missing at start") else {
                Issue.record("expected detached"); return
            }
            #expect(reason.contains("does not exist"))

            let pty = try TestPTY.open()
            try #require(symlink(pty.slavePath, link) == 0)
            #expect(try await events.next("attached once it exists") == .attached(device: link))
            try pty.send("R9TZ4KMC7PXW\r")
            #expect(try await events.nextFrame() == "R9TZ4KMC7PXW")
        }

        @Test func aHungUpPTYReplacedByANewOneIsAttachedAgain() async throws {
            let dir = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let first = try TestPTY.open()
            let (link, events) = try await attached(first, in: dir)

            // socat restarts: the old PTY hangs up, the link is pointed at a new one.
            first.hangUp()
            guard case .detached? = try await events.next("detached on hang-up") else { Issue.record("expected detached"); return }
            let second = try TestPTY.open()
            try #require(unlink(link) == 0 && symlink(second.slavePath, link) == 0)
            #expect(try await events.next("attached to the new PTY") == .attached(device: link))
            try second.send("K7QM2XPA9HTD\r")
            #expect(try await events.nextFrame() == "K7QM2XPA9HTD")
        }
    }
}
