import GateCore
import Testing
import TestSupport

/// "Checking" goes to the screens once the Balance request is on the wire, not ahead of it, and
/// at the latest after the lane's bound when the request is not out by then (issue 24).
@Suite struct CheckingScreenTests {
    static let code = "L4FU5LQTKJR3"

    /// A Balance that goes out only when the test lets it (`send`), tells the lane so when
    /// `tellsSent`, and answers from the fake only when the test lets it (`answer`).
    struct HeldBalance: VoucherService {
        let fake: FakeVoucherService
        let feedback: RecordingGuestFeedback
        let tellsSent: Bool
        let send = WakeSignal()
        let answer = WakeSignal()
        /// The screens shown when the lane called Balance.
        let called = Recorder<[GuestState]>()

        func balance(of code: VoucherCode) async throws(VoucherServiceError) -> VoucherBalance {
            try await fake.balance(of: code)
        }

        func balance(of code: VoucherCode, sent: @escaping @Sendable () -> Void) async throws(VoucherServiceError) -> VoucherBalance {
            called.append(feedback.states.values)
            await send.wait()
            if tellsSent { sent() }
            await answer.wait()
            return try await fake.balance(of: code)
        }

        func redeem(_ code: VoucherCode, amount: Money, reference: String) async throws(VoucherServiceError) -> VoucherRedemption {
            try await fake.redeem(code, amount: amount, reference: reference)
        }

        func cancel(_ code: VoucherCode, token: String, amount: Money) async throws(VoucherServiceError) -> Money {
            try await fake.cancel(code, token: token, amount: amount)
        }
    }

    /// One scan of a voucher that covers the price, on a lane without a sensor, through a held
    /// Balance; handled in a task the caller awaits, once the lane called Balance.
    static func scan(tellsSent: Bool, checkingAtLatest: Duration) async throws -> (HeldBalance, Task<Void, Never>) {
        let fake = FakeVoucherService()
        await fake.add(code, balance: 5_000)
        let service = HeldBalance(fake: fake, feedback: RecordingGuestFeedback(), tellsSent: tellsSent)
        let clock = TestClock()
        let store = MemoryStore()
        let engine = LaneEngine(settings: LaneSettings(name: "main", gateName: "spa-north", outlet: "spa", price: Money(cents: 2_500)),
                                service: service, relay: ScriptedRelay(), sensor: nil, feedback: service.feedback,
                                journal: store, outbox: store, online: OnlineMonitor(clock: clock), clock: clock,
                                checkingAtLatest: checkingAtLatest)
        let run = Task { _ = await engine.whileFollowingRelay { await engine.handle(.scanner(.frame(Array(code.utf8)))) } }
        try await service.called.waitFor("the lane's Balance call") { _ in true }
        return (service, run)
    }

    /// Lets the held Balance go out and answer, and waits for the admission's end.
    static func finish(_ service: HeldBalance, _ run: Task<Void, Never>) async throws -> [GuestState] {
        service.send.signal()
        service.answer.signal()
        try await withDeadline(.seconds(10), "the admission's end") { await run.value }
        let states = service.feedback.states.values
        #expect(states.first == .checking)
        #expect(states.contains(.walkThrough))
        return states
    }

    @Test func checkingGoesOnOnceTheBalanceRequestIsSentAndBeforeItsAnswer() async throws {
        let (service, run) = try await Self.scan(tellsSent: true, checkingAtLatest: .seconds(3_600))
        #expect(service.called.values.first?.contains(.checking) == false)
        #expect(!service.feedback.states.values.contains(.checking))  // not sent yet: nothing shown

        service.send.signal()
        try await service.feedback.states.waitFor("\"checking\" once the request is sent") { $0 == .checking }
        #expect(service.feedback.states.values == [.checking])  // the answer is still held

        _ = try await Self.finish(service, run)
    }

    @Test func aRequestNotOutYetStillGetsCheckingWithinTheBound() async throws {
        let (service, run) = try await Self.scan(tellsSent: false, checkingAtLatest: .milliseconds(10))
        // Never sent and never answered until the test lets it: only the bound can show it.
        try await service.feedback.states.waitFor("\"checking\" within the bound") { $0 == .checking }

        let states = try await Self.finish(service, run)
        #expect(states.filter { $0 == .checking }.count == 1)
    }
}
