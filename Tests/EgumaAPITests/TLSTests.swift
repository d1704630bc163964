import EgumaAPI
import EgumaSimulator
import Foundation
import Testing

/// The client against the simulator over HTTPS with a certificate generated at start.
@Suite struct TLSTests {
    @Test func clientTrustingTheSimulatorCARedeemsOverTLS() async throws {
        try await SimulatorHarness.with(tls: true) { h in
            #expect(h.server.baseURL.hasPrefix("https://localhost:"))
            let caFile = try #require(h.server.caFile)
            #expect(try String(contentsOfFile: caFile, encoding: .utf8).hasPrefix("-----BEGIN CERTIFICATE-----"))
            let b = try await h.client.balance(code: DemoVouchers.plenty, key: h.key)
            #expect(b.isRedeemable)
            let r = try await h.client.redeem(code: DemoVouchers.plenty, amount: 500, reference: nil, key: h.key)
            _ = try await h.client.cancelRedemption(code: DemoVouchers.plenty, token: r.redeemToken, amount: 500, key: h.key)
            #expect(await h.server.balance(of: DemoVouchers.plenty) == 10_000)
        }
    }

    @Test func everyEndpointWorksOverTLS() async throws {
        try await SimulatorHarness.with(tls: true) { h in
            _ = try await h.client.info(code: DemoVouchers.plenty, key: h.key)
            _ = try await h.client.chargeStatus(code: DemoVouchers.chargeable, key: h.key)
            let c = try await h.client.charge(code: DemoVouchers.chargeable, request: .init(amountInCents: 100), key: h.key)
            _ = try await h.client.cancelCharge(code: DemoVouchers.chargeable, request: .init(chargeToken: c.chargeToken), key: h.key)
            _ = try await h.client.activateStatus(code: DemoVouchers.depotFree, key: h.key)
            _ = try await h.client.activate(code: DemoVouchers.depotFree, amount: 1_000, key: h.key)
            _ = try await h.client.deactivateStatus(code: DemoVouchers.depotFree, key: h.key)
            _ = try await h.client.deactivate(code: DemoVouchers.depotFree, reason: nil, key: h.key)
            #expect(await h.server.ledger().count == 8)
        }
    }

    @Test func clientWithoutTheCARefusesTheCertificateAndNothingIsSent() async throws {
        // AsyncHTTPClient retries a failed handshake until the connect timeout: keep it short here.
        try await SimulatorHarness.with(tls: true, trustCA: false, connectTimeout: .milliseconds(300)) { h in
            let error = await expectEgumaError { try await h.client.redeem(code: DemoVouchers.plenty, amount: 100, reference: nil, key: h.key) }
            // The reason is the TLS failure or, when AsyncHTTPClient's handshake retries outlast
            // the connect timeout, "connect timeout": either way nothing left this machine.
            guard case .notSent? = error?.kind else { Issue.record("got \(String(describing: error))"); return }
            #expect(error?.mayHaveBeenApplied == false)
            #expect(await h.server.ledger().isEmpty)
            #expect(await h.account.requestLog().isEmpty)
        }
    }

    @Test func anUntrustedCertificateIsNamedInTheError() async throws {
        // Long enough for the handshake failure to be reported instead of the connect timeout.
        try await SimulatorHarness.with(tls: true, trustCA: false) { h in
            let error = await expectEgumaError { try await h.client.balance(code: DemoVouchers.plenty, key: h.key) }
            guard case .notSent(let reason)? = error?.kind else { Issue.record("got \(String(describing: error))"); return }
            #expect(reason.hasPrefix("TLS: the server's certificate is not trusted"))
        }
    }

    @Test func plainHTTPToATLSSimulatorIsNotAnAnswer() async throws {
        // A misconfigured base URL (http:// to an https port) must fail, not hang or succeed.
        let server = try await SimulatorServer.start(.init(tls: true))
        let client = try EgumaClient(configuration: .init(
            baseURL: "http://127.0.0.1:\(server.port)", connectTimeout: .seconds(2), requestTimeout: .seconds(30)))
        let error = await expectEgumaError { try await client.balance(code: DemoVouchers.plenty, key: APIKey(SimulatedOutlet.demo.key)) }
        #expect(error != nil)
        try await client.shutdown()
        await server.stop()
    }
}
