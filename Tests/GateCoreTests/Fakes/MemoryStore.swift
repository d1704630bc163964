import GateCore
import TestSupport

/// An in-memory journal and outbox for pure engine tests.
actor MemoryStore: AdmissionJournal, OutboxStore {
    private(set) var admissions: [Int64: AdmissionOutcome?] = [:]
    private(set) var redemptionsByID: [Int64: StoredRedemption] = [:]
    private(set) var outbox: [OutboxEntry] = []
    private var offline: [String: Int64] = [:]
    private var known: [String: Money] = [:]
    private var nextID: Int64 = 0
    /// When each redemption and outbox entry (one id space) was last created or changed, as a
    /// sequence number: what `otherActivity` compares.
    private var touchedAt: [Int64: Int64] = [:]
    private var ticks: Int64 = 0
    private var intentAt: [Int64: Int64] = [:]
    let events = Recorder<GateEvent>()
    var failIntents = false

    private func id() -> Int64 { nextID += 1; return nextID }
    private func touch(_ id: Int64) { ticks += 1; touchedAt[id] = ticks }

    func setFailIntents(_ on: Bool) { failIntents = on }
    struct Refused: Error {}
    /// The outbox refuses to queue (a full disk).
    var failEnqueue = false
    func setFailEnqueue(_ on: Bool) { failEnqueue = on }
    /// Reading an admission's outcome fails (a damaged or locked journal).
    var failOutcomeReads = false
    func setFailOutcomeReads(_ on: Bool) { failOutcomeReads = on }
    var redemptions: [StoredRedemption] { redemptionsByID.values.sorted { $0.id < $1.id } }
    func outcome(_ admission: Int64) -> AdmissionOutcome? { admissions[admission] ?? nil }
    func entry(_ id: Int64) -> OutboxEntry? { outbox.first { $0.id == id } }

    func openAdmission(lane: String) async throws -> Int64 {
        let i = id(); admissions[i] = .some(nil); return i
    }
    /// Closing an admission fails (a full disk).
    var failClosings = false
    func setFailClosings(_ on: Bool) { failClosings = on }
    func closeAdmission(_ id: Int64, outcome: AdmissionOutcome) async throws {
        if failClosings { throw Refused() }
        admissions[id] = outcome
    }
    private(set) var pendingReads = 0
    private var pendingReadWaiters: [CheckedContinuation<Void, Never>] = []
    /// Returns once `hasPendingEntry` has been read at least once.
    func awaitPendingEntryRead() async {
        if pendingReads > 0 { return }
        await withCheckedContinuation { pendingReadWaiters.append($0) }
    }
    /// Guarded like the database's: pending outbox work for the code refuses the intent.
    func beginRedemption(_ intent: RedemptionIntent, scanned: GateEvent?) async throws -> Int64 {
        if try await hasPendingEntry(for: intent.code) { throw VoucherBusy(code: intent.code.text) }
        let redemption = try await recordIntent(intent)
        if let scanned { try await append(scanned) }
        return redemption
    }
    /// Written at once here: the in-memory store has no commits to save.
    func reserveAdmission(lane: String) async throws -> Int64 { try await openAdmission(lane: lane) }
    func recordIntent(_ intent: RedemptionIntent) async throws -> Int64 {
        if failIntents { throw Refused() }
        let i = id()
        redemptionsByID[i] = StoredRedemption(id: i, intent: intent, state: .intent, token: nil, balanceAfter: nil)
        touch(i); intentAt[i] = ticks
        return i
    }
    func recordRedeemed(_ redemption: Int64, token: String, balanceAfter: Money) async throws {
        touch(redemption)
        redemptionsByID[redemption]?.token = token
        redemptionsByID[redemption]?.balanceAfter = balanceAfter
        redemptionsByID[redemption]?.state = .redeemed
    }
    /// The separate writes the database makes in one transaction (no commits to save here).
    func openAdmission(_ id: Int64, lane: String, scanned: GateEvent?) async throws {
        if let scanned { try await append(scanned) }
    }
    func recordRedeemed(_ redemption: Int64, token: String, balanceAfter: Money, event: GateEvent) async throws {
        try await recordRedeemed(redemption, token: token, balanceAfter: balanceAfter)
        try await append(event)
    }
    /// All or nothing, as the database's one transaction: the next voucher's guard first.
    func recordRedeemed(_ redemption: Int64, token: String, balanceAfter: Money, event: GateEvent,
                        thenBegin next: RedemptionIntent) async throws -> Int64 {
        if try await hasPendingEntry(for: next.code) { throw VoucherBusy(code: next.code.text) }
        try await recordRedeemed(redemption, token: token, balanceAfter: balanceAfter, event: event)
        return try await beginRedemption(next, scanned: nil)
    }
    func closeAdmission(_ id: Int64, outcome: AdmissionOutcome, events: [GateEvent]) async throws {
        try await closeAdmission(id, outcome: outcome)
        for event in events { try await append(event) }
    }
    func settleRedemption(_ redemption: Int64, from: Set<RedemptionState>, to state: RedemptionState,
                          balanceAfter: Money?, event: GateEvent?) async throws -> Bool {
        guard let current = redemptionsByID[redemption], from.contains(current.state) else { return false }
        touch(redemption)
        redemptionsByID[redemption]?.state = state
        if let balanceAfter { redemptionsByID[redemption]?.balanceAfter = balanceAfter }
        if let event { events.append(event) }
        return true
    }
    func redemption(id: Int64) async throws -> StoredRedemption? { redemptionsByID[id] }
    func outcome(ofAdmission id: Int64) async throws -> AdmissionOutcome? {
        if failOutcomeReads { throw Refused() }
        return outcome(id)
    }
    func rememberVoucherBalance(_ code: VoucherCode, balance: Money) async throws { known[code.undashed] = balance }
    func knownBalance(of code: VoucherCode, withinDays days: Int) async throws -> Money? { known[code.undashed] }
    func hasPendingEntry(for code: VoucherCode) async throws -> Bool {
        pendingReads += 1
        for waiter in pendingReadWaiters { waiter.resume() }
        pendingReadWaiters = []
        return outbox.contains { $0.state == .pending && $0.operation.code.undashed == code.undashed }
    }
    func redemption(reference: String) async throws -> StoredRedemption? {
        redemptions.last { $0.intent.reference == reference }
    }
    func unsettledRedemptions() async throws -> [StoredRedemption] {
        redemptions.filter { $0.state == .intent || ($0.state == .redeemed && (admissions[$0.intent.admission] ?? nil) == nil) }
    }
    func append(_ event: GateEvent) async throws { events.append(event) }
    func wasOfflineAdmitted(_ code: VoucherCode) async throws -> Bool { offline[code.undashed] != nil }
    func isOfflineAdmission(_ id: Int64) async throws -> Bool { offline.values.contains(id) }

    @discardableResult
    func enqueue(_ operation: OutboxOperation) async throws -> Int64 {
        struct Full: Error {}
        if failEnqueue { throw Full() }
        let i = id()
        outbox.append(OutboxEntry(id: i, operation: operation, state: .pending, attempts: 0, lastError: nil))
        touch(i)
        return i
    }
    @discardableResult
    func queueCancel(_ order: CancelOrder) async throws -> Int64 {
        let id = try await enqueue(.cancel(order))
        if let r = order.redemption, redemptionsByID[r]?.state == .redeemed {
            touch(r)
            redemptionsByID[r]?.state = .cancelQueued
        }
        return id
    }
    func withdraw(_ id: Int64) async throws -> Bool {
        guard case .offlineRedeem(let o)? = entry(id)?.operation,
              !redemptions.contains(where: { $0.intent.reference == o.reference && $0.state != .notRedeemed }) else { return false }
        return set(id, .withdrawn, from: [.pending])
    }
    func isPending(_ id: Int64) async throws -> Bool { entry(id)?.state == .pending }
    func pendingEntries() async throws -> [OutboxEntry] { outbox.filter { $0.state == .pending } }
    func openEntries() async throws -> [OutboxEntry] { outbox.filter { $0.state == .pending || $0.state == .dead } }
    func markDone(_ id: Int64) async throws { _ = set(id, .done, from: [.pending]) }
    func markRetry(_ id: Int64, error: String, delay: Duration) async throws {
        guard let i = outbox.firstIndex(where: { $0.id == id }) else { return }
        outbox[i].attempts += 1; outbox[i].lastError = error; outbox[i].dueIn = delay
        touch(id)
    }
    func markDead(_ id: Int64, error: String) async throws {
        guard let i = outbox.firstIndex(where: { $0.id == id }) else { return }
        outbox[i].attempts += 1; outbox[i].lastError = error; outbox[i].state = .dead
        touch(id)
    }
    func retry(_ id: Int64) async throws -> Bool { set(id, .pending, from: [.pending, .dead]) }
    func drop(_ id: Int64) async throws -> Bool { set(id, .withdrawn, from: [.pending, .dead]) }
    func otherActivity(on code: VoucherCode, after redemption: Int64) async throws -> Bool {
        guard let me = redemptionsByID[redemption], let since = intentAt[redemption] else { return true }
        let recent = { (id: Int64) in (self.touchedAt[id] ?? 0) >= since }
        if redemptions.contains(where: { $0.id != redemption && $0.intent.code.undashed == code.undashed && recent($0.id) }) {
            return true
        }
        return outbox.contains { e in
            guard e.operation.code.undashed == code.undashed, recent(e.id) else { return false }
            switch e.operation {
            case .settle(let o): return o.redemption != redemption && o.replay?.reference != me.intent.reference
            case .cancel(let o): return o.redemption != redemption && o.reference != me.intent.reference
            case .offlineRedeem(let o): return o.reference != me.intent.reference
            }
        }
    }

    private func set(_ id: Int64, _ state: OutboxEntry.State, from: Set<OutboxEntry.State>) -> Bool {
        guard let i = outbox.firstIndex(where: { $0.id == id }), from.contains(outbox[i].state) else { return false }
        outbox[i].state = state
        touch(id)
        return true
    }

    // MARK: Money steps: each one actor call (nothing can come between its parts)

    /// Moves a redemption from one of `from` to `state`; `stale` (nothing changed) otherwise.
    private func move(_ redemption: Int64, from: Set<RedemptionState>, to state: RedemptionState, balanceAfter: Money?) -> StepResult {
        guard let current = redemptionsByID[redemption], from.contains(current.state) else { return .stale }
        touch(redemption)
        redemptionsByID[redemption]?.state = state
        if let balanceAfter { redemptionsByID[redemption]?.balanceAfter = balanceAfter }
        return .applied
    }

    func deferToSettle(_ order: SettleOrder, closing entry: Int64?) async throws -> StepResult {
        if failEnqueue { throw Refused() }
        let result = move(order.redemption, from: [.intent], to: .uncertain, balanceAfter: nil)
        if result == .applied { try await enqueue(.settle(order)) }
        if let entry { _ = set(entry, .done, from: [.pending]) }
        return result
    }

    func queueOfflineRedeem(_ order: OfflineRedeemOrder) async throws -> Int64 {
        let id = try await enqueue(.offlineRedeem(order))
        offline[VoucherCode(unchecked: order.code).undashed] = order.admission
        return id
    }

    func completeCancel(entry: Int64, redemption: Int64?, balanceAfter: Money, event: GateEvent) async throws -> StepResult {
        var result = StepResult.applied
        if let redemption { result = move(redemption, from: [.redeemed, .cancelQueued], to: .cancelled, balanceAfter: balanceAfter) }
        events.append(event)
        _ = set(entry, .done, from: [.pending])
        return result
    }

    func deadLetter(entry: Int64, error: String, event: GateEvent) async throws {
        try await markDead(entry, error: error)
        events.append(event)
    }

    func beginReplay(entry: Int64, intent: RedemptionIntent) async throws -> ReplayStart {
        guard self.entry(entry)?.state == .pending else { return .notPending }
        return .begun(redemption: try await recordIntent(intent))
    }

    func completeReplay(entry: Int64, redemption: Int64, token: String, balanceAfter: Money, events: [GateEvent]) async throws -> StepResult {
        let result = move(redemption, from: [.intent], to: .redeemed, balanceAfter: balanceAfter)
        if result == .applied {
            redemptionsByID[redemption]?.token = token
            for event in events { self.events.append(event) }
        }
        _ = set(entry, .done, from: [.pending])
        return result
    }

    func replayNotApplied(entry: Int64, redemption: Int64, then next: EntryNext) async throws {
        _ = move(redemption, from: [.intent], to: .notRedeemed, balanceAfter: nil)
        switch next {
        case .retry(let error, let delay): try await markRetry(entry, error: error, delay: delay)
        case .dead(let error, let event): try await deadLetter(entry: entry, error: error, event: event)
        }
    }

    func settleApplied(entry: Int64?, redemption: Int64, balanceAfter: Money?, event: GateEvent) async throws -> StepResult {
        let result = move(redemption, from: [.intent, .uncertain], to: .tokenUnknown, balanceAfter: balanceAfter)
        if result == .applied { events.append(event) }
        if let entry { _ = set(entry, .done, from: [.pending]) }
        return result
    }

    func settleNotApplied(entry: Int64, redemption: Int64, balanceAfter: Money?, replay: OfflineRedeemOrder?) async throws -> StepResult {
        if failEnqueue, replay != nil { throw Refused() }
        let result = move(redemption, from: [.intent, .uncertain], to: .notRedeemed, balanceAfter: balanceAfter)
        if result == .applied, let replay { try await enqueue(.offlineRedeem(replay)) }
        _ = set(entry, .done, from: [.pending])
        return result
    }

    func queueInterruptedCancel(_ order: CancelOrder, event: GateEvent) async throws -> Int64 {
        let id = try await queueCancel(order)
        events.append(event)
        let unsettled = redemptions.contains {
            $0.intent.admission == order.admission && ($0.state == .intent || $0.state == .redeemed)
        }
        if !unsettled, admissions[order.admission] == .some(nil) { admissions[order.admission] = .cancelled }
        return id
    }
}
