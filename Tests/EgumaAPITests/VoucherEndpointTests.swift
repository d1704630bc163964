import EgumaAPI
import EgumaSimulator
import Foundation
import Testing

/// Every voucher endpoint through the real client over real HTTP on loopback.
@Suite struct VoucherEndpointTests {
    @Test func balanceOfValueVoucherReportsAmountsCurrencyAndProduct() async throws {
        try await SimulatorHarness.with { h in
            let b = try await h.client.balance(code: DemoVouchers.plenty, key: h.key)
            #expect(b.code == "K7QM2XPA9HTD")
            #expect(b.isRedeemable)
            #expect(b.balanceInCents == 10_000)
            #expect(b.totalAmountInCents == 10_000)
            #expect(b.currency == "CHF")
            #expect(b.productId == "gift-100")
            #expect(b.message == nil)
        }
    }

    @Test func codesWithAndWithoutDashesAndInLowerCaseAreTheSameVoucher() async throws {
        try await SimulatorHarness.with { h in
            for form in ["K7QM-2XPA-9HTD", "K7QM2XPA9HTD", "k7qm2xpa9htd"] {
                let b = try await h.client.balance(code: form, key: h.key)
                #expect(b.code == "K7QM2XPA9HTD", "\(form)")
                #expect(b.balanceInCents == 10_000, "\(form)")
            }
            _ = try await h.client.redeem(code: "k7qm-2xpa-9htd", amount: 100, reference: nil, key: h.key)
            #expect(try await h.client.balance(code: "K7QM2XPA9HTD", key: h.key).balanceInCents == 9_900)
        }
    }

    @Test func infoShowsNameDescriptionAndValidity() async throws {
        try await SimulatorHarness.with { h in
            let info = try await h.client.info(code: DemoVouchers.service, key: h.key)
            #expect(info.code == "S2LH6YDN3FGA")
            #expect(info.name == "Spa-Tageseintritt")
            #expect(info.description == "Ein Eintritt ins Spa, ganzer Tag")
            #expect(info.isRedeemed == false)
            #expect(info.validUntil == "2028-12-31")
            let used = try await h.client.info(code: DemoVouchers.redeemed, key: h.key)
            #expect(used.isRedeemed == true)
            #expect(used.balanceInCents == 0)
        }
    }

    /// e-guma checklist 6: an order lower than the voucher redeems only part of it.
    @Test func partialRedeemLeavesTheRestOnTheVoucher() async throws {
        try await SimulatorHarness.with { h in
            let r = try await h.client.redeem(code: DemoVouchers.plenty, amount: 2_500, reference: "lane main #17", key: h.key)
            #expect(r.code == "K7QM2XPA9HTD")
            #expect(r.balanceInCents == 7_500)
            #expect(UUID(uuidString: r.redeemToken) != nil)
            let b = try await h.client.balance(code: DemoVouchers.plenty, key: h.key)
            #expect(b.isRedeemable)
            #expect(b.balanceInCents == 7_500)
            #expect(b.totalAmountInCents == 10_000)
            let entry = try #require(await h.server.ledger().first { $0.endpoint == .redeem })
            #expect(entry.outlet == "demo")
            #expect(entry.amountInCents == 2_500)
            #expect(entry.referenceNumber == "lane main #17")
            #expect(entry.token == r.redeemToken)
            #expect(entry.balanceInCents == 7_500)
            #expect(entry.applied)
        }
    }

    /// e-guma checklist 5: a voucher smaller than the price is redeemed fully; the rest is paid otherwise.
    @Test func redeemingTheWholeBalanceMakesTheVoucherUsedUp() async throws {
        try await SimulatorHarness.with { h in
            let r = try await h.client.redeem(code: DemoVouchers.tooLittle, amount: 1_000, reference: nil, key: h.key)
            #expect(r.balanceInCents == 0)
            let b = try await h.client.balance(code: DemoVouchers.tooLittle, key: h.key)
            #expect(!b.isRedeemable)
            #expect(b.message == "Gutschein wurde bereits eingelöst")
        }
    }

    @Test func redeemingMoreThanTheBalanceIsRefusedWithAMessageAndChangesNothing() async throws {
        try await SimulatorHarness.with { h in
            let error = await expectEgumaError { try await h.client.redeem(code: DemoVouchers.tooLittle, amount: 2_500, reference: nil, key: h.key) }
            guard case .badRequest(let message)? = error?.kind else {
                Issue.record("expected a 400, got \(String(describing: error))"); return
            }
            #expect(message.contains("übersteigt das Guthaben"))
            #expect(error?.mayHaveBeenApplied == false)
            #expect(await h.server.balance(of: DemoVouchers.tooLittle) == 1_000)
        }
    }

    /// e-guma checklist 10: a cancelled order leaves the voucher's balance as before.
    @Test func cancellingARedemptionRestoresTheBalance() async throws {
        try await SimulatorHarness.with { h in
            let before = try await h.client.balance(code: DemoVouchers.plenty, key: h.key).balanceInCents
            let r = try await h.client.redeem(code: DemoVouchers.plenty, amount: 2_500, reference: "order 9", key: h.key)
            let c = try await h.client.cancelRedemption(code: DemoVouchers.plenty, token: r.redeemToken, amount: 2_500, key: h.key)
            #expect(c.code == "K7QM2XPA9HTD")
            #expect(c.balanceInCents == before)
            #expect(try await h.client.balance(code: DemoVouchers.plenty, key: h.key).balanceInCents == before)
            #expect(await h.server.netRedeemed(DemoVouchers.plenty) == 0)
        }
    }

    @Test func partialCancelsAddUpToTheRedeemedAmountAndNoFurther() async throws {
        try await SimulatorHarness.with { h in
            let r = try await h.client.redeem(code: DemoVouchers.plenty, amount: 3_000, reference: nil, key: h.key)
            let first = try await h.client.cancelRedemption(code: DemoVouchers.plenty, token: r.redeemToken, amount: 1_000, key: h.key)
            #expect(first.balanceInCents == 8_000)
            let tooMuch = await expectEgumaError {
                try await h.client.cancelRedemption(code: DemoVouchers.plenty, token: r.redeemToken, amount: 2_500, key: h.key)
            }
            #expect(tooMuch?.serverMessage?.contains("stornierbaren Betrag") == true)
            let second = try await h.client.cancelRedemption(code: DemoVouchers.plenty, token: r.redeemToken, amount: 2_000, key: h.key)
            #expect(second.balanceInCents == 10_000)
            let again = await expectEgumaError {
                try await h.client.cancelRedemption(code: DemoVouchers.plenty, token: r.redeemToken, amount: 1, key: h.key)
            }
            #expect(again?.serverMessage == "Einlösung wurde bereits vollständig storniert")
            #expect(await h.server.balance(of: DemoVouchers.plenty) == 10_000)
        }
    }

    @Test func cancellingWithAnUnknownTokenIsRefused() async throws {
        try await SimulatorHarness.with { h in
            let error = await expectEgumaError {
                try await h.client.cancelRedemption(code: DemoVouchers.plenty, token: UUID().uuidString, amount: 100, key: h.key)
            }
            #expect(error?.serverMessage?.hasPrefix("Einlösung nicht gefunden") == true)
        }
    }

    /// e-guma checklist 8: a fully redeemed voucher says it is already redeemed.
    @Test func fullyRedeemedVoucherSaysSo() async throws {
        try await SimulatorHarness.with { h in
            let b = try await h.client.balance(code: DemoVouchers.redeemed, key: h.key)
            #expect(!b.isRedeemable)
            #expect(b.balanceInCents == 0)
            #expect(b.totalAmountInCents == 5_000)
            #expect(b.message == "Gutschein wurde bereits eingelöst")
            let error = await expectEgumaError { try await h.client.redeem(code: DemoVouchers.redeemed, amount: 100, reference: nil, key: h.key) }
            #expect(error?.serverMessage == "Gutschein wurde bereits eingelöst")
        }
    }

    /// e-guma checklist 9: a wrong code says it does not exist.
    @Test func unknownCodeSaysItDoesNotExist() async throws {
        try await SimulatorHarness.with { h in
            let b = try await h.client.balance(code: DemoVouchers.unknown, key: h.key)
            #expect(!b.isRedeemable)
            #expect(b.message == "Gutschein nicht gefunden")
            let error = await expectEgumaError { try await h.client.redeem(code: DemoVouchers.unknown, amount: 100, reference: nil, key: h.key) }
            #expect(error?.serverMessage == "Gutschein nicht gefunden")
        }
    }

    /// e-guma checklist 2: an empty code gives a proper message.
    @Test func emptyCodeGivesAMessage() async throws {
        try await SimulatorHarness.with { h in
            let error = await expectEgumaError { try await h.client.balance(code: "", key: h.key) }
            #expect(error?.kind == .badRequest(message: "Parameter code fehlt"))
            #expect(error?.description.contains("Parameter code fehlt") == true)
        }
    }

    @Test func unpaidAndProformaVouchersAreNotRedeemableWithTheirReason() async throws {
        try await SimulatorHarness.with { h in
            let unpaid = try await h.client.balance(code: DemoVouchers.unpaid, key: h.key)
            #expect(!unpaid.isRedeemable)
            #expect(unpaid.message == "Gutschein ist nicht bezahlt")
            let proforma = try await h.client.balance(code: DemoVouchers.proforma, key: h.key)
            #expect(!proforma.isRedeemable)
            #expect(proforma.message?.hasPrefix("Proforma") == true)
            let error = await expectEgumaError { try await h.client.redeem(code: DemoVouchers.unpaid, amount: 100, reference: nil, key: h.key) }
            #expect(error?.serverMessage == "Gutschein ist nicht bezahlt")
        }
    }

    @Test func serviceVoucherIsRedeemableWithZeroBalanceOnceAndCancelRestoresIt() async throws {
        try await SimulatorHarness.with { h in
            let b = try await h.client.balance(code: DemoVouchers.service, key: h.key)
            #expect(b.isRedeemable)
            #expect(b.balanceInCents == 0)
            #expect(b.totalAmountInCents == 0)
            #expect(b.productId == "svc-spa-day")
            let r = try await h.client.redeem(code: DemoVouchers.service, amount: 0, reference: "spa", key: h.key)
            #expect(r.balanceInCents == 0)
            let after = try await h.client.balance(code: DemoVouchers.service, key: h.key)
            #expect(!after.isRedeemable)
            #expect(after.message == "Gutschein wurde bereits eingelöst")
            _ = try await h.client.cancelRedemption(code: DemoVouchers.service, token: r.redeemToken, amount: 0, key: h.key)
            #expect(try await h.client.balance(code: DemoVouchers.service, key: h.key).isRedeemable)
        }
    }

    @Test func backOfficeNoteIsShownOnARedeemableVoucher() async throws {
        let file = SimulatedVoucherFile(vouchers: [
            SimulatedVoucher(code: "N0TE-AAAA-BBBB", kind: .value, balanceInCents: 500, message: "Nur montags gültig"),
        ])
        try await SimulatorHarness.with(vouchers: file) { h in
            let b = try await h.client.balance(code: "N0TEAAAABBBB", key: h.key)
            #expect(b.isRedeemable)
            #expect(b.message == "Nur montags gültig")
        }
    }

    /// e-guma checklist 11: a ShortCode resolves to the 12-character code, which is what gets
    /// redeemed and recorded.
    @Test func shortCodeResolvesToTheTwelveCharacterCodeWhichIsThenRedeemed() async throws {
        try await SimulatorHarness.with { h in
            let b = try await h.client.balance(code: DemoVouchers.shortCode, key: h.key)
            #expect(b.code == "M5RW3JKT8ZQB")
            #expect(b.code.count == 12)
            #expect(b.isRedeemable)
            #expect(b.balanceInCents == 5_000)
            let r = try await h.client.redeem(code: b.code, amount: 2_500, reference: nil, key: h.key)
            #expect(r.code == "M5RW3JKT8ZQB")
            let entries = await h.server.ledger()
            #expect(entries.map(\.code) == ["M5RW3JKT8ZQB", "M5RW3JKT8ZQB"])
        }
    }

    @Test func redeemWithAShortCodeIsRefusedSoClientsUseTheReturnedCode() async throws {
        try await SimulatorHarness.with { h in
            let error = await expectEgumaError { try await h.client.redeem(code: DemoVouchers.shortCode, amount: 100, reference: nil, key: h.key) }
            #expect(error?.serverMessage?.contains("ShortCodes werden nur von balance.json angenommen") == true)
            #expect(await h.server.balance(of: DemoVouchers.shortCodeTarget) == 5_000)
        }
    }

    @Test func shortCodeExpiresAfterFiveMinutes() async throws {
        let clock = ManualWallClock()
        try await SimulatorHarness.with(now: { clock.now }) { h in
            clock.advance(by: 299)
            #expect(try await h.client.balance(code: "42", key: h.key).isRedeemable)
            clock.advance(by: 2)
            let b = try await h.client.balance(code: "42", key: h.key)
            #expect(!b.isRedeemable)
            #expect(b.message == "ShortCode ungültig oder abgelaufen")
            let fresh = try #require(await h.account.issueShortCode(for: DemoVouchers.shortCodeTarget))
            #expect(try await h.client.balance(code: fresh, key: h.key).code == "M5RW3JKT8ZQB")
        }
    }
}
