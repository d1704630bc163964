import EgumaAPI
import EgumaSimulator
import Testing

/// Charge and depot endpoints through the real client over real HTTP.
@Suite struct ChargeAndDepotEndpointTests {
    @Test func chargeStatusTellsWhichVouchersCanBeToppedUp() async throws {
        try await SimulatorHarness.with { h in
            let yes = try await h.client.chargeStatus(code: DemoVouchers.chargeable, key: h.key)
            #expect(yes.canBeCharged)
            #expect(yes.balanceInCents == 2_000)
            #expect(yes.code == "C3JT9EFU6MVP")
            let no = try await h.client.chargeStatus(code: DemoVouchers.plenty, key: h.key)
            #expect(!no.canBeCharged)
            #expect(no.message == "Gutschein kann nicht aufgeladen werden")
        }
    }

    @Test func chargeWithFreeCreditAndCancelItByToken() async throws {
        try await SimulatorHarness.with { h in
            let charged = try await h.client.charge(
                code: DemoVouchers.chargeable,
                request: ChargeRequest(amountInCents: 5_000, paymentId: "pay-1", freeCreditInPercentage: 10, reference: "desk"),
                key: h.key)
            #expect(charged.balanceInCents == 7_500)
            #expect(charged.freeCreditAmountInCents == 500)
            let token = try #require(charged.chargeToken)
            let cancelled = try await h.client.cancelCharge(
                code: DemoVouchers.chargeable, request: CancelChargeRequest(chargeToken: token, cancelReason: "wrong card"), key: h.key)
            #expect(cancelled.balanceInCents == 2_000)
            let twice = await expectEgumaError {
                try await h.client.cancelCharge(code: DemoVouchers.chargeable, request: CancelChargeRequest(chargeToken: token), key: h.key)
            }
            #expect(twice?.serverMessage == "Aufladung wurde bereits storniert")
        }
    }

    @Test func cancelChargeByLegacyAmountAndPaymentId() async throws {
        try await SimulatorHarness.with { h in
            _ = try await h.client.charge(code: DemoVouchers.chargeable,
                                          request: ChargeRequest(amountInCents: 1_000, paymentId: "pos-77"), key: h.key)
            let c = try await h.client.cancelCharge(
                code: DemoVouchers.chargeable,
                request: CancelChargeRequest(chargeToken: nil, amountInCents: 1_000, paymentId: "pos-77"), key: h.key)
            #expect(c.balanceInCents == 2_000)
        }
    }

    @Test func chargingAVoucherThatCannotBeChargedIsRefused() async throws {
        try await SimulatorHarness.with { h in
            let error = await expectEgumaError {
                try await h.client.charge(code: DemoVouchers.plenty, request: ChargeRequest(amountInCents: 1_000), key: h.key)
            }
            #expect(error?.serverMessage == "Gutschein kann nicht aufgeladen werden")
        }
    }

    @Test func fixedAmountDepotVoucherIsActivatedOnceAndThenRedeemable() async throws {
        try await SimulatorHarness.with { h in
            let before = try await h.client.balance(code: DemoVouchers.depotFixed, key: h.key)
            #expect(!before.isRedeemable)
            #expect(before.message == "Gutschein ist nicht aktiviert")
            let status = try await h.client.activateStatus(code: DemoVouchers.depotFixed, key: h.key)
            #expect(status.canBeActivated)
            #expect(!status.freeAmount)
            #expect(status.amountInCents == 5_000)
            let activated = try await h.client.activate(code: DemoVouchers.depotFixed, amount: nil, key: h.key)
            #expect(activated.balanceInCents == 5_000)
            #expect(try await h.client.balance(code: DemoVouchers.depotFixed, key: h.key).isRedeemable)
            // Checklist 12: selling the same voucher twice fails.
            let again = await expectEgumaError { try await h.client.activate(code: DemoVouchers.depotFixed, amount: nil, key: h.key) }
            #expect(again?.serverMessage == "Gutschein wurde bereits aktiviert")
            let status2 = try await h.client.activateStatus(code: DemoVouchers.depotFixed, key: h.key)
            #expect(!status2.canBeActivated)
        }
    }

    @Test func freeAmountDepotVoucherNeedsAnAmount() async throws {
        try await SimulatorHarness.with { h in
            let status = try await h.client.activateStatus(code: DemoVouchers.depotFree, key: h.key)
            #expect(status.freeAmount)
            #expect(status.amountInCents == nil)
            let missing = await expectEgumaError { try await h.client.activate(code: DemoVouchers.depotFree, amount: nil, key: h.key) }
            #expect(missing?.serverMessage?.hasPrefix("Parameter amount_in_cents fehlt") == true)
            let activated = try await h.client.activate(code: DemoVouchers.depotFree, amount: 3_300, key: h.key)
            #expect(activated.balanceInCents == 3_300)
        }
    }

    @Test func deactivateReturnsAnUnusedDepotVoucherToTheDepot() async throws {
        try await SimulatorHarness.with { h in
            let notYet = try await h.client.deactivateStatus(code: DemoVouchers.depotFixed, key: h.key)
            #expect(!notYet.canBeDeactivated)
            _ = try await h.client.activate(code: DemoVouchers.depotFixed, amount: nil, key: h.key)
            let status = try await h.client.deactivateStatus(code: DemoVouchers.depotFixed, key: h.key)
            #expect(status.canBeDeactivated)
            #expect(status.amountInCents == 5_000)
            let d = try await h.client.deactivate(code: DemoVouchers.depotFixed, reason: "sold by mistake", key: h.key)
            #expect(d.code == "D4PQ8MZY2KSL")
            #expect(d.amountInCents == 5_000)
            #expect(!(try await h.client.balance(code: DemoVouchers.depotFixed, key: h.key).isRedeemable))
            #expect(try await h.client.activateStatus(code: DemoVouchers.depotFixed, key: h.key).canBeActivated)
        }
    }

    @Test func aPartlyRedeemedDepotVoucherCannotBeDeactivated() async throws {
        try await SimulatorHarness.with { h in
            _ = try await h.client.activate(code: DemoVouchers.depotFixed, amount: nil, key: h.key)
            _ = try await h.client.redeem(code: DemoVouchers.depotFixed, amount: 100, reference: nil, key: h.key)
            #expect(!(try await h.client.deactivateStatus(code: DemoVouchers.depotFixed, key: h.key).canBeDeactivated))
            let error = await expectEgumaError { try await h.client.deactivate(code: DemoVouchers.depotFixed, reason: nil, key: h.key) }
            #expect(error?.serverMessage?.contains("bereits eingelöst") == true)
        }
    }
}
