import EgumaSimulator
import Foundation
import GateCore
import GateDaemon
import Testing
import TestSupport

/// A balance-check lane end to end: daemon, simulator over HTTP, kiosk screen. Never redeems.
@Suite("Balance-check lane", .serialized)
struct BalanceLaneTests {
    static let lanes = """
        [lanes.check]
        mode = "balance"
        outlet = "demo"
        language = "en"
        scanner = { kind = "stdin" }
        """

    @Test func aScanShowsBalanceTotalAndEgumasMessageAndRedeemsNothing() async throws {
        let gate = try await GateUnderTest.start(lanes: Self.lanes, laneNames: ["check"])
        do {
            let states = gate.runtime.guestStates.subscribe()
            let isBalance: @Sendable (GuestState) -> Bool = { if case .balance = $0 { true } else { false } }

            gate.scanners["check"]?.scan(DemoVouchers.plenty)
            let valid = try await Broadcast.first(in: states, lane: "check", where: isBalance)
            guard case .balance(let first) = valid else { Issue.record("no balance screen"); return }
            #expect(first.isRedeemable && first.balance == Money(cents: 10_000) && first.total == Money(cents: 10_000))
            let screen = try #require(gate.runtime.kiosk?.screen(lane: "check"))
            #expect(screen.title == "Voucher valid")
            #expect(screen.lines.contains("Balance CHF 100.00"))
            #expect(screen.outcome == .success)

            gate.scanners["check"]?.scan(DemoVouchers.redeemed)
            let used = try await Broadcast.first(in: states, lane: "check", where: isBalance)
            guard case .balance(let check) = used else { Issue.record("no balance screen"); return }
            #expect(!check.isRedeemable)
            #expect(check.message == "Gutschein wurde bereits eingelöst")
            let usedScreen = try #require(gate.runtime.kiosk?.screen(lane: "check"))
            #expect(usedScreen.title == "Not redeemable")
            #expect(usedScreen.lines == ["Gutschein wurde bereits eingelöst", "Balance CHF 0.00", "Total CHF 50.00"])
            #expect(usedScreen.outcome == .failure)

            // Checked twice, redeemed never.
            let ledger = await gate.simulator.ledger()
            #expect(ledger.filter { $0.endpoint == .balance }.count == 2)
            #expect(ledger.allSatisfy { $0.endpoint == .balance })
            #expect(ledger.allSatisfy { !$0.applied })
            #expect(await gate.simulator.balance(of: DemoVouchers.plenty) == 10_000)
            #expect(await gate.simulator.netRedeemed(DemoVouchers.plenty) == 0)
            let status = await gate.runtime.status()
            #expect(status.lanes.first?.mode == "balance")
        } catch {
            await gate.stop()
            throw error
        }
        await gate.stop()
    }
}
