import ArgumentParser
import EgumaAPI
import GateCore
import GateDaemon
import Foundation

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
        static let configuration = CommandConfiguration(
            abstract: "Redeem an amount; prints the redeem token. With --outlet: through the gate's journal (the desk).",
            discussion: """
                With --outlet O (and --config): Balance first (a ShortCode becomes the real code), \
                min(amount, balance) is redeemed under the lanes' money rules and journalled as an \
                admission of lane "desk" — admission void cancels it, report and reconcile count it. \
                Through the running daemon when it runs, else by this command. Exit 0 redeemed, \
                1 refused, 3 e-guma unreachable or the outcome unknown (settled by the outbox: do not \
                redeem again). Without --outlet: a raw Redeem with --base-url/--api-key-file, not journalled.
                """)
        @Argument var code: String
        @Option(help: "Amount, e.g. 25.00.") var amount: String
        @Option(help: "Reference shown in e-guma's back office (raw redeem only).") var reference: String?
        @Option(help: "Redeem through the journal as this configured outlet (the desk).") var outlet: String?
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var options: ConfigOption
        func run() async throws {
            let cents = try VoucherCommand.cents(amount, option: "--amount")
            if let outlet {
                guard reference == nil else {
                    throw CLIError.usage("--reference: a desk redemption (--outlet) carries the gate's own reference <gate>/desk/<admission>")
                }
                guard cents.value > 0 else { throw CLIError.usage("--amount must be more than 0") }
                return try finish(try await DeskCommand.redeem(code: code, cents: cents.value, outlet: outlet, options: options))
            }
            let a = try await connection.withClient {
                try await $0.redeem(code: code, amount: cents, reference: reference, key: $1)
            }
            if connection.json { return try printJSON(a) }
            print("code:         \(a.code)\nnew balance:  \(a.balanceInCents)\nredeem token: \(a.redeemToken)")
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel (part of) a redemption by its token, or a journalled one by its admission or redemption id.",
            discussion: """
                By id (--admission N or --redemption N, with --reason and --config): the stored token is \
                used and the cancel goes through the durable outbox, exactly as admission void (exit 0 \
                cancelled, 3 queued while e-guma is unreachable, 1 nothing left to cancel). By token \
                (CODE --token T --amount A): a raw cancel, not journalled.
                """)
        @Argument(help: "The voucher code (raw cancel by token).") var code: String?
        @Option(help: "The redeem token.") var token: String?
        @Option(help: "Amount to give back, e.g. 25.00.") var amount: String?
        @Option(help: "Cancel every live redemption of this journalled admission.") var admission: Int64?
        @Option(help: "Cancel this journalled redemption.") var redemption: Int64?
        @Option(help: "Why (required with --admission/--redemption, kept in the journal).") var reason: String?
        @Option(help: "Who cancels (default: your login).") var user: String?
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var options: ConfigOption

        func validate() throws {
            if admission != nil || redemption != nil {
                guard code == nil, token == nil, amount == nil else {
                    throw ValidationError("give either --admission/--redemption (journalled) or CODE --token --amount (raw), not both")
                }
                guard admission == nil || redemption == nil else { throw ValidationError("give --admission or --redemption, not both") }
                guard let reason, !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                    throw ValidationError("--reason must say why (it is kept in the journal)")
                }
            } else if code == nil || token == nil || amount == nil {
                throw ValidationError("give CODE --token T --amount A, or --admission N / --redemption N with --reason")
            }
        }

        func run() async throws {
            guard let code, let token, let amount else { return try await cancelJournalled() }
            let cents = try VoucherCommand.cents(amount, option: "--amount")
            let a = try await connection.withClient {
                try await $0.cancelRedemption(code: code, token: token, amount: cents, key: $1)
            }
            if connection.json { return try printJSON(a) }
            print("code:        \(a.code)\nnew balance: \(a.balanceInCents)")
        }

        private func cancelJournalled() async throws {
            let config = try options.load()
            let database = try await options.journal(config).database
            var id = admission
            if let redemption {
                id = try await database.admission(ofRedemption: redemption)
                guard id != nil else { throw CLIError.runtime("no redemption #\(redemption) in the journal — see eguma-gate admission list") }
            }
            guard let id else { return }
            let who = user ?? PeerCredentials.userName(uid: getuid())
            try finish(try await AdmissionVoid(config: config, database: database)
                .run(id, redemption: redemption, user: who, reason: reason ?? ""))
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
