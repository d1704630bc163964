import ArgumentParser
import EgumaAPI
import GateDaemon

/// `eguma-gate balance CODE`: what e-guma says about a voucher. Never redeems.
struct BalanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "balance",
        abstract: "Show what e-guma says about a voucher (redeemable, balance, total, message).")

    @Argument(help: "Voucher code (with or without dashes) or a voucher2mobile ShortCode.")
    var code: String

    @Option(help: "Ask as this outlet of the configuration: its key and the configured base URL (SPEC §6).")
    var outlet: String?

    @OptionGroup var configuration: ConfigOption

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let trimmed = code.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw CLIError.usage("the voucher code is empty — scan or type the code printed on the voucher")
        }
        let ask: (EgumaClient, APIKey) async throws -> BalanceResponse = { client, key in
            try await client.balance(code: trimmed, key: key)
        }
        let answer = if let outlet { try await viaOutlet(outlet, ask) } else { try await connection.withClient(ask) }
        if connection.json { return try printJSON(answer) }
        // In the currency e-guma names (an account has one: CHF or EUR); none named, none shown.
        func money(_ cents: Cents) -> String { answer.currency.map { "\($0) \(cents)" } ?? "\(cents)" }
        print("code:        \(answer.code)")
        print("redeemable:  \(answer.isRedeemable ? "yes" : "no")")
        print("balance:     \(money(answer.balanceInCents))")
        print("total:       \(money(answer.totalAmountInCents))")
        if let product = answer.productId { print("product:     \(product)") }
        if let message = answer.message, !message.isEmpty { print("message:     \(message)") }
    }

    /// `--outlet NAME`: the configured e-guma base URL (and trust root) with that outlet's key.
    private func viaOutlet<T>(_ name: String, _ body: (EgumaClient, APIKey) async throws -> T) async throws -> T {
        guard connection.apiKeyFile == nil else {
            throw CLIError.usage("--outlet takes the outlet's key from the configuration: leave out --api-key-file")
        }
        let config = try configuration.load()
        guard let outletConfig = config.outlets[name] else {
            throw CLIError.usage("no outlet \(name) (outlets: \(config.outlets.keys.sorted().joined(separator: ", "))) — check [outlets.\(name)] in \(config.file)")
        }
        let key: APIKey
        do { key = try outletConfig.loadKey(configFile: config.file) } catch {
            throw CLIError.usage("outlet \(name): \(error.description)")
        }
        let client: EgumaClient
        do { client = try EgumaClient(configuration: config.api) } catch {
            throw CLIError.usage("api: \(error) — check [api] in \(config.file)")
        }
        return try await ConnectionOptions.using(client, key: key, body)
    }
}
