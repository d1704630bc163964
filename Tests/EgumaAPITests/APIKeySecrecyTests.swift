import EgumaAPI
import EgumaSimulator
import Foundation
import Testing

/// The API key is in every URL; it must appear in no error text and no log line.
@Suite struct APIKeySecrecyTests {
    static let secret = "SeCrEt-k3y-4711-do-not-leak"
    static let outlet = SimulatedOutlet(name: "spa", key: secret)

    @Test func theKeyAppearsInNoErrorDescriptionAndNoLogLineEvenForFailingCalls() async throws {
        let capture = LogCapture()
        var errors: [EgumaError] = []
        try await SimulatorHarness.with(outlets: [Self.outlet], requestTimeout: .seconds(3),  // below the 4 s latency fault, far above a loaded machine's loopback call
                                        logger: capture.logger()) { h in
            let key = APIKey(Self.secret)
            // A success (debug log line) …
            _ = try await h.client.balance(code: DemoVouchers.plenty, key: key)
            // … 400, 401, a 500 whose body echoes the key, undecodable, uncertain, timeout.
            if let e = await expectEgumaError({ try await h.client.redeem(code: DemoVouchers.tooLittle, amount: 9_999, reference: nil, key: key) }) { errors.append(e) }
            if let e = await expectEgumaError({ try await h.client.balance(code: DemoVouchers.plenty, key: APIKey(Self.secret + "x")) }) { errors.append(e) }
            await h.server.setFault(.status(500, body: "crash for apikey=\(Self.secret)", count: 1), for: .info)
            if let e = await expectEgumaError({ try await h.client.info(code: DemoVouchers.plenty, key: key) }) { errors.append(e) }
            await h.server.setFault(.status(200, body: "{\"apikey\":\"\(Self.secret)\"", count: 1), for: .balance)
            if let e = await expectEgumaError({ try await h.client.balance(code: DemoVouchers.plenty, key: key) }) { errors.append(e) }
            await h.server.setFault(.dropAfterProcessing(count: 1), for: .redeem)
            if let e = await expectEgumaError({ try await h.client.redeem(code: DemoVouchers.plenty, amount: 1, reference: nil, key: key) }) { errors.append(e) }
            await h.server.setFault(.latency(milliseconds: 4_000, count: 1), for: .chargeStatus)
            if let e = await expectEgumaError({ try await h.client.chargeStatus(code: DemoVouchers.plenty, key: key) }) { errors.append(e) }
        }
        // … and not sent: a closed port.
        let closed = try await SimulatorServer.start()
        let url = closed.baseURL
        await closed.stop()
        let client = try EgumaClient(configuration: .init(baseURL: url, connectTimeout: .milliseconds(300), requestTimeout: .seconds(2)),
                                     logger: capture.logger())
        if let e = await expectEgumaError({ try await client.balance(code: DemoVouchers.plenty, key: APIKey(Self.secret)) }) { errors.append(e) }
        try await client.shutdown()

        #expect(errors.count == 7)
        for error in errors {
            for text in [error.description, String(reflecting: error), "\(error.kind)", error.localizedDescription] {
                #expect(!text.contains(Self.secret), "key leaked in: \(text)")
            }
        }
        let lines = capture.all
        #expect(lines.count >= 8)  // one debug line for the success, one info line per failure
        for line in lines {
            #expect(!line.contains(Self.secret), "key leaked in log: \(line)")
            #expect(!line.contains("?apikey="), "URL logged: \(line)")
        }
    }

    @Test func theKeyIsMaskedInDescriptionsAndDumps() {
        let key = APIKey(Self.secret)
        var dumped = ""
        dump(key, to: &dumped)
        for text in ["\(key)", String(reflecting: key), dumped] {
            #expect(!text.contains(Self.secret))
        }
    }
}
