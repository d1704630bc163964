import GateCore
import Testing
import TestSupport

/// A service ("Maison") voucher carries no money: its guest sees no "balance CHF 0.00" and, on
/// no passage, no "balance restored" (issue 11 item 13).
@Suite struct ServiceVoucherScreenTests {
    @Test func aServiceVoucherIsAcceptedWithoutABalanceLine() async {
        let lane = LaneHarness { $0.serviceProducts = ["svc-spa-day"] }
        await lane.eguma.add("SERV1CEVOUCH", balance: 0, total: 0, product: "svc-spa-day")
        await lane.scan("SERV1CEVOUCH")
        #expect(lane.states.contains(.accepted(newBalance: nil)))
        #expect(!lane.states.contains(.accepted(newBalance: .zero)))

        let value = LaneHarness()
        await value.eguma.add("L4FU5LQTKJR3", balance: 10_000)
        await value.scan("L4FU5LQTKJR3")
        #expect(value.states.contains(.accepted(newBalance: Money(cents: 7_500), vouchers: [
            VoucherPaid(code: "••••-••••-KJR3", amount: Money(cents: 2_500), newBalance: Money(cents: 7_500))])),
                "a value voucher still shows its amount and balance")
    }

    @Test func noPassageAfterAScreenWithoutBalanceDoesNotClaimTheBalanceIsRestored() {
        var screen = GuestScreen(texts: GuestTexts(language: .de, currency: "CHF"))
        _ = screen.show(.accepted(newBalance: nil))
        _ = screen.show(.walkThrough)
        #expect(screen.show(.cancelled).lines == ["Zahlung storniert"])

        _ = screen.show(.accepted(newBalance: Money(cents: 7_500)))
        _ = screen.show(.walkThrough)
        #expect(screen.show(.cancelled).lines == ["Zahlung storniert", "Guthaben wiederhergestellt"])
    }
}
