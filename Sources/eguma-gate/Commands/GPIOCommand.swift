import ArgumentParser

/// `eguma-gate gpio …`: commissioning of GPIO lines on site.
struct GPIOCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gpio", abstract: "Commission GPIO lines: relay pulse and sensor edges.",
        subcommands: [GPIOTestCommand.self])
}
