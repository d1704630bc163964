import EgumaAPI
import EgumaSimulator
import Testing

/// Each outlet has its own key; all outlets share the account's vouchers.
@Suite struct OutletKeyTests {
    static let spa = SimulatedOutlet(name: "spa", key: "spa-key-1111")
    static let shop = SimulatedOutlet(name: "shop", key: "shop-key-2222")

    @Test func eachOutletUsesItsOwnKeyAndSeesTheSameVouchers() async throws {
        try await SimulatorHarness.with(outlets: [Self.spa, Self.shop]) { h in
            _ = try await h.client.redeem(code: DemoVouchers.plenty, amount: 1_000, reference: "spa", key: APIKey(Self.spa.key))
            let seenByShop = try await h.client.balance(code: DemoVouchers.plenty, key: APIKey(Self.shop.key))
            #expect(seenByShop.balanceInCents == 9_000)
            #expect(await h.server.ledger().map(\.outlet) == ["spa", "shop"])
        }
    }

    @Test func aWrongKeyIsUnauthorized() async throws {
        try await SimulatorHarness.with(outlets: [Self.spa]) { h in
            let error = await expectEgumaError { try await h.client.balance(code: DemoVouchers.plenty, key: APIKey("not-a-key")) }
            guard case .unauthorized(let message)? = error?.kind else {
                Issue.record("expected 401, got \(String(describing: error))"); return
            }
            #expect(message == "Ungültiger API-Schlüssel")
            #expect(error?.isUnreachable == false)
            #expect(await h.server.ledger().isEmpty)
        }
    }

    @Test func aKeyWithQueryCharactersIsSentIntact() async throws {
        let odd = SimulatedOutlet(name: "odd", key: "k+y/with=odd&chars%20 ?#")
        try await SimulatorHarness.with(outlets: [odd]) { h in
            let b = try await h.client.balance(code: DemoVouchers.plenty, key: APIKey(odd.key))
            #expect(b.isRedeemable)
        }
    }
}
