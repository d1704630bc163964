import EgumaAPI
import EgumaSimulator
import GateCore
@testable import GateDaemon
import Testing

@Suite("EgumaVoucherService: e-guma errors mapped onto the engine's split")
struct EgumaVoucherServiceTests {
    func error(_ kind: EgumaError.Kind, _ endpoint: Endpoint) -> VoucherServiceError.Kind {
        EgumaVoucherService.map(EgumaError(kind: kind, endpoint: endpoint, maskedCode: "••••-••••-KJR3")).kind
    }

    @Test func aCallThatNeverLeftIsNotSentForReadsAndWrites() {
        #expect(error(.notSent(reason: "connection refused"), .redeem) == .notSent)
        #expect(error(.notSent(reason: "connection refused"), .balance) == .notSent)
    }

    @Test func aPostWithoutUsableAnswerIsUncertain() {
        #expect(error(.uncertain(reason: "read timeout"), .redeem) == .uncertain)
        #expect(error(.httpStatus(code: 502, message: ""), .redeem) == .uncertain)
        #expect(error(.undecodable(detail: "not JSON"), .cancelRedemption) == .uncertain)
    }

    @Test func aGetWithoutAnyAnswerIsUnreachableNotUncertain() {
        #expect(error(.uncertain(reason: "reset"), .balance) == .unreachable)
        #expect(error(.uncertain(reason: "read timeout"), .balance) == .unreachable)
    }

    /// Issue 12 item 4: an answer e-guma gave (5xx, garbage) is not "unreachable", so it can
    /// never open the door offline.
    @Test func aGetThatEgumaAnsweredBadlyIsABadAnswerNotAConnectivityFailure() {
        #expect(error(.httpStatus(code: 503, message: "maintenance"), .balance) == .badAnswer)
        #expect(error(.undecodable(detail: "<html>"), .balance) == .badAnswer)
        let mapped = EgumaVoucherService.map(EgumaError(kind: .httpStatus(code: 500, message: ""), endpoint: .balance,
                                                        maskedCode: "••••-••••-KJR3"))
        #expect(!mapped.isConnectivityFailure)
    }

    @Test func aRefusalKeepsEgumasTextAndRateLimitsStayRetryable() {
        #expect(error(.badRequest(message: "amount_in_cents missing"), .redeem) == .rejected(message: "amount_in_cents missing"))
        #expect(error(.httpStatus(code: 404, message: "voucher not found"), .balance) == .rejected(message: "voucher not found"))
        #expect(error(.httpStatus(code: 429, message: ""), .redeem) == .uncertain)
        #expect(error(.httpStatus(code: 408, message: ""), .balance) == .badAnswer)
    }

    /// A wrong or rotated API key is the gate's problem, not the voucher's: never `.rejected`
    /// (which dead-letters a queued cancel or offline redeem and counts a guess), always
    /// `.badAnswer` — nothing applied, retried once the key is fixed.
    @Test func aRefusedKeyIsABadAnswerForEveryCallNeverARefusalOfTheVoucher() async throws {
        for endpoint: Endpoint in [.balance, .redeem, .cancelRedemption] {
            #expect(error(.unauthorized(message: "Ungültiger API-Schlüssel"), endpoint) == .badAnswer)
            #expect(error(.httpStatus(code: 401, message: ""), endpoint) == .badAnswer)
        }
        // Over HTTP against the simulator, with a key it does not know.
        let server = try await SimulatorServer.start()
        let client = try EgumaClient(configuration: EgumaClientConfiguration(baseURL: server.baseURL, requestTimeout: .seconds(30)))
        let service = EgumaVoucherService(client: client, key: APIKey("not-the-outlets-key"))
        let code = VoucherCode(unchecked: DemoVouchers.plenty)
        do {
            _ = try await service.cancel(code, token: "tok", amount: Money(cents: 2_500))
            Issue.record("a cancel with a wrong key succeeded")
        } catch {
            #expect(error.kind == .badAnswer)
            #expect(error.detail.contains("HTTP 401") && error.detail.contains("api_key_file"), "\(error.detail)")
            #expect(!error.detail.contains("not-the-outlets-key"))
        }
        try await client.shutdown()
        await server.stop()
    }

    @Test func aRefusedConnectionOverRealLoopbackIsNotSent() async throws {
        // Port 9 (discard) has no listener here: connect() is refused by the kernel.
        let client = try EgumaClient(configuration: EgumaClientConfiguration(
            baseURL: "http://127.0.0.1:9", connectTimeout: .seconds(2), requestTimeout: .seconds(3)))
        let service = EgumaVoucherService(client: client, key: APIKey("test-key"))
        do {
            _ = try await service.redeem(VoucherCode(unchecked: "L4FU5LQTKJR3"), amount: Money(cents: 2_500), reference: "g/l/1")
            Issue.record("redeem against a closed port succeeded")
        } catch {
            #expect(error.kind == .notSent)
            #expect(!error.detail.contains("test-key"))
        }
        try await client.shutdown()
    }
}
