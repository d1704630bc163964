import GateCore
import GateStore

extension GateDatabase {
    /// Puts redemption `redemption` in `state`, whatever state it is in now: a test's layout of a
    /// journal (a cancelled, refused or uncertain redemption), written through the product's own
    /// guarded move with every state allowed. The product never moves a redemption unguarded.
    public func forceRedemption(_ redemption: Int64, state: RedemptionState, balanceAfter: Money?) async throws {
        let every: Set<RedemptionState> = [.intent, .redeemed, .notRedeemed, .tokenUnknown, .uncertain, .cancelQueued, .cancelled]
        _ = try await settleRedemption(redemption, from: every, to: state, balanceAfter: balanceAfter, event: nil)
    }
}
