import GateCore
import Testing
import TestSupport

/// The balance-check lane's screens, with a scripted voucher service and an injected clock.
@Suite struct BalanceCheckLaneTests {
    struct ScriptedService: VoucherService {
        let answer: Result<VoucherBalance, VoucherServiceError>
        func balance(of code: VoucherCode) async throws(VoucherServiceError) -> VoucherBalance { try answer.get() }
        func redeem(_ code: VoucherCode, amount: Money, reference: String) async throws(VoucherServiceError) -> VoucherRedemption {
            Issue.record("a balance-check lane redeemed")
            throw VoucherServiceError(.notSent, detail: "never")
        }
        func cancel(_ code: VoucherCode, token: String, amount: Money) async throws(VoucherServiceError) -> Money {
            throw VoucherServiceError(.notSent, detail: "never")
        }
    }

    static let answer = VoucherBalance(code: VoucherCode(unchecked: "K7QM-2XPA-9HTD"), isRedeemable: true, balance: Money(cents: 4_000),
                                       total: Money(cents: 10_000), productID: nil, message: nil)

    func runner(_ answer: Result<VoucherBalance, VoucherServiceError>,
                feedback: any GuestFeedback = RecordingGuestFeedback(),
                report: @escaping @Sendable (BalanceCheckLane<ContinuousClock>.Report) -> Void = { _ in }) -> BalanceCheckLane<ContinuousClock> {
        BalanceCheckLane(service: ScriptedService(answer: answer), feedback: feedback, report: report)
    }

    @Test func unreadableAndEmptyScansAreDeniedWithoutAskingEguma() async {
        let r = runner(.failure(VoucherServiceError(.notSent, detail: "must not be called")))
        #expect(await r.check(Array("ä€".utf8)) == .denied(.unreadableCode))
        #expect(await r.check([0x0D, 0x0A]) == .denied(.emptyCode))
    }

    @Test func egumasRefusalIsShownVerbatimAndAnOutageAsOffline() async {
        #expect(await runner(.failure(VoucherServiceError(.rejected(message: "Gutschein nicht gefunden"), detail: ""))).check(Array("ABCD".utf8))
            == .denied(.eguma(message: "Gutschein nicht gefunden")))
        #expect(await runner(.failure(VoucherServiceError(.unreachable, detail: "timeout"))).check(Array("ABCD".utf8)) == .offline)
        #expect(await runner(.failure(VoucherServiceError(.badAnswer, detail: "HTTP 500"))).check(Array("ABCD".utf8))
            == .denied(.egumaError))
    }

    @Test func everyAnswerIsReportedForTheDaemonsLog() async {
        let reports = Recorder<BalanceCheckLane<ContinuousClock>.Report>()
        _ = await runner(.success(Self.answer), report: { reports.append($0) }).check(Array("K7QM2XPA9HTD".utf8))
        let outage = VoucherServiceError(.unreachable, detail: "timeout")
        _ = await runner(.failure(outage), report: { reports.append($0) }).check(Array("K7QM2XPA9HTD".utf8))
        #expect(reports.values == [.answered(Self.answer), .failed(VoucherCode(unchecked: "K7QM2XPA9HTD"), outage)])
    }

    @Test func theAnswerStaysForTheHoldTimeThenTheLaneInvitesTheNextGuest() async throws {
        let clock = TestClock()
        let feedback = RecordingGuestFeedback()
        // As the daemon wires it: the balance lane's 20 s screen_hold_ms around the lane's screen.
        let r = runner(.success(Self.answer), feedback: ScreenHold(feedback, hold: .seconds(20), clock: clock))
        let running = Task { await r.run() }
        r.inbox.yield(.frame(Array("K7QM2XPA9HTD".utf8)))
        #expect(await clock.waitForSleepers(1, timeout: .seconds(10)))
        #expect(feedback.states.values == [.checking, .balance(BalanceCheck(Self.answer))])
        clock.advance(by: .seconds(19))
        #expect(feedback.states.values.last != .idle)
        clock.advance(by: .seconds(1))
        try await feedback.states.waitFor("the idle screen", timeout: .seconds(10)) { $0 == .idle }
        r.inbox.finish()
        await running.value
    }
}
