import ArgumentParser

/// `eguma-gate scanners`: what udev sees now, and which lane each scanner would serve.
struct ScannersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scanners", abstract: "List scanners udev sees now and the lane each matches.")

    func run() async throws {
        throw CLIError.runtime("scanners: not built yet")
    }
}
