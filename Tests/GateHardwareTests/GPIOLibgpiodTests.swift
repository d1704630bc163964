import Foundation
import GateCore
@testable import GateHardware
import Testing

/// The real libgpiod adapter on this machine, which has no GPIO chip: the error paths.
@Suite struct GPIOLibgpiodTests {
    @Test func openingAMissingChipNamesItAndListsTheChipsPresent() throws {
        let error = try #require(throws: GPIOError.self) { try LibgpiodChip.open("gpiochip0") }
        #expect(error.cause == .chipNotFound(available: LibgpiodChip.availableChips()))
        #expect(error.isConfigurationError)
        #expect(error.description.hasPrefix("open GPIO chip \"gpiochip0\": no such GPIO chip — "))
        if LibgpiodChip.availableChips().isEmpty {
            #expect(error.description.contains("this machine has no GPIO chips (no /dev/gpiochip*)"))
        }
    }

    @Test func openingAMissingPathOrLabelFailsTheSameWay() throws {
        for name in ["/dev/gpiochip9", "pinctrl-bcm2711"] {
            let error = try #require(throws: GPIOError.self) { try LibgpiodChip.open(name) }
            guard case .chipNotFound = error.cause else {
                Issue.record("\(name): \(error)")
                continue
            }
        }
    }

    @Test func aFileThatIsNoGPIOChipIsNamedAsSuch() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gpio-\(UUID().uuidString)").path
        try Data("not a chip".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = try #require(throws: GPIOError.self) { try LibgpiodChip.open(path) }
        #expect(error.cause == .notAGPIOChip)
        #expect(error.description.contains(path))
    }

    @Test func chipListNamesDevicesThatCannotBeOpened() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dev-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data().write(to: dir.appendingPathComponent("gpiochip3"))
        try Data().write(to: dir.appendingPathComponent("ttyS0"))
        let chips = LibgpiodChip.availableChips(devDirectory: dir.path)
        #expect(chips.count == 1)
        #expect(chips.first?.hasPrefix("gpiochip3 (cannot open: ") == true)
    }

    @Test func busyLineNamesItsConsumer() throws {
        let sim = SimulatedGPIOChip()
        _ = try sim.requestOutput(.offset(2), activeLow: false, consumer: "gpioset")
        let error = try #require(throws: GPIOError.self) {
            try sim.requestOutput(.offset(2), activeLow: false, consumer: "eguma-gate")
        }
        #expect(error.cause == .lineBusy(consumer: "gpioset"))
        #expect(error.description.contains("held by \"gpioset\""))
    }

    @Test func permissionDeniedNamesTheGroupAndTheUdevRule() {
        let error = GPIOError(
            operation: "open GPIO chip", subject: "\"gpiochip0\"", cause: .permissionDenied(path: "/dev/gpiochip0"))
        #expect(error.description.contains("permission denied on /dev/gpiochip0"))
        #expect(error.description.contains("group eguma-gate"))
        #expect(error.description.contains("KERNEL==\"gpiochip*\""))
    }

    @Test func simChipIsRefusedOutsideDemoAndTests() throws {
        let error = try #require(throws: GPIOError.self) { try GPIOChipOpener().open("sim") }
        #expect(error.cause == .simulatedChipUnavailable)
    }
}
