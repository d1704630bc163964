import ArgumentParser

/// `eguma-gate simulate [--listen ADDR] [--tls] [--vouchers FILE]`: the e-guma simulator as a server.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate", abstract: "Run the e-guma simulator as a server.")

    func run() async throws {
        throw CLIError.runtime("simulate: not built yet")
    }
}
