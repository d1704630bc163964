import ArgumentParser
import EgumaAPI

/// `eguma-gate balance CODE`: what e-guma says about a voucher. Never redeems.
struct BalanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "balance",
        abstract: "Show what e-guma says about a voucher (redeemable, balance, total, message).")

    @Argument(help: "Voucher code (with or without dashes) or a voucher2mobile ShortCode.")
    var code: String

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let trimmed = code.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw CLIError.usage("the voucher code is empty — scan or type the code printed on the voucher")
        }
        let answer = try await connection.withClient { client, key in
            try await client.balance(code: trimmed, key: key)
        }
        if connection.json { return try printJSON(answer) }
        let currency = answer.currency ?? ""
        print("code:        \(answer.code)")
        print("redeemable:  \(answer.isRedeemable ? "yes" : "no")")
        print("balance:     \(currency) \(answer.balanceInCents)".replacingOccurrences(of: "  ", with: " "))
        print("total:       \(currency) \(answer.totalAmountInCents)".replacingOccurrences(of: "  ", with: " "))
        if let product = answer.productId { print("product:     \(product)") }
        if let message = answer.message, !message.isEmpty { print("message:     \(message)") }
    }
}

import Foundation
