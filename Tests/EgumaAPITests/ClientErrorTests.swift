import Glibc
import EgumaAPI
import EgumaSimulator
import Foundation
import Testing
import TestSupport

/// Every error class of `EgumaError`, produced for real by the simulator (or a closed port).
@Suite struct ClientErrorTests {
    @Test func otherStatusCarriesTheBodyAndCountsAsUnreachableWhen5xx() async throws {
        try await SimulatorHarness.with { h in
            await h.server.setFault(.status(503, body: "Wartungsarbeiten"), for: .redeem)
            let error = await expectEgumaError { try await h.client.redeem(code: DemoVouchers.plenty, amount: 100, reference: nil, key: h.key) }
            #expect(error?.kind == .httpStatus(code: 503, message: "Wartungsarbeiten"))
            #expect(error?.isUnreachable == true)
            #expect(error?.mayHaveBeenApplied == true)
            #expect(await h.server.balance(of: DemoVouchers.plenty) == 10_000)
        }
    }

    @Test func aNonJSONSuccessAnswerIsUndecodable() async throws {
        try await SimulatorHarness.with { h in
            await h.server.setFault(.status(200, body: "<html>maintenance</html>"), for: .balance)
            let error = await expectEgumaError { try await h.client.balance(code: DemoVouchers.plenty, key: h.key) }
            guard case .undecodable? = error?.kind else { Issue.record("got \(String(describing: error))"); return }
        }
    }

    @Test func aJSONAnswerWithoutRequiredFieldsIsUndecodable() async throws {
        try await SimulatorHarness.with { h in
            await h.server.setFault(.status(200, body: #"{"code":"K7QM2XPA9HTD"}"#), for: .redeem)
            let error = await expectEgumaError { try await h.client.redeem(code: DemoVouchers.plenty, amount: 100, reference: nil, key: h.key) }
            #expect(error?.kind == .undecodable(detail: "field balance_in_cents is missing"))
        }
    }

    @Test func anAnswerLargerThanTheCapIsUndecodable() async throws {
        try await SimulatorHarness.with(maxResponseBytes: 1_024) { h in
            await h.server.setFault(.status(200, body: String(repeating: "x", count: 50_000)), for: .balance)
            let error = await expectEgumaError { try await h.client.balance(code: DemoVouchers.plenty, key: h.key) }
            guard case .undecodable(let detail)? = error?.kind else { Issue.record("got \(String(describing: error))"); return }
            #expect(detail.contains("1024"))
        }
    }

    /// The "request sent" hook the lane shows "checking" on: told once for a Balance that went
    /// out, never for one that did not.
    @Test func balanceTellsOnceWhenItsRequestIsSentAndNeverWhenItIsNot() async throws {
        let told = Recorder<Void>()
        try await SimulatorHarness.with { h in
            _ = try await h.client.balance(code: DemoVouchers.plenty, key: h.key, sent: { told.append(()) })
        }
        #expect(told.values.count == 1)

        let closed = try RefusingPort()
        let client = try EgumaClient(configuration: .init(baseURL: "http://127.0.0.1:\(closed.port)", connectTimeout: .milliseconds(300),
                                                          requestTimeout: .seconds(3)))
        let untold = Recorder<Void>()
        let error = await expectEgumaError { try await client.balance(code: DemoVouchers.plenty, key: APIKey("k"), sent: { untold.append(()) }) }
        try await client.shutdown()
        guard case .notSent? = error?.kind else { Issue.record("got \(String(describing: error))"); return }
        #expect(untold.values.isEmpty)
    }

    @Test func aClosedPortIsNotSent() async throws {
        // Bound but not listening: refused, and no server of a parallel test can take the port.
        let closed = try RefusingPort()
        let url = "http://127.0.0.1:\(closed.port)"
        // AsyncHTTPClient retries a refused connect until the connect timeout: keep it short here.
        let client = try EgumaClient(configuration: .init(baseURL: url, connectTimeout: .milliseconds(300), requestTimeout: .seconds(3)))
        let error = await expectEgumaError { try await client.redeem(code: DemoVouchers.plenty, amount: 100, reference: nil, key: APIKey("k")) }
        try await client.shutdown()  // before any check: a client dropped unshut crashes the whole test process
        guard case .notSent? = error?.kind else { Issue.record("got \(String(describing: error))"); return }
        #expect(error?.mayHaveBeenApplied == false)
        #expect(error?.isUnreachable == true)
    }

    @Test func droppedAfterProcessingIsUncertainAndTheRedeemHappened() async throws {
        try await SimulatorHarness.with { h in
            await h.server.setFault(.dropAfterProcessing(count: 1), for: .redeem)
            let error = await expectEgumaError { try await h.client.redeem(code: DemoVouchers.plenty, amount: 2_500, reference: "r1", key: h.key) }
            guard case .uncertain? = error?.kind else { Issue.record("got \(String(describing: error))"); return }
            #expect(error?.mayHaveBeenApplied == true)
            #expect(await h.server.balance(of: DemoVouchers.plenty) == 7_500)
            let entry = try #require(await h.server.ledger().last)
            #expect(entry.applied && entry.referenceNumber == "r1" && entry.endpoint == .redeem)
            // The fault was for one call only: the next call is answered.
            #expect(try await h.client.balance(code: DemoVouchers.plenty, key: h.key).balanceInCents == 7_500)
        }
    }

    @Test func droppedBeforeProcessingIsUncertainAndNothingChanged() async throws {
        try await SimulatorHarness.with { h in
            await h.server.setFault(.dropBeforeProcessing(), for: .redeem)
            let error = await expectEgumaError { try await h.client.redeem(code: DemoVouchers.plenty, amount: 2_500, reference: nil, key: h.key) }
            guard case .uncertain? = error?.kind else { Issue.record("got \(String(describing: error))"); return }
            #expect(await h.server.balance(of: DemoVouchers.plenty) == 10_000)
            #expect(await h.server.ledger().isEmpty)
        }
    }

    @Test func anAnswerSlowerThanTheRequestTimeoutIsUncertain() async throws {
        // The connection is made first (a Balance call), so the timeout can only run out while
        // the Redeem is on the wire: under a loaded CI machine a fresh connection's setup alone
        // took longer than a short timeout, and "could not be sent" is then the right answer.
        try await SimulatorHarness.with(requestTimeout: .milliseconds(1_500)) { h in
            var connected = false
            for _ in 0..<5 where !connected {  // a loaded machine may time out the first tries too
                connected = (try? await h.client.balance(code: DemoVouchers.plenty, key: h.key)) != nil
            }
            #expect(connected, "no Balance answer within 5 tries")
            await h.server.setFault(.latency(milliseconds: 8_000, count: 1), for: .redeem)
            let started = ContinuousClock.now
            let error = await expectEgumaError { try await h.client.redeem(code: DemoVouchers.plenty, amount: 100, reference: nil, key: h.key) }
            guard case .uncertain? = error?.kind else { Issue.record("got \(String(describing: error))"); return }
            #expect(ContinuousClock.now - started < .seconds(7), "the client's timeout ends the wait, not the answer")
        }
    }

    @Test func addedLatencyBelowTheTimeoutOnlyDelays() async throws {
        try await SimulatorHarness.with { h in
            await h.server.setFault(.latency(milliseconds: 150), for: .balance)
            let started = ContinuousClock.now
            _ = try await h.client.balance(code: DemoVouchers.plenty, key: h.key)
            #expect(ContinuousClock.now - started >= .milliseconds(150))
        }
    }

    @Test func aFaultWithACountFailsOnlyThatManyCalls() async throws {
        try await SimulatorHarness.with { h in
            await h.server.setFault(.status(500, body: "boom", count: 2), for: nil)
            for _ in 0..<2 {
                let error = await expectEgumaError { try await h.client.balance(code: DemoVouchers.plenty, key: h.key) }
                #expect(error?.kind == .httpStatus(code: 500, message: "boom"))
            }
            let after = try await h.client.balance(code: DemoVouchers.plenty, key: h.key)
            #expect(after.isRedeemable)
        }
    }
}
