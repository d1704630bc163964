import GateCore
import Testing

@Suite struct GPIOLineConfigTests {
    @Test func digitsAreAnOffsetAndTextIsALineName() {
        #expect(GPIOLineID(parsing: "17") == .offset(17))
        #expect(GPIOLineID(parsing: " GPIO17 ") == .name("GPIO17"))
    }

    @Test func emptyOrNegativeLinesAreRefused() {
        #expect(GPIOLineID(parsing: "  ") == nil)
        #expect(GPIOLineID(parsing: "-1") == nil)
    }

    @Test func configurationSpellingsMatchTheSpec() {
        #expect(GPIOEdge(rawValue: "falling") == .falling)
        #expect(GPIOBias(rawValue: "pull-up") == .pullUp)
        #expect(GPIOBias(rawValue: "pull-down") == .pullDown)
        #expect(GPIOBias(rawValue: "disabled") == .disabled)
    }

    @Test func simIsTheSimulatedChip() {
        #expect(GPIOLineConfig(chip: "sim", line: .offset(0)).isSimulated)
        #expect(!GPIOLineConfig(chip: "gpiochip0", line: .offset(0)).isSimulated)
    }

    @Test func edgeSelectionIncludesTheRightKinds() {
        #expect(GPIOEdge.falling.includes(.falling) && !GPIOEdge.falling.includes(.rising))
        #expect(GPIOEdge.both.includes(.rising) && GPIOEdge.both.includes(.falling))
    }
}
