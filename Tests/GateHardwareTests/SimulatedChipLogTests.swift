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
}
