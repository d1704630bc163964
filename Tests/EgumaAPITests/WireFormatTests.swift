import AsyncHTTPClient
import EgumaAPI
import EgumaSimulator
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// What the simulator accepts on the wire beyond what our client sends: form bodies, amounts as
/// strings, missing parameters, and the `/_sim` admin routes an out-of-process test uses.
@Suite struct WireFormatTests {
    struct Raw { let status: Int; let body: String; let contentType: String? }

    static func send(_ method: HTTPMethod, _ url: String, body: String? = nil, contentType: String? = nil) async throws -> Raw {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return Raw(status: Int(response.status.code), body: String(buffer: bytes),
                   contentType: response.headers.first(name: "Content-Type"))
    }

    static let key = SimulatedOutlet.demo.key

    @Test func aFormEncodedRedeemWithAStringAmountIsAccepted() async throws {
        let server = try await SimulatorServer.start()
        let raw = try await Self.send(.POST, "\(server.baseURL)/v1/vouchers/K7QM-2XPA-9HTD/redeem.json?apikey=\(Self.key)",
                                      body: "amount_in_cents=1500&reference_number=Kasse+3", contentType: "application/x-www-form-urlencoded")
        #expect(raw.status == 200)
        #expect(raw.body.contains("\"balance_in_cents\":8500"))
        #expect(await server.ledger().last?.referenceNumber == "Kasse 3")
        await server.stop()
    }

    @Test func aJSONAmountAsNumericStringIsAccepted() async throws {
        let server = try await SimulatorServer.start()
        let raw = try await Self.send(.POST, "\(server.baseURL)/v1/vouchers/K7QM2XPA9HTD/redeem.json?apikey=\(Self.key)",
                                      body: #"{"amount_in_cents":"15000"}"#, contentType: "application/json")
        #expect(raw.status == 400)  // more than the CHF 100 balance: parsed as 15000, refused by amount
        #expect(raw.body.contains("übersteigt das Guthaben"))
        let ok = try await Self.send(.POST, "\(server.baseURL)/v1/vouchers/K7QM2XPA9HTD/redeem.json?apikey=\(Self.key)",
                                     body: #"{"amount_in_cents":"1500"}"#, contentType: "application/json")
        #expect(ok.status == 200)
        await server.stop()
    }

    @Test func aMissingParameterIsAPlainText400() async throws {
        let server = try await SimulatorServer.start()
        let raw = try await Self.send(.POST, "\(server.baseURL)/v1/vouchers/K7QM2XPA9HTD/redeem.json?apikey=\(Self.key)",
                                      body: "{}", contentType: "application/json")
        #expect(raw.status == 400)
        #expect(raw.contentType?.hasPrefix("text/plain") == true)
        #expect(raw.body == "Parameter amount_in_cents fehlt\n")
        await server.stop()
    }

    @Test func aMissingKeyIsAPlainText401() async throws {
        let server = try await SimulatorServer.start()
        let raw = try await Self.send(.GET, "\(server.baseURL)/v1/vouchers/K7QM2XPA9HTD/balance.json")
        #expect(raw.status == 401)
        #expect(raw.contentType?.hasPrefix("text/plain") == true)
        await server.stop()
    }

    @Test func balanceAnswerCarriesEveryDocumentedFieldIncludingExtra() async throws {
        let server = try await SimulatorServer.start()
        let raw = try await Self.send(.GET, "\(server.baseURL)/v1/vouchers/S2LH6YDN3FGA/balance.json?apikey=\(Self.key)")
        #expect(raw.status == 200)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(raw.body.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["code", "is_redeemable", "balance_in_cents", "total_amount_in_cents",
                                     "currency", "product_id", "message", "extra"])
        #expect(object["extra"] is NSNull)
        await server.stop()
    }

    @Test func theWrongMethodAndUnknownPathsAreRefused() async throws {
        let server = try await SimulatorServer.start()
        #expect(try await Self.send(.GET, "\(server.baseURL)/v1/vouchers/K7QM2XPA9HTD/redeem.json?apikey=\(Self.key)").status == 405)
        #expect(try await Self.send(.GET, "\(server.baseURL)/v1/vouchers/K7QM2XPA9HTD/nothing.json?apikey=\(Self.key)").status == 404)
        #expect(try await Self.send(.GET, "\(server.baseURL)/v2/vouchers/K7QM2XPA9HTD/balance.json?apikey=\(Self.key)").status == 404)
        await server.stop()
    }

    @Test func faultsCanBeSetAndClearedOverTheAdminRoute() async throws {
        try await SimulatorHarness.with { h in
            let set = try await Self.send(.PUT, "\(h.server.baseURL)/_sim/faults/redeem",
                                          body: #"{"action":"drop_after","count":1}"#, contentType: "application/json")
            #expect(set.status == 200)
            let error = await expectEgumaError { try await h.client.redeem(code: DemoVouchers.plenty, amount: 700, reference: nil, key: h.key) }
            guard case .uncertain? = error?.kind else { Issue.record("got \(String(describing: error))"); return }
            let ledger = try await Self.send(.GET, "\(h.server.baseURL)/_sim/ledger")
            #expect(ledger.body.contains("\"balance_in_cents\":9300"))
            _ = try await Self.send(.PUT, "\(h.server.baseURL)/_sim/faults/*", body: #"{"action":"status","status":502,"body":"bad gateway"}"#)
            let e502 = await expectEgumaError { try await h.client.balance(code: DemoVouchers.plenty, key: h.key) }
            #expect(e502?.kind == .httpStatus(code: 502, message: "bad gateway"))
            #expect(try await Self.send(.DELETE, "\(h.server.baseURL)/_sim/faults").status == 200)
            #expect(try await h.client.balance(code: DemoVouchers.plenty, key: h.key).balanceInCents == 9_300)
        }
    }

    @Test func aFreshShortCodeCanBeIssuedOverTheAdminRoute() async throws {
        try await SimulatorHarness.with { h in
            let raw = try await Self.send(.POST, "\(h.server.baseURL)/_sim/short_codes",
                                          body: #"{"code":"B3NV-8WRE-5JQL","short_code":"07"}"#, contentType: "application/json")
            #expect(raw.status == 200)
            #expect(try await h.client.balance(code: "07", key: h.key).code == "B3NV8WRE5JQL")
        }
    }
}
