import EgumaAPI
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
