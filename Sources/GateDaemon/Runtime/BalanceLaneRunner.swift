import GateCore
import Logging

/// A balance-check lane (`mode = "balance"`): a scanner and a display, no relay. Each scan asks
/// e-guma's Balance (the integration guide's "Check-Balance-Function") and shows redeemable or
/// not with e-guma's message, the balance and the total. It never redeems.
///
/// The answer stays on screen for the lane's `screen_hold_ms` (the `ScreenHold` around
/// `feedback`), then the lane invites the next guest again (so one guest's balance is not shown
/// to the next).
final class BalanceLaneRunner: Sendable {
    let lane: String
    let service: any VoucherService
    let feedback: any GuestFeedback
    let logger: Logger

    init(lane: String, service: any VoucherService, feedback: any GuestFeedback, logger: Logger) {
        self.lane = lane; self.service = service; self.feedback = feedback; self.logger = logger
    }

    /// Runs until `scanner` ends.
    func run(scanner: AsyncStream<ScannerEvent>) async {
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
    func check(_ bytes: [UInt8]) async -> GuestState {
        let code: VoucherCode
        switch VoucherCode.normalise(bytes) {
        case .failure(.empty): return .denied(.emptyCode)
        case .failure: return .denied(.unreadableCode)
        case .success(let c): code = c
        }
        await feedback.show(.checking)
        do throws(VoucherServiceError) {
            let answer = try await service.balance(of: code)
            logger.info("balance check \(answer.code.masked): \(answer.isRedeemable ? "redeemable" : "not redeemable"), balance \(answer.balance)")
            return .balance(BalanceCheck(answer))
        } catch {
            logger.warning("balance check \(code.masked) failed: \(error.description)")
            if case .rejected(let message) = error.kind { return .denied(.eguma(message: message)) }
            return .offline
        }
    }
}
