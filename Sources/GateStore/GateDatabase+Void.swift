import Foundation
import GateCore
import GRDB

/// What `voidAdmission` did, or why it did nothing.
public enum VoidStep: Sendable, Equatable {
    /// Written in one transaction: the cancels queued (their redemptions `cancel_queued`), the
    /// offline redeem withdrawn, the `admission_voided` event. `waiting` lists every open cancel
    /// entry of the admission — those just queued and any queued before (a void tried again).
    case voided(VoidPlan)
    /// Nothing was written.
    case refused(VoidRefusal)
}

public struct VoidPlan: Sendable, Equatable {
    /// Cancel entries queued by this void.
    public var queued: [Int64]
    /// Open cancel entries of the admission (queued now or before): what the caller drives.
    public var waiting: [Int64]
    /// The offline redeem entry withdrawn: nothing had been taken for it at e-guma.
    public var withdrawn: Int64?
    /// Redemptions that cannot be cancelled by the API (the token is lost): refund by hand.
    public var tokenUnknown: [AdmissionRecord.Redemption]
    /// The event written, nil when this void found only work an earlier one had queued.
    public var event: GateEvent?
}

public enum VoidRefusal: Sendable, Equatable {
    case noSuchAdmission
    /// The admission is still open: a guest at the lane right now, or one cut short that
    /// start-up recovery settles.
    case stillOpen(lane: String)
    /// These redemptions' outcome is not known yet (`intent`, `uncertain`): cancelling now could
    /// give back what was never taken, or miss what was.
    case unsettled([Int64])
    /// Nothing left that the gate could cancel: everything was refused, cancelled already, or
    /// only `token_unknown` redemptions remain (listed: those are refunded by hand).
    case nothingToCancel(tokenUnknown: [AdmissionRecord.Redemption])
}

extension GateDatabase {
    /// `admission void ID`: one money step, one transaction, guarded by the states it reads in
    /// that same transaction (issue 25). Every `redeemed` redemption of the admission gets a
    /// cancel with its stored token queued in the outbox, an offline admission's redeem still
    /// queued is withdrawn, and `admission_voided` records `user` and `reason`. The outbox worker
    /// (the daemon's, or the command's own when no daemon runs) sends the cancels.
    ///
    /// The offline-admitted memory (`offline_admitted`) is kept: the code was admitted offline
    /// once and is not admitted offline again (SPEC §3), voided or not.
    ///
    /// With `redemption` (`voucher cancel --redemption ID`): only that redemption of the admission
    /// is cancelled; an offline admission's queued redeem is then left as it is.
    public func voidAdmission(_ id: Int64, redemption only: Int64? = nil, user: String, reason: String) async throws -> VoidStep {
        try await write { db in
            guard var record = try Self.record(id, in: db) else { return .refused(.noSuchAdmission) }
            if let only {
                record.redemptions = record.redemptions.filter { $0.id == only }
                guard !record.redemptions.isEmpty else { return .refused(.noSuchAdmission) }
                record.queuedRedeem = nil
            }
            guard record.outcome != nil else { return .refused(.stillOpen(lane: record.lane)) }
            let unsettled = record.redemptions.filter { $0.state == .intent || $0.state == .uncertain }.map(\.id)
            guard unsettled.isEmpty else { return .refused(.unsettled(unsettled)) }
            let now = JournalTime.now
            var plan = VoidPlan(queued: [], waiting: [], withdrawn: nil,
                                tokenUnknown: record.redemptions.filter { $0.state == .tokenUnknown }, event: nil)
            var cancelled: [String] = []
            for r in record.redemptions where r.state == .redeemed {
                let order = CancelOrder(lane: record.lane, outlet: r.outlet, admission: id, redemption: r.id, code: r.code,
                                        token: r.token, reference: r.reference, amountCents: r.amountCents,
                                        balanceAfterRedeemCents: r.balanceAfterCents)
                let operation = OutboxOperation.cancel(order)
                let entry = try Self.insert(operation, payload: try Self.payload(operation), at: now, in: db)
                guard try Self.move(r.id, from: [.redeemed], to: .cancelQueued, balanceAfter: nil, at: now, in: db) == .applied else {
                    throw GateStoreError(operation: "void admission #\(id)", reason: "redemption #\(r.id) changed while it was voided",
                                         hint: "run the void again")
                }
                try Self.insert(GateEvent(.cancelQueued, lane: record.lane, admission: id, code: r.code, amountCents: r.amountCents,
                                          message: "voided by \(user)"), at: now, in: db)
                plan.queued.append(entry)
                cancelled.append("\(Money(cents: r.amountCents)) of redemption #\(r.id)")
            }
            if let queued = record.queuedRedeem, queued.state == .pending || queued.state == .dead {
                // Only while no replay intent exists (as `withdraw`): once it does, the redemption
                // row is `intent` or later and was handled above.
                try db.execute(sql: """
                    UPDATE outbox SET state = 'withdrawn', updated_at = ? WHERE id = ? AND state IN ('pending', 'dead')
                      AND NOT EXISTS (SELECT 1 FROM redemption r WHERE r.reference = outbox.reference AND r.state <> 'not_redeemed')
                    """, arguments: [now, queued.entry])
                if db.changesCount == 1 { plan.withdrawn = queued.entry }
            }
            plan.waiting = try Int64.fetchAll(db, sql: """
                SELECT o.id FROM outbox o JOIN redemption r ON r.id = o.redemption
                WHERE o.operation = 'cancel' AND o.state = 'pending' AND r.admission_id = ? AND r.id = COALESCE(?, r.id) ORDER BY o.id
                """, arguments: [id, only])
            guard !plan.queued.isEmpty || plan.withdrawn != nil || !plan.waiting.isEmpty else {
                return .refused(.nothingToCancel(tokenUnknown: plan.tokenUnknown))
            }
            guard !plan.queued.isEmpty || plan.withdrawn != nil else { return .voided(plan) }  // an earlier void's cancels still wait
            var did = cancelled.isEmpty ? [] : ["cancel of " + cancelled.joined(separator: ", ") + " queued"]
            if let entry = plan.withdrawn { did.append("offline redeem (outbox entry #\(entry)) withdrawn: nothing was taken at e-guma") }
            if !plan.tokenUnknown.isEmpty {
                did.append("not cancellable (token unknown, refund by hand): redemption " + plan.tokenUnknown.map { "#\($0.id)" }.joined(separator: ", "))
            }
            let event = GateEvent(.admissionVoided, lane: record.lane, admission: id,
                                  amountCents: record.redemptions.filter { $0.state == .redeemed }.reduce(0) { $0 + $1.amountCents },
                                  message: "voided by \(user): \(reason) — " + did.joined(separator: "; "))
            try Self.insert(event, at: now, in: db)
            plan.event = event
            return .voided(plan)
        }
    }
}

extension GateDatabase {
    /// The admission redemption `id` belongs to; nil when there is no such redemption.
    public func admission(ofRedemption id: Int64) async throws -> Int64? {
        try await writer.read { db in try Int64.fetchOne(db, sql: "SELECT admission_id FROM redemption WHERE id = ?", arguments: [id]) }
    }
}
