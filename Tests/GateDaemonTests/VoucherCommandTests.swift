import EgumaAPI
import EgumaSimulator
import Foundation
import Logging
import TestSupport
import Testing

/// `eguma-gate voucher activate/deactivate/charge/cancel-charge` (the front desk's depot and
/// top-up calls) as the real binary against the simulator over HTTP: the exit code, what it
/// prints, and what e-guma's side holds afterwards (balance and ledger) — issue 25.
@Suite struct VoucherCommandTests {
    /// A simulator with the demo vouchers and a 0600 key file of its demo outlet.
    struct Desk {
        let server: SimulatorServer
        let config: GateTestConfig

        func run(_ arguments: [String]) async throws -> GateBinary.Result {
            try await GateBinary.run(["voucher"] + arguments + ["--base-url", server.baseURL, "--api-key-file", config.keyPath])
        }

        /// Runs a call that must succeed (exit 0) and print each of `lines`.
        @discardableResult
        func succeeds(_ arguments: [String], printing lines: [String] = [],
                      sourceLocation: SourceLocation = #_sourceLocation) async throws -> GateBinary.Result {
            let result = try await run(arguments)
            #expect(result.status == 0, "\(result)", sourceLocation: sourceLocation)
            for line in lines { #expect(result.stdout.contains(line), "\(line)\n\(result)", sourceLocation: sourceLocation) }
            return result
        }

        func balance(_ code: String) async -> Int64? { await server.balance(of: code) }

        /// The simulator's ledger entries of one endpoint that changed something.
        func applied(_ endpoint: Endpoint) async -> [LedgerEntry] {
            await server.ledger().filter { $0.endpoint == endpoint && $0.applied }
        }
    }

    static func withDesk(_ body: (Desk) async throws -> Void) async throws {
        let server = try await SimulatorServer.start(.init(logger: Logger(label: "sim", factory: { _ in SwiftLogNoOpLogHandler() })))
        let config: GateTestConfig
        do { config = try GateTestConfig(baseURL: server.baseURL) } catch { await server.stop(); throw error }
        do {
            try await body(Desk(server: server, config: config))
        } catch {
            await server.stop(); config.remove()
            throw error
        }
        await server.stop(); config.remove()
    }

    @Test func aFixedDepotVoucherIsSoldOnceAndDeactivatedOnce() async throws {
        try await Self.withDesk { desk in
            let code = DemoVouchers.depotFixed
            try await desk.succeeds(["activate-status", code], printing: ["can be activated: yes", "amount:          50.00"])
            try await desk.succeeds(["activate", code], printing: ["balance: 50.00"])
            #expect(await desk.balance(code) == 5_000)
            #expect(await desk.applied(.activate).map(\.amountInCents) == [5_000])

            // Selling the same voucher twice fails (e-guma's checklist 12) with e-guma's reason.
            let again = try await desk.run(["activate", code])
            #expect(again.status == 1, "\(again)")
            #expect(!again.stderr.isEmpty)
            #expect(await desk.applied(.activate).count == 1)
            #expect(!again.stderr.contains(SimulatedOutlet.demo.key))

            let canDeactivate = try await desk.succeeds(["deactivate-status", code, "--json"])
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(canDeactivate.stdout.utf8)) as? [String: Any])
            #expect(doc["can_be_deactivated"] as? Bool == true, "\(canDeactivate)")

            try await desk.succeeds(["deactivate", code, "--reason", "sold by mistake"], printing: ["amount: 50.00"])
            #expect(await desk.balance(code) == 0)
            #expect(await desk.applied(.deactivate).map(\.amountInCents) == [5_000])

            let twice = try await desk.run(["deactivate", code])
            #expect(twice.status == 1, "\(twice)")
            #expect(await desk.applied(.deactivate).count == 1)
        }
    }

    @Test func aFreeAmountDepotVoucherNeedsTheAmountAndLoadsExactlyIt() async throws {
        try await Self.withDesk { desk in
            let code = DemoVouchers.depotFree
            try await desk.succeeds(["activate-status", code], printing: ["free amount:     yes"])

            let without = try await desk.run(["activate", code])
            #expect(without.status == 1, "\(without)")
            #expect(without.stderr.contains("amount_in_cents"), "e-guma's reason is shown: \(without)")
            #expect(await desk.applied(.activate).isEmpty)

            let calls = await desk.server.ledger().count
            let badAmount = try await desk.run(["activate", code, "--amount", "30,50"])
            #expect(badAmount.status == 2, "\(badAmount)")
            #expect(badAmount.stderr.contains("--amount \"30,50\": not an amount"), "\(badAmount)")
            #expect(await desk.server.ledger().count == calls, "a bad amount never reaches e-guma")

            try await desk.succeeds(["activate", code, "--amount", "30.50"], printing: ["balance: 30.50"])
            #expect(await desk.balance(code) == 3_050)
            #expect(await desk.applied(.activate).map(\.amountInCents) == [3_050])
        }
    }

    @Test func aTopUpIsChargedAndCancelledByItsToken() async throws {
        try await Self.withDesk { desk in
            let code = DemoVouchers.chargeable
            try await desk.succeeds(["charge-status", code], printing: ["can be charged: yes"])
            let charged = try await desk.succeeds(["charge", code, "--amount", "50.00", "--free-credit", "10", "--reference", "desk 1", "--json"])
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(charged.stdout.utf8)) as? [String: Any])
            let token = try #require(doc["charge_token"] as? String)
            #expect(doc["balance_in_cents"] as? Int == 2_000 + 5_000 + 500)
            #expect(await desk.balance(code) == 7_500)
            #expect(await desk.applied(.charge).map(\.token) == [token])

            try await desk.succeeds(["cancel-charge", code, "--token", token, "--reason", "paid twice"], printing: ["new balance: 20.00"])
            #expect(await desk.balance(code) == 2_000)
            #expect(await desk.applied(.cancelCharge).map(\.token) == [token])

            let twice = try await desk.run(["cancel-charge", code, "--token", token])
            #expect(twice.status == 1, "\(twice)")
            #expect(twice.stderr.contains("bereits storniert"), "\(twice)")
            #expect(await desk.balance(code) == 2_000)

            // Not a chargeable voucher: refused by e-guma, nothing changes.
            let wrong = try await desk.run(["charge", DemoVouchers.plenty, "--amount", "10.00"])
            #expect(wrong.status == 1, "\(wrong)")
            #expect(await desk.balance(DemoVouchers.plenty) == 10_000)
        }
    }

    @Test func unreachableEgumaExits3ForEveryDeskCall() async throws {
        let refusing = try RefusingPort()
        let config = try GateTestConfig(baseURL: "http://127.0.0.1:\(refusing.port)")
        defer { config.remove() }
        for arguments in [["activate", DemoVouchers.depotFixed], ["deactivate", DemoVouchers.depotFixed],
                          ["charge", DemoVouchers.chargeable, "--amount", "5.00"],
                          ["cancel-charge", DemoVouchers.chargeable, "--token", "t"]] {
            let result = try await GateBinary.run(["voucher"] + arguments
                                                  + ["--base-url", "http://127.0.0.1:\(refusing.port)", "--api-key-file", config.keyPath])
            #expect(result.status == 3, "\(arguments): \(result)")
            #expect(!result.stderr.contains(SimulatedOutlet.demo.key))
        }
    }
}
