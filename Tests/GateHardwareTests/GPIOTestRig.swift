import GateCore
@testable import GateHardware
import TestSupport

/// A simulated chip and a test clock, shared by the adapters under test.
struct GPIOTestRig {
    let clock = TestClock()
    let elapsed: ElapsedClock
    let sim: SimulatedGPIOChip
    let opener: GPIOChipOpener

    init() {
        elapsed = ElapsedClock(clock)
        sim = SimulatedGPIOChip(lineCount: 32, lineNames: ["RELAY": 7], clock: elapsed)
        opener = GPIOChipOpener(simulated: sim)
    }

    func relay(line: Int = 0, activeLow: Bool = false, pulse: Duration = .milliseconds(800)) throws -> GPIORelay {
        try GPIORelay(
            config: GPIOLineConfig(chip: "sim", line: .offset(line), activeLow: activeLow),
            pulse: pulse, opener: opener, clock: elapsed)
    }

    /// Awaits (with a real-time deadline) the first recorded change matching `predicate` that
    /// happens on `changes`, a stream taken *before* the action that causes it.
    func awaitChange(
        _ changes: AsyncStream<SimulatedLineChange>, _ what: String,
        where predicate: @escaping @Sendable (SimulatedLineChange) -> Bool
    ) async throws -> SimulatedLineChange {
        try await withDeadline(.seconds(5), what) {
            for await change in changes where predicate(change) { return change }
            throw StreamEnded(what: what)
        }
    }
}

extension GPIOTestRig {
    /// Awaits changes putting every line of `lines` to `active`, in any order.
    func awaitLines(
        _ changes: AsyncStream<SimulatedLineChange>, _ lines: Set<Int>, active: Bool, _ what: String
    ) async throws {
        try await withDeadline(.seconds(5), what) {
            var pending = lines
            for await change in changes where change.active == active {
                pending.remove(change.offset)
                if pending.isEmpty { return }
            }
            throw StreamEnded(what: what)
        }
    }
}

/// The awaited stream finished before the awaited element arrived.
struct StreamEnded: Error, CustomStringConvertible {
    let what: String
    var description: String { "stream ended before \(what)" }
}
