import Foundation
import GateCore
import GRDB

/// How a desk redemption's Redeem ended, as its closing step writes it.
public enum DeskEnding: Sendable, Equatable {
    /// e-guma answered: the token and the new balance.
    case redeemed(token: String, balanceAfter: Money)
    /// e-guma certainly did not apply it (refused, or never sent).
    case notRedeemed
    /// Sent without a usable answer, and a Balance right after proved it applied: the token is
    /// lost (`token_unknown`, an operator event: it cannot be cancelled through the API).
    case tokenUnknown(balanceAfter: Money)
    /// Sent without a usable answer and not proven either way: `uncertain`, with a `settle` entry
    /// that re-checks it by evidence (never re-sent).
    case uncertain(SettleOrder)
}

extension GateDatabase {
    /// The closing step of a desk redemption (`voucher redeem --outlet`, issue 25): the
    /// redemption leaves `intent` as `ending` says, `events` are appended and the desk admission
    /// is closed — in one transaction, guarded by the redemption still being `intent`. An open
    /// admission with a `redeemed` redemption is what start-up recovery cancels, so the token and
    /// the closing can never be written apart. The admission closes as `entered` when the
    /// customer paid (redeemed, or proven applied), `denied` otherwise.
    ///
    /// `stale` (nothing of it written but the admission's closing): the redemption had been
    /// settled by someone else (start-up recovery of a daemon that started meanwhile).
    public func closeDeskRedemption(admission: Int64, redemption: Int64, _ ending: DeskEnding,
                                    events: [GateEvent]) async throws -> StepResult {
        let settle: (OutboxOperation, String)? = try {
            guard case .uncertain(let order) = ending else { return nil }
            let operation = OutboxOperation.settle(order)
            return (operation, try Self.payload(operation))
        }()
        return try await write { db in
            let now = JournalTime.now
            let result: StepResult
            let outcome: AdmissionOutcome
            switch ending {
            case .redeemed(let token, let balanceAfter):
                try db.execute(sql: """
                    UPDATE redemption SET token = ?, balance_after_cents = ?, state = 'redeemed', updated_at = ?
                    WHERE id = ? AND state = 'intent'
                    """, arguments: [token, balanceAfter.cents, now, redemption])
                result = db.changesCount == 1 ? .applied : .stale
                outcome = .entered
            case .notRedeemed:
                result = try Self.move(redemption, from: [.intent], to: .notRedeemed, balanceAfter: nil, at: now, in: db)
                outcome = .denied
            case .tokenUnknown(let balanceAfter):
                result = try Self.move(redemption, from: [.intent], to: .tokenUnknown, balanceAfter: balanceAfter, at: now, in: db)
                outcome = .entered
            case .uncertain:
                result = try Self.move(redemption, from: [.intent], to: .uncertain, balanceAfter: nil, at: now, in: db)
                if result == .applied, let (operation, payload) = settle { _ = try Self.insert(operation, payload: payload, at: now, in: db) }
                outcome = .denied  // not known to have paid: a late-applied redeem is refunded by its settle
            }
            if result == .applied { for event in events { try Self.insert(event, at: now, in: db) } }
            try db.execute(sql: "UPDATE admission SET outcome = ?, closed_at = ? WHERE id = ? AND outcome IS NULL",
                           arguments: [result == .applied ? outcome.rawValue : AdmissionOutcome.cancelled.rawValue, now, admission])
            return result
        }
    }
}
