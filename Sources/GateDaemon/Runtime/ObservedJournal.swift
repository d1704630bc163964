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
    /// Who writes through this value: "lane NAME", or "outbox".
    var part = "outbox"
    let health: JournalHealth
    /// The database file, for messages.
    let file: String

    init(database: GateDatabase, file: String, events: Broadcast<GateEvent>, metrics: GateMetrics, logger: Logger, health: JournalHealth) {
        self.database = database; self.file = file; self.events = events; self.metrics = metrics; self.logger = logger
        self.health = health
    }

    /// The same journal, its failures attributed to one lane.
    func forLane(_ name: String) -> ObservedJournal {
        var copy = self
        copy.part = "lane \(name)"
        return copy
    }

    public func closeAdmission(_ id: Int64, outcome: AdmissionOutcome) async throws {
        try await writing("close admission #\(id)") { try await database.closeAdmission(id, outcome: outcome) }
    }

    public func reserveAdmission(lane: String) async throws -> Int64 { database.reserveAdmission(lane: lane) }

    /// The "scanned" event is logged and broadcast even when it cannot be stored (as `append`).
    public func openAdmission(_ id: Int64, lane: String, scanned: GateEvent?) async throws {
        defer { if let scanned { observe(scanned) } }
        try await writing("open admission #\(id)") { try await database.openAdmission(id, lane: lane, scanned: scanned) }
    }

    /// The "scanned" event is observed only once stored: when this fails, the engine writes it
    /// again with the admission's denial.
    public func beginRedemption(_ intent: RedemptionIntent, scanned: GateEvent?) async throws -> Int64 {
        let redemption = try await writing("record the redeem intent of admission #\(intent.admission)") {
            try await database.beginRedemption(intent, scanned: scanned)
        }
        if let scanned { observe(scanned) }
        return redemption
    }

    public func recordRedeemed(_ redemption: Int64, token: String, balanceAfter: Money, event: GateEvent) async throws {
        defer { observe(event) }
        try await writing("record the redeem token of redemption #\(redemption)") {
            try await database.recordRedeemed(redemption, token: token, balanceAfter: balanceAfter, event: event)
        }
    }

    /// The "redeemed" event is observed only once stored: when this fails, the engine writes the
    /// token again on its own (and observes it then).
    public func recordRedeemed(_ redemption: Int64, token: String, balanceAfter: Money, event: GateEvent,
                               thenBegin next: RedemptionIntent) async throws -> Int64 {
        let id = try await writing("record the redeem token of redemption #\(redemption) and the intent of the next voucher") {
            try await database.recordRedeemed(redemption, token: token, balanceAfter: balanceAfter, event: event, thenBegin: next)
        }
        observe(event)
        return id
    }

    public func closeAdmission(_ id: Int64, outcome: AdmissionOutcome, events: [GateEvent]) async throws {
        defer { for event in events { observe(event) } }
        try await writing("close admission #\(id)") { try await database.closeAdmission(id, outcome: outcome, events: events) }
    }

    public func settleRedemption(_ redemption: Int64, from: Set<RedemptionState>, to state: RedemptionState,
                                 balanceAfter: Money?, event: GateEvent?) async throws -> Bool {
        let changed = try await writing("settle redemption #\(redemption)") {
            try await database.settleRedemption(redemption, from: from, to: state, balanceAfter: balanceAfter, event: event)
        }
        if changed, let event { observe(event) }  // written in the same transaction as the state
        return changed
    }

    public func redemption(id: Int64) async throws -> StoredRedemption? { try await database.redemption(id: id) }

    public func outcome(ofAdmission id: Int64) async throws -> AdmissionOutcome? {
        try await database.outcome(ofAdmission: id)
    }

    public func rememberVoucherBalance(_ code: VoucherCode, balance: Money) async throws {
        try await writing("remember a voucher's balance") { try await database.rememberVoucherBalance(code, balance: balance) }
    }

    public func knownBalance(of code: VoucherCode, withinDays days: Int) async throws -> Money? {
        try await database.knownBalance(of: code, withinDays: days)
    }

    public func redemption(reference: String) async throws -> StoredRedemption? {
        try await database.redemption(reference: reference)
    }

    public func unsettledRedemptions() async throws -> [StoredRedemption] { try await database.unsettledRedemptions() }

    /// The event is logged and sent to live observers even when it cannot be stored: the log
    /// keeps the story of a disk-full hour.
    public func append(_ event: GateEvent) async throws {
        defer { observe(event) }
        try await writing("append a \(event.type.rawValue) event") { try await database.append(event) }
    }

    /// Logs, counts and broadcasts an event (also one already in the database, written by the
    /// store in the same transaction as the change it records, e.g. `outbox_dropped`).
    func observe(_ event: GateEvent) {
        log(event)
        count(event)
        events.send(event)
    }

    public func wasOfflineAdmitted(_ code: VoucherCode) async throws -> Bool { try await database.wasOfflineAdmitted(code) }
    public func isOfflineAdmission(_ id: Int64) async throws -> Bool { try await database.isOfflineAdmission(id) }

    /// Every journal write goes through here: a failure is logged at error, counted and marks
    /// this part out of order; the next success puts it back in service. The caller still gets
    /// the error and decides what it means (the engine denies the admission "out of order").
    func writing<T>(_ operation: String, _ write: () async throws -> T) async throws -> T {
        let clock = ContinuousClock()
        let start = clock.now
        // How long durable writes take (`journal_write_seconds`), failed ones included.
        defer { metrics.journalWrite(start.duration(to: clock.now)) }
        do {
            let result = try await write()
            if health.worked(part) {
                logger.notice("\(part): the journal can be written again — back in service")
            }
            return result
        } catch let refused as VoucherBusy {
            throw refused  // a guarded write that wrote nothing on purpose: the journal works
        } catch {
            metrics.journalWriteFailed(part: part)
            let newly = health.failed(part, reason: "\(error)")
            logger.error("\(part): cannot \(operation) in the journal \(file): \(error) — \(newly ? "out of order: " : "still ")refusing new admissions until the journal can be written (disk full? free space on its disk)")
            throw error
        }
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
        case .offlineShortfall: metrics.moneyProblem(lane: event.lane, kind: event.type.rawValue)
        case .offlineLimit: metrics.offlineLimit(lane: event.lane)
        case .tokenUnknown:
            metrics.tokenUnknown(lane: event.lane)
            metrics.moneyProblem(lane: event.lane, kind: event.type.rawValue)
        case .cancelFailed:
            metrics.cancelFailed(lane: event.lane)
            metrics.moneyProblem(lane: event.lane, kind: event.type.rawValue)
        case .settleUnclear: metrics.moneyProblem(lane: event.lane, kind: event.type.rawValue)
        case .manualOpen: metrics.admission(lane: event.lane, outcome: "manual_open")
        case .reconcileMismatch: metrics.reconcileMismatch(outlet: event.lane)
        case .scannerAttached: metrics.scannerPresent(lane: event.lane, true)
        case .scannerDetached: metrics.scannerPresent(lane: event.lane, false)
        case .laneLocked: metrics.laneLocked(lane: event.lane, true)
        case .laneUnlocked: metrics.laneLocked(lane: event.lane, false)
        default: break
        }
    }
}
