import EgumaAPI
import EgumaSimulator
import Foundation
import Testing

/// Every text the server sends is scrubbed of the API key at the client's one boundary
/// (`AnswerDecoder`), in 200 answers as well as in error bodies (issue 12 item 5).
@Suite struct ServerTextScrubbingTests {
    static let secret = "SeCrEt+k3y/4711"
    static let outlet = SimulatedOutlet(name: "spa", key: secret)
    static var encoded: String { Endpoint.encodePathSegment(secret) }

    /// What a careless server puts in a message: the request URL with the key, raw and encoded.
    static var leakyText: String {
        "Gesperrt, siehe https://api.e-guma.ch/v1/vouchers/X/balance.json?apikey=\(encoded)&x=1 (Schlüssel \(secret))"
    }

    static func balanceBody(message: String) -> String {
        let escaped = message.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "/", with: "\\/")  // JSON may escape slashes: still found
        return #"{"code":"\#(DemoVouchers.plenty)","is_redeemable":false,"balance_in_cents":0,"total_amount_in_cents":10000,"message":"\#(escaped)"}"#
    }

    @Test func theMessageOfA200BalanceComesBackScrubbedButReadable() async throws {
        let capture = LogCapture()
        try await SimulatorHarness.with(outlets: [Self.outlet], logger: capture.logger()) { h in
            await h.server.setFault(.status(200, body: Self.balanceBody(message: Self.leakyText), count: 1), for: .balance)
            let answer = try await h.client.balance(code: DemoVouchers.plenty, key: APIKey(Self.secret))
            let message = try #require(answer.message)
            #expect(!message.contains(Self.secret) && !message.contains(Self.encoded), "\(message)")
            #expect(message.contains("Gesperrt, siehe"))
            #expect(message.contains("apikey=•••&x=1"), "\(message)")
            #expect(!answer.isRedeemable)
        }
        for line in capture.all { #expect(!line.contains(Self.secret) && !line.contains(Self.encoded), "\(line)") }
    }

    @Test func errorBodiesAreScrubbedTheSameWay() async throws {
        try await SimulatorHarness.with(outlets: [Self.outlet]) { h in
            for status in [400, 401, 404, 503] {
                await h.server.setFault(.status(status, body: Self.leakyText + "\nX-Forwarded: apikey=\(Self.secret)", count: 1), for: .info)
                let error = await expectEgumaError({ try await h.client.info(code: DemoVouchers.plenty, key: APIKey(Self.secret)) })
                let text = error?.description ?? ""
                #expect(!text.contains(Self.secret) && !text.contains(Self.encoded), "HTTP \(status): \(text)")
                #expect(text.contains("Gesperrt"), "HTTP \(status): \(text)")
                #expect(!text.contains("\n"), "control characters become spaces: \(text)")
            }
        }
    }

    @Test func anyApikeyParameterIsMaskedEvenWithAnotherKey() {
        let scrubber = ServerTextScrubber(key: APIKey("mine"))
        #expect(scrubber.scrub("see https://x/y?APIKEY=theirs123&z=1") == "see https://x/y?APIKEY=•••&z=1")
        #expect(scrubber.scrub("a api_key=abc b") == "a api_key=••• b")
        #expect(scrubber.scrub("key mine here") == "key ••• here")
        #expect(scrubber.scrub("line\u{1B}[2Jone\ntwo") == "line [2Jone two")
        #expect(scrubber.scrub("Gutschein nicht gefunden") == "Gutschein nicht gefunden")
    }

    @Test func decodingKeepsNumbersBooleansAndNullsExact() throws {
        let body = #"{"code":"L4FU5LQTKJR3","is_redeemable":true,"balance_in_cents":9007199254740993,"total_amount_in_cents":"15000","product_id":42,"message":null}"#
        let decoded: BalanceResponse = try AnswerDecoder(key: APIKey("k")).decode(status: 200, body: Array(body.utf8),
                                                                                 endpoint: .balance, maskedCode: "••").get()
        #expect(decoded.isRedeemable)
        #expect(decoded.balanceInCents == 9_007_199_254_740_993)
        #expect(decoded.totalAmountInCents == 15_000)
        #expect(decoded.productId == "42")
        #expect(decoded.message == nil)
    }

    /// A model the client does not know yet (a field added later): every string it can reach —
    /// nested, in arrays, as a dictionary key — comes out scrubbed, read from the one parse.
    @Test func aModelAddedLaterIsScrubbedWithoutNamingItsFields() throws {
        struct Later: Decodable { let notes: [String: [String]]; let count: Int; let ratio: Double; let flag: Bool? }
        let body = #"{"notes":{"k=SeCrEt+k3y/4711":["SeCrEt+k3y\/4711 leaked","fine"]},"count":3,"ratio":0.5,"flag":null}"#
        let decoded: Later = try AnswerDecoder(key: APIKey(Self.secret)).decode(status: 200, body: Array(body.utf8),
                                                                              endpoint: .balance, maskedCode: "••").get()
        #expect(decoded.notes == ["k=•••": ["••• leaked", "fine"]])
        #expect(decoded.count == 3 && decoded.ratio == 0.5 && decoded.flag == nil)
    }

    @Test func aWrongTypeNamesTheFieldAsBefore() {
        let body = #"{"code":"L4FU5LQTKJR3","is_redeemable":"yes","balance_in_cents":1,"total_amount_in_cents":1}"#
        let result: Result<BalanceResponse, EgumaError> = AnswerDecoder(key: APIKey("k")).decode(
            status: 200, body: Array(body.utf8), endpoint: .balance, maskedCode: "••")
        guard case .failure(let error) = result else { Issue.record("decoded a text as a boolean"); return }
        #expect(error.description.contains("is_redeemable"), "\(error)")
    }
}
