import GateCore
import GateStore
import Logging

/// The journal as the lanes see it: every call goes to the database, and every event is also
/// logged (codes masked), counted in the metrics and broadcast to live observers.
///
/// One place for "every admission step is a row in the journal, an event and a log line"
/// (SPEC §7), so the engine stays free of logging and metrics.
public struct ObservedJournal: AdmissionJournal {
    public let database: GateDatabase
    let events: Broadcast<GateEvent>
    let metrics: GateMetrics
    let logger: Logger

    public func openAdmission(lane: String) async throws -> Int64 { try await timed { try await database.openAdmission(lane: lane) } }

    public func closeAdmission(_ id: Int64, outcome: AdmissionOutcome) async throws {
        try await timed { try await database.closeAdmission(id, outcome: outcome) }
    }

    public func recordIntent(_ intent: RedemptionIntent) async throws -> Int64 { try await timed { try await database.recordIntent(intent) } }

    public func recordRedeemed(_ redemption: Int64, token: String, balanceAfter: Money) async throws {
        try await timed { try await database.recordRedeemed(redemption, token: token, balanceAfter: balanceAfter) }
    }

    public func updateRedemption(_ redemption: Int64, state: RedemptionState, balanceAfter: Money?) async throws {
        try await timed { try await database.updateRedemption(redemption, state: state, balanceAfter: balanceAfter) }
    }

    public func redemption(reference: String) async throws -> StoredRedemption? {
        try await database.redemption(reference: reference)
    }

    public func unsettledRedemptions() async throws -> [StoredRedemption] { try await database.unsettledRedemptions() }

    public func append(_ event: GateEvent) async throws {
        try await timed { try await database.append(event) }
        observe(event)
    }

    /// Logs, counts and broadcasts an event already in the database (written by the store in
    /// the same transaction as the change it records, e.g. `outbox_dropped`).
    func observe(_ event: GateEvent) {
        log(event)
        count(event)
        events.send(event)
    }

    public func wasOfflineAdmitted(_ code: VoucherCode) async throws -> Bool { try await database.wasOfflineAdmitted(code) }
    public func isOfflineAdmission(_ id: Int64) async throws -> Bool { try await database.isOfflineAdmission(id) }
    public func rememberOfflineAdmitted(_ code: VoucherCode, admission: Int64) async throws {
        try await timed { try await database.rememberOfflineAdmitted(code, admission: admission) }
    }

    /// Runs one durable write and records how long it took (`journal_write_seconds`).
    private func timed<T>(_ write: () async throws -> T) async throws -> T {
        let clock = ContinuousClock()
        let start = clock.now
        defer { metrics.journalWrite(start.duration(to: clock.now)) }
        return try await write()
    }

    private func log(_ event: GateEvent) {
        var line = "lane \(event.lane): \(event.type.rawValue)"
        if let admission = event.admission { line += " #\(admission)" }
        if let code = event.code { line += " \(VoucherCode.mask(code))" }
        if let amount = event.amountCents { line += " amount \(Money(cents: amount))" }
        if let balance = event.balanceCents { line += " balance \(Money(cents: balance))" }
        if let message = event.message, !message.isEmpty { line += " — \(message)" }
        if event.type.isWarning {
            logger.warning("\(line)")
        } else {
            logger.info("\(line)")
        }
    }

    private func count(_ event: GateEvent) {
        switch event.type {
        case .entered:
            metrics.admission(lane: event.lane, outcome: "entered")
            metrics.entered(lane: event.lane)
        case .cancelled: metrics.admission(lane: event.lane, outcome: "cancelled")
        case .denied: metrics.admission(lane: event.lane, outcome: "denied")
        case .offlineAdmitted: metrics.admission(lane: event.lane, outcome: "offline_admitted")
        case .offlineRedeemFailed: metrics.offlineRedeemFailed(lane: event.lane)
        case .tokenUnknown: metrics.tokenUnknown(lane: event.lane)
        case .cancelFailed: metrics.cancelFailed(lane: event.lane)
        case .manualOpen: metrics.admission(lane: event.lane, outcome: "manual_open")
        case .scannerAttached: metrics.scannerPresent(lane: event.lane, true)
        case .scannerDetached: metrics.scannerPresent(lane: event.lane, false)
        default: break
        }
    }
}
