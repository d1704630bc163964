import ArgumentParser

/// `eguma-gate gpio test …`: pulse a relay and show sensor edges live (commissioning).
struct GPIOCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gpio", abstract: "Commission GPIO lines: relay pulse and sensor edges.")

    func run() async throws {
        throw CLIError.runtime("gpio: not built yet")
    }
}
