/// A port: the durable journal of admissions, redemptions and events (SPEC §3.4, §7, §8).
///
/// Every call returns only after the write is durable: the engine commits a redeem intent
/// *before* the Redeem call and the token right after the answer, so that a crash at any point
/// leaves enough on disk to settle the money afterwards.
public protocol AdmissionJournal: Sendable {
    /// Records how an admission ended.
    func closeAdmission(_ id: Int64, outcome: AdmissionOutcome) async throws
    /// Settles a redemption: moves it to `state` only if it is still in one of `from`, and appends
    /// `event` in the same transaction. Returns false (and writes nothing) when it was not — another
    /// worker or an earlier run settled it — so an operator event is raised once per redemption.
    func settleRedemption(_ redemption: Int64, from: Set<RedemptionState>, to state: RedemptionState,
                          balanceAfter: Money?, event: GateEvent?) async throws -> Bool
    /// How admission `id` ended, nil while it is open.
    func outcome(ofAdmission id: Int64) async throws -> AdmissionOutcome?
    /// The redemption with row id `id`.
    func redemption(id: Int64) async throws -> StoredRedemption?
    /// Remembers that e-guma reported `code` redeemable with `balance` now (`offline_known_only`).
    func rememberVoucherBalance(_ code: VoucherCode, balance: Money) async throws
    /// The balance last seen for `code` if that was within `days` days, else nil.
    func knownBalance(of code: VoucherCode, withinDays days: Int) async throws -> Money?
    /// The redemption recorded under `reference` (an offline replay looks for its own earlier try).
    func redemption(reference: String) async throws -> StoredRedemption?
    /// What a crash left open: redemptions still in `intent` (the process died during the call),
    /// and redemptions still `redeemed` of admissions that were never closed. Only meaningful
    /// before lanes start (otherwise in-flight admissions show up too).
    func unsettledRedemptions() async throws -> [StoredRedemption]
    /// Appends an event to the journal.
    func append(_ event: GateEvent) async throws
    /// Whether `code` was already admitted offline by this gate.
    func wasOfflineAdmitted(_ code: VoucherCode) async throws -> Bool
    /// Whether admission `id` let its guest in offline (its redeem is an outbox replay).
    func isOfflineAdmission(_ id: Int64) async throws -> Bool

    // MARK: The path from scan to relay: at most two durable commits (issue 13)

    /// An id for a new admission on `lane`, without a durable write: the admission is written
    /// with its first durable fact (`beginRedemption`, or `openAdmission(_:lane:scanned:)`). The id
    /// is unique for the life of the database and is the last part of every `reference_number`
    /// of the admission.
    func reserveAdmission(lane: String) async throws -> Int64
    /// Writes a reserved admission with its "scanned" event, in one transaction.
    func openAdmission(_ id: Int64, lane: String, scanned: GateEvent?) async throws
    /// Commit 1 of 2 before the relay: the reserved admission `intent.admission` and its
    /// `scanned` event (when given: the admission is not written yet) with the redeem intent, in
    /// one transaction, before the Redeem call. Returns the redemption's id.
    ///
    /// A lane's intent, guarded: when the outbox holds a pending entry for the voucher (a
    /// settle, cancel or offline redeem), it throws `VoucherBusy` and writes nothing — checked
    /// inside the same transaction, so no other lane or worker can queue one between the check
    /// and the intent (a redeem beside pending work would make that work's evidence ambiguous).
    /// The outbox worker's own intents (offline replays) are written by `OutboxSteps.beginReplay`.
    func beginRedemption(_ intent: RedemptionIntent, scanned: GateEvent?) async throws -> Int64
    /// Commit 2 of 2: the token and new balance with the "redeemed" `event`, in one transaction,
    /// only if the redemption is still in `intent`.
    func recordRedeemed(_ redemption: Int64, token: String, balanceAfter: Money, event: GateEvent) async throws
    /// A split payment's step between two vouchers: commit 2 of voucher k (its token and
    /// "redeemed" event, only from `intent`) and commit 1 of voucher k + 1 (its intent, guarded as
    /// `beginRedemption`) in one transaction; all or nothing — on `VoucherBusy` nothing is written.
    /// Returns the next redemption's id.
    func recordRedeemed(_ redemption: Int64, token: String, balanceAfter: Money, event: GateEvent,
                        thenBegin next: RedemptionIntent) async throws -> Int64
    /// After the relay: closes admission `id` with `events` (e.g. "opened" and "entered", in
    /// order) in one transaction, so a crash can never leave the events without the outcome or
    /// the outcome without the events.
    func closeAdmission(_ id: Int64, outcome: AdmissionOutcome, events: [GateEvent]) async throws
}

/// `beginRedemption` refused a lane's redeem intent: the outbox holds pending work for the
/// voucher (a settle, cancel or offline redeem). Not a journal failure: nothing was written and
/// the journal works; the guest is told the voucher is still being checked.
public struct VoucherBusy: Error, Sendable, CustomStringConvertible {
    public let code: String
    public init(code: String) { self.code = code }
    public var description: String {
        "voucher \(VoucherCode.mask(code)) has pending work in the outbox (a check, cancel or offline redeem) — no new redeem beside it"
    }
}
