import Foundation
import GateCore
@testable import GateHardware
import Testing
import TestSupport

/// The libgpiod edge reader thread on a real pipe carrying kernel `gpioevent_data` records
/// (this machine has no GPIO chip; the record format and libgpiod's parser are the real ones).
@Suite struct GPIOEdgeReaderTests {
    /// `struct gpioevent_data { __u64 timestamp; __u32 id; }`, 16 bytes with padding;
    /// id 1 = rising, 2 = falling.
    private func record(nanoseconds: UInt64, rising: Bool) -> [UInt8] {
        var bytes = withUnsafeBytes(of: nanoseconds.littleEndian, Array.init)
        bytes += withUnsafeBytes(of: UInt32(rising ? 1 : 2).littleEndian, Array.init)
        bytes += [0, 0, 0, 0]
        return bytes
    }

    private func makePipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        try #require(pipe(&fds) == 0)
        return (fds[0], fds[1])
    }

    @Test func edgesWrittenToTheEventFDArriveParsedAndInOrder() async throws {
        let fds = try makePipe()
        defer { close(fds.read); close(fds.write) }
        let reader = try GPIOEdgeReader(eventFD: fds.read, label: "pipe")
        let bytes = record(nanoseconds: 1_500_000_000, rising: true) + record(nanoseconds: 1_520_000_001, rising: false)
        #expect(write(fds.write, bytes, bytes.count) == 32)
        let events = reader.events
        let seen = try await withDeadline {
            var seen: [GPIOEdgeEvent] = []
            for await event in events {
                seen.append(event)
                if seen.count == 2 { break }
            }
            return seen
        }
        #expect(seen == [
            GPIOEdgeEvent(kind: .rising, timestamp: .milliseconds(1_500)),
            GPIOEdgeEvent(kind: .falling, timestamp: .nanoseconds(1_520_000_001)),
        ])
        reader.stop()
    }

    @Test func stopEndsTheBlockedThreadAndTheStream() async throws {
        let fds = try makePipe()
        defer { close(fds.read); close(fds.write) }
        let reader = try GPIOEdgeReader(eventFD: fds.read, label: "pipe")
        let events = reader.events
        let ended = Task { for await _ in events {}; return true }
        let started = ContinuousClock.now
        reader.stop()  // returns only once the thread has left poll()
        #expect(ContinuousClock.now - started < .seconds(2))
        #expect(try await withDeadline { await ended.value })
        reader.stop()  // idempotent
    }

    @Test func aVanishedEventFDEndsTheStream() async throws {
        let fds = try makePipe()
        defer { close(fds.read) }
        let reader = try GPIOEdgeReader(eventFD: fds.read, label: "pipe")
        let events = reader.events
        close(fds.write)  // POLLHUP, as when the chip goes away
        let ended = try await withDeadline { () async -> Bool in
            for await _ in events {}
            return true
        }
        #expect(ended)
        reader.stop()
    }

    @Test func anInvalidEventFDIsAnError() {
        #expect(throws: GPIOError.self) { try GPIOEdgeReader(eventFD: -1, label: "none") }
    }
}
