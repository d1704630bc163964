import ArgumentParser
import EgumaAPI
import GateCore

/// `eguma-gate voucher …`: the rest of the e-guma API, for the front desk and support.
struct VoucherCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "voucher",
        abstract: "Voucher operations for the front desk and support (info, redeem, cancel, depot, charge).",
        subcommands: [Info.self, Redeem.self, Cancel.self, ActivateStatus.self, Activate.self,
                      DeactivateStatus.self, Deactivate.self, ChargeStatus.self, Charge.self,
                      CancelCharge.self])

    /// Parses "12.50" / "12" into cents through the one amount parser (`Money(decimal:)`, ASCII
    /// digits only), or fails with a usage error naming the option.
    static func cents(_ text: String, option: String) throws -> Cents {
        guard let money = Money(decimal: text) else {
            throw CLIError.usage("\(option) \"\(text)\": not an amount — write it like 12.50 (digits 0-9, at most two decimals)")
        }
        return Cents(money.cents)
    }

    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Name, description and validity of a voucher.")
        @Argument var code: String
        @OptionGroup var connection: ConnectionOptions
        func run() async throws {
            let a = try await connection.withClient { try await $0.info(code: code, key: $1) }
            if connection.json { return try printJSON(a) }
            print("code:        \(a.code)")
            if let v = a.name { print("name:        \(v)") }
            if let v = a.description { print("description: \(v)") }
            if let v = a.balanceInCents { print("balance:     \(v)") }
            if let v = a.isRedeemed { print("redeemed:    \(v ? "yes" : "no")") }
            if let v = a.validUntil { print("valid until: \(v)") }
        }
    }

    struct Redeem: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Redeem an amount; prints the redeem token (keep it to cancel).")
        @Argument var code: String
        @Option(help: "Amount, e.g. 25.00.") var amount: String
        @Option(help: "Reference shown in e-guma's back office.") var reference: String?
        @OptionGroup var connection: ConnectionOptions
        func run() async throws {
            let cents = try VoucherCommand.cents(amount, option: "--amount")
            let a = try await connection.withClient {
                try await $0.redeem(code: code, amount: cents, reference: reference, key: $1)
            }
            if connection.json { return try printJSON(a) }
            print("code:         \(a.code)\nnew balance:  \(a.balanceInCents)\nredeem token: \(a.redeemToken)")
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel (part of) a redemption by its token.")
        @Argument var code: String
        @Option(help: "The redeem token.") var token: String
        @Option(help: "Amount to give back, e.g. 25.00.") var amount: String
        @OptionGroup var connection: ConnectionOptions
        func run() async throws {
            let cents = try VoucherCommand.cents(amount, option: "--amount")
            let a = try await connection.withClient {
                try await $0.cancelRedemption(code: code, token: token, amount: cents, key: $1)
            }
            if connection.json { return try printJSON(a) }
            print("code:        \(a.code)\nnew balance: \(a.balanceInCents)")
        }
    }

    struct ActivateStatus: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "activate-status", abstract: "Can this depot voucher be sold (activated)?")
        @Argument var code: String
        @OptionGroup var connection: ConnectionOptions
        func run() async throws {
            let a = try await connection.withClient { try await $0.activateStatus(code: code, key: $1) }
            if connection.json { return try printJSON(a) }
            print("code:            \(a.code)\ncan be activated: \(a.canBeActivated ? "yes" : "no")\nfree amount:     \(a.freeAmount ? "yes" : "no")")
            if let v = a.amountInCents { print("amount:          \(v)") }
            if let m = a.message, !m.isEmpty { print("message:         \(m)") }
        }
    }

    struct Activate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sell (activate) a depot voucher.")
        @Argument var code: String
        @Option(help: "Amount, only for free-amount vouchers.") var amount: String?
        @OptionGroup var connection: ConnectionOptions
        func run() async throws {
            let cents = try amount.map { try VoucherCommand.cents($0, option: "--amount") }
            let a = try await connection.withClient { try await $0.activate(code: code, amount: cents, key: $1) }
            if connection.json { return try printJSON(a) }
            print("code:    \(a.code)\nbalance: \(a.balanceInCents)")
        }
    }

    struct DeactivateStatus: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "deactivate-status", abstract: "Can this depot voucher be deactivated?")
        @Argument var code: String
        @OptionGroup var connection: ConnectionOptions
        func run() async throws {
            let a = try await connection.withClient { try await $0.deactivateStatus(code: code, key: $1) }
            if connection.json { return try printJSON(a) }
            print("code:              \(a.code)\ncan be deactivated: \(a.canBeDeactivated ? "yes" : "no")")
            if let v = a.amountInCents { print("amount:            \(v)") }
            if let m = a.message, !m.isEmpty { print("message:           \(m)") }
        }
    }

    struct Deactivate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Deactivate a sold depot voucher.")
        @Argument var code: String
        @Option(help: "Why (shown in e-guma's back office).") var reason: String?
        @OptionGroup var connection: ConnectionOptions
        func run() async throws {
            let a = try await connection.withClient { try await $0.deactivate(code: code, reason: reason, key: $1) }
            if connection.json { return try printJSON(a) }
            print("code:   \(a.code)\namount: \(a.amountInCents)")
        }
    }

    struct ChargeStatus: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "charge-status", abstract: "Can this voucher be topped up?")
        @Argument var code: String
        @OptionGroup var connection: ConnectionOptions
        func run() async throws {
            let a = try await connection.withClient { try await $0.chargeStatus(code: code, key: $1) }
            if connection.json { return try printJSON(a) }
            print("code:          \(a.code)\nbalance:       \(a.balanceInCents)\ncan be charged: \(a.canBeCharged ? "yes" : "no")")
            if let m = a.message, !m.isEmpty { print("message:       \(m)") }
        }
    }

    struct Charge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Top up a voucher; prints the charge token.")
        @Argument var code: String
        @Option(help: "Amount, e.g. 50.00.") var amount: String
        @Option(help: "Payment id.") var paymentId: String?
        @Option(help: "Free credit in percent.") var freeCredit: Int?
        @Option(help: "Reference (≤ 256 characters).") var reference: String?
        @OptionGroup var connection: ConnectionOptions
        func run() async throws {
            let cents = try VoucherCommand.cents(amount, option: "--amount")
            let request = ChargeRequest(amountInCents: cents, paymentId: paymentId,
                                        freeCreditInPercentage: freeCredit, reference: reference)
            let a = try await connection.withClient { try await $0.charge(code: code, request: request, key: $1) }
            if connection.json { return try printJSON(a) }
            print("code:         \(a.code)\nnew balance:  \(a.balanceInCents)")
            if let t = a.chargeToken { print("charge token: \(t)") }
            if let f = a.freeCreditAmountInCents { print("free credit:  \(f)") }
        }
    }

    struct CancelCharge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "cancel-charge", abstract: "Cancel a top-up by its charge token.")
        @Argument var code: String
        @Option(help: "The charge token.") var token: String
        @Option(help: "Why (shown in e-guma's back office).") var reason: String?
        @OptionGroup var connection: ConnectionOptions
        func run() async throws {
            let request = CancelChargeRequest(chargeToken: token, cancelReason: reason)
            let a = try await connection.withClient { try await $0.cancelCharge(code: code, request: request, key: $1) }
            if connection.json { return try printJSON(a) }
            print("code:        \(a.code)\nnew balance: \(a.balanceInCents)")
        }
    }
}
