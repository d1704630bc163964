import EgumaAPI
import EgumaSimulator
import Testing

/// Scanned text goes into the URL path; no text may reach another path or add a query.
@Suite struct CodeEncodingTests {
    static let hostile = [
        "../balance", "../../v1/vouchers/K7QM2XPA9HTD/redeem.json", "K7QM2XPA9HTD/../x", "a?apikey=other",
        "a#fragment", "a%2Fb", "%2E%2E", "with space", "a/b", ".", "..", "a&amount_in_cents=1", "ä€\u{0}",
    ]

    @Test(arguments: hostile)
    func aHostileCodeStaysOneSegmentOfTheBalancePath(code: String) async throws {
        try await SimulatorHarness.with { h in
            _ = await expectEgumaError { try await h.client.balance(code: code, key: h.key) }
            let requests = await h.account.requestLog()
            #expect(requests.count == 1)
            let request = try #require(requests.first)
            #expect(request.endpoint == .balance)
            #expect(request.code == code)
            #expect(request.rawPath == "/v1/vouchers/\(Endpoint.encodePathSegment(code))/balance.json")
            #expect(await h.server.balance(of: DemoVouchers.plenty) == 10_000)
        }
    }

    @Test func aHostileCodeInARedeemChangesNoOtherVoucher() async throws {
        try await SimulatorHarness.with { h in
            let error = await expectEgumaError {
                try await h.client.redeem(code: "../K7QM2XPA9HTD", amount: 100, reference: nil, key: h.key)
            }
            #expect(error?.serverMessage == "Gutschein nicht gefunden")
            #expect(await h.server.balance(of: DemoVouchers.plenty) == 10_000)
        }
    }

    @Test func encodePathSegmentEscapesEverythingButUnreservedLettersDigitsAndDashes() {
        #expect(Endpoint.encodePathSegment("L4FU-5LQT-KJR3") == "L4FU-5LQT-KJR3")
        #expect(Endpoint.encodePathSegment("a_b~c") == "a_b~c")
        #expect(Endpoint.encodePathSegment("../x") == "%2E%2E%2Fx")
        #expect(Endpoint.encodePathSegment("a?b#c") == "a%3Fb%23c")
        #expect(Endpoint.encodePathSegment("%2F") == "%252F")
        #expect(Endpoint.encodePathSegment("a b+c") == "a%20b%2Bc")
        #expect(Endpoint.encodePathSegment("ä") == "%C3%A4")
        #expect(Endpoint.encodePathSegment("") == "")
    }

    @Test func pathsUseTheDocumentedCollectionsAndFileNames() {
        #expect(Endpoint.balance.path(code: "X") == "/v1/vouchers/X/balance.json")
        #expect(Endpoint.cancelRedemption.path(code: "X") == "/v1/vouchers/X/cancel_redemption.json")
        #expect(Endpoint.activate.path(code: "X") == "/v1/depot_vouchers/X/activate.json")
        #expect(Endpoint.deactivateStatus.path(code: "X") == "/v1/depot_vouchers/X/deactivate_status.json")
        #expect(Endpoint.cancelCharge.path(code: "X") == "/v1/vouchers/X/cancel_charge.json")
    }
}
