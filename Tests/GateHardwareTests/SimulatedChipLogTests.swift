import Foundation
import GateCore
import GateHardware
import Testing

/// The simulated chip keeps a bounded change log (issue 13: a `chip = "sim"` daemon made two
/// records per admission and never dropped one).
@Suite("Simulated chip change log")
struct SimulatedChipLogTests {
    @Test func theLogKeepsTheNewestChangesAndStaysBounded() throws {
        let chip = SimulatedGPIOChip(lineCount: 4)
        let relay = try chip.requestOutput(.offset(0), activeLow: false, consumer: "relay")
        let pulses = SimulatedGPIOChip.changeLogLimit * 3
        for _ in 0..<pulses {
            try relay.setActive(true)
            try relay.setActive(false)
        }
        let changes = chip.changes
        #expect(changes.count >= SimulatedGPIOChip.changeLogLimit)
        #expect(changes.count < SimulatedGPIOChip.changeLogLimit * 2)
        #expect(changes.last?.kind == .driven)
        #expect(changes.last?.active == false)
        #expect(chip.isActive(line: 0) == false)
    }

    /// The drive trace the latency benchmark reads "relay energised" from: one line per driven
    /// change — not per request, input or no-op drive — with CLOCK_MONOTONIC nanoseconds taken as
    /// the line changed, comparable with another process's clock.
    @Test func theDriveTraceHasOneMonotonicLinePerDrivenChange() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("drive-\(UUID().uuidString).trace").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let chip = SimulatedGPIOChip.fromEnvironment([SimulatedGPIOChip.driveTraceVariable: path])
        let sensor = try chip.requestInput(.offset(1), edge: .falling, bias: .pullUp, activeLow: false, consumer: "sensor")
        let relay = try chip.requestOutput(.offset(3), activeLow: true, consumer: "relay")
        let before = Self.monotonicSeconds()
        try relay.setActive(true)
        try relay.setActive(true)  // no change: no line
        chip.setInput(line: 1, high: false)  // an input: not driven
        try relay.setActive(false)
        let after = Self.monotonicSeconds()
        relay.release()
        sensor.release()

        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.split(separator: " ") }
        #expect(lines.map { $0.prefix(2).joined(separator: " ") } == ["3 1", "3 0"])
        let stamps = lines.compactMap { $0.count == 3 ? Int64($0[2]) : nil }.map { Double($0) / 1e9 }
        #expect(stamps.count == 2)
        #expect(stamps == stamps.sorted())
        #expect(stamps.allSatisfy { $0 >= before && $0 <= after }, "\(stamps) not within \(before)…\(after)")
    }

    static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    @Test func withoutTheVariableThereIsNoTrace() throws {
        let chip = SimulatedGPIOChip.fromEnvironment([SimulatedGPIOChip.driveTraceVariable: ""])
        let relay = try chip.requestOutput(.offset(0), activeLow: false, consumer: "relay")
        try relay.setActive(true)  // drives without a file to write to
        #expect(chip.isActive(line: 0) == true)
    }
}
