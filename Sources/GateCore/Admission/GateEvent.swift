/// One journal event (SPEC §7). The journal stamps the time when it writes the row.
public struct GateEvent: Sendable, Equatable {
    public var type: GateEventType
    public var lane: String
    public var admission: Int64?
    /// The canonical code (journal only; logs mask it).
    public var code: String?
    public var amountCents: Int64?
    public var balanceCents: Int64?
    public var message: String?
    /// Where the code of this event entered (SPEC §10): a scanner, the kiosk's keypad or the desk.
    /// Nil for events no entered code caused (a replay, a connectivity change, a reconcile).
    public var source: EntrySource?

    public init(_ type: GateEventType, lane: String, admission: Int64? = nil, code: String? = nil,
                amountCents: Int64? = nil, balanceCents: Int64? = nil, message: String? = nil,
                source: EntrySource? = nil) {
        self.type = type; self.lane = lane; self.admission = admission; self.code = code
        self.amountCents = amountCents; self.balanceCents = balanceCents; self.message = message
        self.source = source
    }
}

/// How a code entered the gate (SPEC §10 `source`).
public enum EntrySource: String, Sendable, Equatable, Codable, CaseIterable {
    /// A barcode/QR scanner of a lane.
    case scanner
    /// Typed on the lane's kiosk keypad.
    case keypad
    /// `voucher redeem --outlet` at the front desk.
    case desk
}

/// Event names exactly as SPEC §7 lists them, plus `cancel_failed` (a cancel e-guma refused for
/// good: the dead-lettered counterpart of `offline_redeem_failed`).
public enum GateEventType: String, Sendable, Equatable, Codable, CaseIterable {
    case scanned, denied
    case awaitingMore = "awaiting_more"
    case redeemed, opened, entered
    case noPassage = "no_passage"
    case cancelled
    case cancelQueued = "cancel_queued"
    case offlineAdmitted = "offline_admitted"
    case offlineRedeemFailed = "offline_redeem_failed"
    /// An offline replay found less on the voucher than the price: it took what there was
    /// (the guide's min(price, balance)); the message says how much is missing.
    case offlineShortfall = "offline_shortfall"
    case tokenUnknown = "token_unknown"
    case scannerAttached = "scanner_attached"
    case scannerDetached = "scanner_detached"
    case manualOpen = "manual_open"
    case cancelFailed = "cancel_failed"
    /// An uncertain redeem's re-check found the balance moved by an amount that is neither the
    /// redeem nor nothing: whether it took effect is an operator question (issue 12 item 1).
    case settleUnclear = "settle_unclear"
    /// An offline admission was refused by a bound (`offline_max_admissions`,
    /// `offline_max_per_hour`, `offline_known_only`): the message names which one.
    case offlineLimit = "offline_limit"
    /// The journal of an outlet and e-guma's redemption list agree for a window (issue 14). The
    /// lane field holds `outlet:NAME`, the message the window.
    case reconciled
    /// They disagree: the message lists what (missing at e-guma, unknown to the gate, amounts).
    case reconcileMismatch = "reconcile_mismatch"
    /// No verdict: e-guma's answer could not be read (issue 25); nothing was compared, the day stays open.
    case reconcileNoVerdict = "reconcile_no_verdict"
    /// The code-guessing guard paused the lane; `lane_unlocked` when the pause ends.
    case laneLocked = "lane_locked"
    case laneUnlocked = "lane_unlocked"
    /// e-guma became unreachable / reachable again (lane "gate"; the reason in the message).
    case offline, online
    /// An operator dropped an outbox entry by hand (who and why in the message).
    case outboxDropped = "outbox_dropped"
    /// A scan during an emergency hold: recorded, nothing charged.
    case emergencyScan = "emergency_scan"
    /// Staff voided an admission (`admission void`): who and why in the message; its cancels
    /// follow as `cancel_queued` / `cancelled` (issue 25).
    case admissionVoided = "admission_voided"
    /// A guest's receipt could not be printed (paper out, printer offline or missing); the guest
    /// was admitted all the same.
    case printerFailed = "printer_failed"
    /// The fleet's PostgreSQL became unreachable / reachable again (lane "gate"; SPEC §10):
    /// shipping waits meanwhile, admissions go on as without a fleet.
    case fleetUnreachable = "fleet_unreachable"
    case fleetReachable = "fleet_reachable"
    /// The code was admitted offline at another gate of the site (SPEC §10).
    case offlineClaimDenied = "offline_claim_denied"

    /// Events an operator must act on (logged as warnings).
    public var needsOperator: Bool {
        self == .offlineRedeemFailed || self == .offlineShortfall || self == .tokenUnknown || self == .cancelFailed || self == .settleUnclear
            || self == .offlineLimit || self == .reconcileMismatch || self == .laneLocked || self == .printerFailed
    }

    /// Events logged at warning: those an operator must act on, and changes of the gate's state
    /// an operator must be able to find later (connectivity, work dropped by hand).
    public var isWarning: Bool {
        needsOperator || self == .offline || self == .online || self == .outboxDropped || self == .admissionVoided || self == .reconcileNoVerdict
            || self == .fleetUnreachable || self == .fleetReachable
    }
}
