/// A balance-check lane (`mode = "balance"`): a scanner and a display, no relay. Each scan asks
/// e-guma's Balance (the integration guide's "Check-Balance-Function") and shows redeemable or
/// not with e-guma's message, the balance and the total. It never redeems.
///
/// Beside `LaneEngine` and sharing its first step (`VoucherCode.normalise`); pure like it: the
/// daemon logs what `report` tells it. The answer stays on screen for the lane's
/// `screen_hold_ms` (a `ScreenHold` around `feedback`), then the lane invites the next guest.
public struct BalanceCheckLane: Sendable {
    /// What one scan came to, for the daemon's log.
    public enum Report: Sendable, Equatable {
        case answered(VoucherBalance)
        case failed(VoucherCode, VoucherServiceError)
    }

    public let service: any VoucherService
    public let feedback: any GuestFeedback
    public let report: @Sendable (Report) -> Void

    public init(service: any VoucherService, feedback: any GuestFeedback, report: @escaping @Sendable (Report) -> Void = { _ in }) {
        self.service = service; self.feedback = feedback; self.report = report
    }

    /// Runs until `scanner` ends.
    public func run(scanner: AsyncStream<ScannerEvent>) async {
        for await event in scanner {
            switch event {
            case .attached:
                await feedback.show(.idle)
            case .detached:
                await feedback.show(.denied(.outOfOrder))
            case .frame(let bytes):
                await feedback.show(await check(bytes))
            }
        }
    }

    /// The screen for one scanned frame.
    public func check(_ bytes: [UInt8]) async -> GuestState {
        let code: VoucherCode
        switch VoucherCode.normalise(bytes) {
        case .failure(.empty): return .denied(.emptyCode)
        case .failure: return .denied(.unreadableCode)
        case .success(let c): code = c
        }
        await feedback.show(.checking)
        do throws(VoucherServiceError) {
            let answer = try await service.balance(of: code)
            report(.answered(answer))
            return .balance(BalanceCheck(answer))
        } catch {
            report(.failed(code, error))
            if case .rejected(let message) = error.kind { return .denied(.eguma(message: message)) }
            return .offline
        }
    }
}
