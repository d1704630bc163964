import Foundation
import GateCore
import GRDB

/// The outbox worker's money steps (`OutboxSteps`), each one transaction through `write`: where
/// any of its statements fails, the whole step is rolled back and the caller retries it.
extension GateDatabase: OutboxSteps {
    public func completeCancel(entry: Int64, redemption: Int64?, balanceAfter: Money, event: GateEvent) async throws -> StepResult {
        try await write { db in
            let now = JournalTime.now
            var result = StepResult.applied
            if let redemption {
                result = try Self.move(redemption, from: [.redeemed, .cancelQueued], to: .cancelled,
                                       balanceAfter: balanceAfter, at: now, in: db)
            }
            try Self.insert(event, at: now, in: db)  // the money came back either way
            try Self.closeEntry(entry, as: .done, at: now, in: db)
            return result
        }
    }

    public func deadLetter(entry: Int64, error: String, event: GateEvent) async throws {
        try await write { db in
            let now = JournalTime.now
            try Self.deadEntry(entry, error: error, at: now, in: db)
            try Self.insert(event, at: now, in: db)
        }
    }

    public func beginReplay(entry: Int64, intent: RedemptionIntent) async throws -> ReplayStart {
        try await write { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM outbox WHERE id = ? AND state = 'pending')",
                                    arguments: [entry]) == true else { return .notPending }
            return .begun(redemption: try Self.insertIntent(intent, at: JournalTime.now, in: db))
        }
    }

    public func completeReplay(entry: Int64, redemption: Int64, token: String, balanceAfter: Money,
                               events: [GateEvent]) async throws -> StepResult {
        try await write { db in
            let now = JournalTime.now
            try db.cachedStatement(sql: """
                UPDATE redemption SET token = ?, balance_after_cents = ?, state = 'redeemed', updated_at = ?
                WHERE id = ? AND state = 'intent'
                """).execute(arguments: [token, balanceAfter.cents, now, redemption])
            let result: StepResult = db.changesCount == 1 ? .applied : .stale
            if result == .applied { for event in events { try Self.insert(event, at: now, in: db) } }
            try Self.closeEntry(entry, as: .done, at: now, in: db)
            return result
        }
    }

    public func replayNotApplied(entry: Int64, redemption: Int64, then next: EntryNext) async throws {
        try await write { db in
            let now = JournalTime.now
            _ = try Self.move(redemption, from: [.intent], to: .notRedeemed, balanceAfter: nil, at: now, in: db)
            switch next {
            case .retry(let error, let delay):
                try Self.retryEntry(entry, error: error, delay: delay, at: now, in: db)
            case .dead(let error, let event):
                try Self.deadEntry(entry, error: error, at: now, in: db)
                try Self.insert(event, at: now, in: db)
            }
        }
    }

    public func deferToSettle(_ order: SettleOrder, closing entry: Int64?) async throws -> StepResult {
        let operation = OutboxOperation.settle(order)
        let payload = try Self.payload(operation)
        return try await write { db in
            let now = JournalTime.now
            let result = try Self.move(order.redemption, from: [.intent], to: .uncertain, balanceAfter: nil, at: now, in: db)
            if result == .applied { _ = try Self.insert(operation, payload: payload, at: now, in: db) }
            if let entry { try Self.closeEntry(entry, as: .done, at: now, in: db) }
            return result
        }
    }

    public func settleApplied(entry: Int64?, redemption: Int64, balanceAfter: Money?, event: GateEvent) async throws -> StepResult {
        try await write { db in
            let now = JournalTime.now
            let result = try Self.move(redemption, from: [.intent, .uncertain], to: .tokenUnknown,
                                       balanceAfter: balanceAfter, at: now, in: db)
            if result == .applied { try Self.insert(event, at: now, in: db) }
            if let entry { try Self.closeEntry(entry, as: .done, at: now, in: db) }
            return result
        }
    }

    public func settleNotApplied(entry: Int64, redemption: Int64, balanceAfter: Money?,
                                 replay: OfflineRedeemOrder?) async throws -> StepResult {
        let again = replay.map { OutboxOperation.offlineRedeem($0) }
        let payload = try again.map(Self.payload)
        return try await write { db in
            let now = JournalTime.now
            let result = try Self.move(redemption, from: [.intent, .uncertain], to: .notRedeemed,
                                       balanceAfter: balanceAfter, at: now, in: db)
            if result == .applied, let again, let payload { _ = try Self.insert(again, payload: payload, at: now, in: db) }
            try Self.closeEntry(entry, as: .done, at: now, in: db)
            return result
        }
    }

    @discardableResult
    public func queueInterruptedCancel(_ order: CancelOrder, event: GateEvent) async throws -> Int64 {
        try await queue(.cancel(order)) { db, now in
            try Self.markCancelQueued(order, at: now, in: db)
            try Self.insert(event, at: now, in: db)
            // Closed only once nothing else of the admission is unsettled (another voucher of a
            // split payment still `redeemed` keeps it open for its own cancel).
            try db.execute(sql: """
                UPDATE admission SET outcome = ?, closed_at = ? WHERE id = ? AND outcome IS NULL
                  AND NOT EXISTS (SELECT 1 FROM redemption WHERE admission_id = ? AND state IN ('intent', 'redeemed'))
                """, arguments: [AdmissionOutcome.cancelled.rawValue, now, order.admission, order.admission])
        }
    }

    // MARK: The statements the steps are made of

    /// Moves a redemption to `state` only from one of `from`; `stale` (nothing written) otherwise.
    static func move(_ redemption: Int64, from: [RedemptionState], to state: RedemptionState, balanceAfter: Money?,
                     at now: JournalTime, in db: Database) throws -> StepResult {
        let placeholders = Array(repeating: "?", count: from.count).joined(separator: ", ")
        var arguments: StatementArguments = [state.rawValue, balanceAfter?.cents, now, redemption]
        arguments += StatementArguments(from.map(\.rawValue))
        try db.execute(sql: """
            UPDATE redemption SET state = ?, balance_after_cents = COALESCE(?, balance_after_cents), updated_at = ?
            WHERE id = ? AND state IN (\(placeholders))
            """, arguments: arguments)
        return db.changesCount == 1 ? .applied : .stale
    }

    /// Ends a pending entry (`done`, `withdrawn`); one no longer pending is left as it is.
    static func closeEntry(_ entry: Int64, as state: OutboxEntry.State, at now: JournalTime, in db: Database) throws {
        try db.execute(sql: "UPDATE outbox SET state = ?, updated_at = ? WHERE id = ? AND state = 'pending'",
                       arguments: [state.rawValue, now, entry])
    }

    /// A pending entry stops: retrying cannot fix it.
    static func deadEntry(_ entry: Int64, error: String, at now: JournalTime, in db: Database) throws {
        try db.execute(sql: """
            UPDATE outbox SET state = 'dead', attempts = attempts + 1, last_error = ?, updated_at = ?
            WHERE id = ? AND state = 'pending'
            """, arguments: [error, now, entry])
    }

    /// One more failed attempt of a pending entry, due again after `delay`.
    static func retryEntry(_ entry: Int64, error: String, delay: Duration, at now: JournalTime, in db: Database) throws {
        let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
        try db.execute(sql: """
            UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, updated_at = ?
            WHERE id = ? AND state = 'pending'
            """, arguments: [error, now.adding(seconds: seconds), now, entry])
    }
}
