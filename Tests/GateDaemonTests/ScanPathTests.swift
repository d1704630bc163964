import EgumaSimulator
import Foundation
import GateCore
@testable import GateDaemon
import GateHardware
import Glibc
import Testing
import TestSupport

/// The path of one scan through the daemon in-process, from a real source: a serial scanner at a
/// fixed path (a PTY behind a symlink, as socat makes for a network scanner), read by the real
/// termios reader, whose frames go straight into the lane engine's inbox.
@Suite(.deviceAccess) struct ScanPathTests {
    /// The next journal event of `type` on lane main, with a deadline.
    private func next(_ type: GateEventType, in events: AsyncStream<GateEvent>) async throws -> GateEvent {
        try await withDeadline(.seconds(20), "\(type.rawValue) on lane main") {
            for await event in events where event.type == type && event.lane == "main" { return event }
            throw CancellationError()
        }
    }

    @Test func aFrameReadFromASerialScannerReachesTheEngineAndAdmitsTheGuest() async throws {
        // Given a lane whose scanner is a PTY at a fixed path, no scripted source in between
        let pty = try TestPTY.open()
        let link = FileManager.default.temporaryDirectory.appendingPathComponent("scan-path-\(UUID().uuidString.prefix(8))").path
        defer { unlink(link) }
        let lanes = """
            [lanes.main]
            outlet = "demo"
            price = "25.00"
            debounce_ms = 0
            passage_timeout_ms = 500
            scanner = { kind = "serial", path = "\(link)", terminator = "cr" }
            relay = { chip = "sim", line = 0, pulse_ms = 100 }
            sensor = { chip = "sim", line = 1, edge = "falling", bias = "pull-up" }
            """
        let gate = try await GateUnderTest.start(lanes: lanes, laneNames: [])
        do {
            // The scanner appears once the test listens: its attach is not missed.
            let events = gate.runtime.events.subscribe()
            try #require(symlink(pty.slavePath, link) == 0)
            _ = try await next(.scannerAttached, in: events)
            #expect(gate.runtime.lane("main")?.scannerPresent == true)
            #expect(gate.runtime.lane("main")?.scannerDevice == link)

            // When the scanner sends a voucher code
            try pty.send(DemoVouchers.plenty + "\r")

            // Then the engine checks and redeems it and opens the turnstile (no passage: cancelled)
            _ = try await next(.scanned, in: events)
            _ = try await next(.opened, in: events)
            _ = try await next(.cancelled, in: events)
        } catch {
            await gate.stop()
            throw error
        }
        await gate.stop()
    }
}
