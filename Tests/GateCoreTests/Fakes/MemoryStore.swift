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
    let events = Recorder<GateEvent>()
    var failIntents = false

    private func id() -> Int64 { nextID += 1; return nextID }

    func setFailIntents(_ on: Bool) { failIntents = on }
    var redemptions: [StoredRedemption] { redemptionsByID.values.sorted { $0.id < $1.id } }
    func outcome(_ admission: Int64) -> AdmissionOutcome? { admissions[admission] ?? nil }
    func entry(_ id: Int64) -> OutboxEntry? { outbox.first { $0.id == id } }

    func openAdmission(lane: String) async throws -> Int64 {
        let i = id(); admissions[i] = .some(nil); return i
    }
    func closeAdmission(_ id: Int64, outcome: AdmissionOutcome) async throws { admissions[id] = outcome }
    /// Written at once here: the in-memory store has no commits to save.
    func reserveAdmission(lane: String) async throws -> Int64 { try await openAdmission(lane: lane) }
    func recordIntent(_ intent: RedemptionIntent) async throws -> Int64 {
        struct Refused: Error {}
        if failIntents { throw Refused() }
        let i = id()
        redemptionsByID[i] = StoredRedemption(id: i, intent: intent, state: .intent, token: nil, balanceAfter: nil)
        return i
    }
    func recordRedeemed(_ redemption: Int64, token: String, balanceAfter: Money) async throws {
        redemptionsByID[redemption]?.token = token
        redemptionsByID[redemption]?.balanceAfter = balanceAfter
        redemptionsByID[redemption]?.state = .redeemed
    }
    func updateRedemption(_ redemption: Int64, state: RedemptionState, balanceAfter: Money?) async throws {
        redemptionsByID[redemption]?.state = state
        if let balanceAfter { redemptionsByID[redemption]?.balanceAfter = balanceAfter }
    }
    func settleRedemption(_ redemption: Int64, from: Set<RedemptionState>, to state: RedemptionState,
                          balanceAfter: Money?, event: GateEvent?) async throws -> Bool {
        guard let current = redemptionsByID[redemption], from.contains(current.state) else { return false }
        redemptionsByID[redemption]?.state = state
        if let balanceAfter { redemptionsByID[redemption]?.balanceAfter = balanceAfter }
        if let event { events.append(event) }
        return true
    }
    func redemption(id: Int64) async throws -> StoredRedemption? { redemptionsByID[id] }
    func outcome(ofAdmission id: Int64) async throws -> AdmissionOutcome? { outcome(id) }
    func rememberVoucherBalance(_ code: VoucherCode, balance: Money) async throws { known[code.undashed] = balance }
    func knownBalance(of code: VoucherCode, withinDays days: Int) async throws -> Money? { known[code.undashed] }
    func hasPendingSettle(for code: VoucherCode) async throws -> Bool {
        outbox.contains { $0.state == .pending && $0.operation.onlyReads && $0.operation.code.undashed == code.undashed }
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
    func rememberOfflineAdmitted(_ code: VoucherCode, admission: Int64) async throws { offline[code.undashed] = admission }

    @discardableResult
    func enqueue(_ operation: OutboxOperation) async throws -> Int64 {
        let i = id()
        outbox.append(OutboxEntry(id: i, operation: operation, state: .pending, attempts: 0, lastError: nil))
        return i
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
    }
    func markDead(_ id: Int64, error: String) async throws {
        guard let i = outbox.firstIndex(where: { $0.id == id }) else { return }
        outbox[i].attempts += 1; outbox[i].lastError = error; outbox[i].state = .dead
    }
    func retry(_ id: Int64) async throws -> Bool { set(id, .pending, from: [.pending, .dead]) }
    func drop(_ id: Int64) async throws -> Bool { set(id, .withdrawn, from: [.pending, .dead]) }

    private func set(_ id: Int64, _ state: OutboxEntry.State, from: Set<OutboxEntry.State>) -> Bool {
        guard let i = outbox.firstIndex(where: { $0.id == id }), from.contains(outbox[i].state) else { return false }
        outbox[i].state = state
        return true
    }
}
