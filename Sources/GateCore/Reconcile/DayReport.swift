import Foundation

/// The figures of `eguma-gate report` for one window, per lane and in total, computed from
/// journal rows only (pure: the store reads, this counts).
///
/// Definitions (docs/operations.md):
/// - entries: admissions that ended `entered` or `offline_entered`;
/// - revenue: amounts still charged at e-guma — redemptions `redeemed` or `token_unknown`
///   (cancelled and cancel-queued ones are not revenue);
/// - vouchers used: distinct codes with a charge; split payments: admissions paid by more than
///   one charged redemption;
/// - denials by reason: `denied` events by their message;
/// - cancels: `cancelled` events, immediate (at the gate) or from the outbox (the admission had a
///   `cancel_queued` first);
/// - offline: `offline_admitted` events and how their replays ended (paid, failed, pending);
/// - manual opens: `manual_open` events; emergency opens: those whose reason names the emergency.
public struct DayReport: Sendable, Equatable {
    /// How an `offline_admitted` event's message starts when no fleet claim backs it (SPEC §10
    /// `offline_without_fleet = "local"`); the report counts those as `offline_unclaimed`.
    public static let unclaimedMark = "unclaimed:"
    public struct Figures: Sendable, Equatable {
        public var entries = 0
        public var revenueCents: Int64 = 0
        public var vouchersUsed = 0
        public var splitPayments = 0
        public var denied = 0
        public var deniedByReason: [String: Int] = [:]
        public var cancels = 0
        public var cancelsImmediate = 0
        public var cancelsFromOutbox = 0
        public var offlineAdmissions = 0
        public var offlineReplaysPaid = 0
        public var offlineReplaysFailed = 0
        public var offlineReplaysPending = 0
        /// Offline replays that found less than the price (`offline_shortfall`), and what was missing.
        public var offlineShortfalls = 0
        public var offlineShortfallCents: Int64 = 0
        /// Offline admissions let in without a fleet claim (PostgreSQL unreachable,
        /// `offline_without_fleet = "local"`): another door may have admitted the same code.
        public var offlineUnclaimed = 0
        public var tokenUnknown = 0
        public var manualOpens = 0
        public var emergencyOpens = 0

        public init() {}
    }

    /// Lane name → figures, for every lane with anything in the window (and every lane asked for).
    public var lanes: [String: Figures]
    public var total: Figures

    public init(admissions: [ReportAdmission], redemptions: [JournalRedemptionRow], events: [ReportEvent],
                lanes laneNames: [String] = []) {
        var lanes: [String: Figures] = [:]
        for name in laneNames { lanes[name] = Figures() }
        func bump(_ lane: String, _ change: (inout Figures) -> Void) { change(&lanes[lane, default: Figures()]) }

        for a in admissions where a.outcome == .entered || a.outcome == .offlineEntered {
            bump(a.lane) { $0.entries += 1 }
        }
        let charged = redemptions.filter { $0.state == .redeemed || $0.state == .tokenUnknown }
        var codes: [String: Set<String>] = [:]
        var perAdmission: [Int64: (lane: String, count: Int)] = [:]
        for r in charged {
            bump(r.lane) { $0.revenueCents += r.amountCents }
            codes[r.lane, default: []].insert(r.code)
            perAdmission[r.admission, default: (r.lane, 0)].count += 1
        }
        for (lane, set) in codes { bump(lane) { $0.vouchersUsed = set.count } }
        for (_, a) in perAdmission where a.count > 1 { bump(a.lane) { $0.splitPayments += 1 } }

        let queued = Set(events.filter { $0.type == .cancelQueued }.compactMap(\.admission))
        let offlineAdmissionIDs = Set(events.filter { $0.type == .offlineAdmitted }.compactMap(\.admission))
        var failedOffline: Set<Int64> = []
        for e in events {
            switch e.type {
            case .denied:
                let reason = e.message?.trimmingCharacters(in: .whitespacesAndNewlines).nonEmpty ?? "(no reason)"
                bump(e.lane) { $0.denied += 1; $0.deniedByReason[reason, default: 0] += 1 }
            case .cancelled:
                let fromOutbox = e.admission.map(queued.contains) ?? false
                bump(e.lane) { $0.cancels += 1; if fromOutbox { $0.cancelsFromOutbox += 1 } else { $0.cancelsImmediate += 1 } }
            case .offlineAdmitted:
                let unclaimed = e.message?.hasPrefix(Self.unclaimedMark) == true
                bump(e.lane) { $0.offlineAdmissions += 1; if unclaimed { $0.offlineUnclaimed += 1 } }
            case .offlineRedeemFailed:
                if let a = e.admission { failedOffline.insert(a) }
            case .offlineShortfall: bump(e.lane) { $0.offlineShortfalls += 1; $0.offlineShortfallCents += e.amountCents ?? 0 }
            case .tokenUnknown: bump(e.lane) { $0.tokenUnknown += 1 }
            case .manualOpen:
                let emergency = e.message?.localizedCaseInsensitiveContains("emergency") ?? false
                bump(e.lane) { $0.manualOpens += 1; if emergency { $0.emergencyOpens += 1 } }
            default: break
            }
        }
        let paidOffline = Set(charged.map(\.admission)).intersection(offlineAdmissionIDs)
        let laneOf = Dictionary(events.filter { $0.type == .offlineAdmitted }.compactMap { e in e.admission.map { ($0, e.lane) } },
                                uniquingKeysWith: { first, _ in first })
        for id in offlineAdmissionIDs {
            guard let lane = laneOf[id] else { continue }
            if paidOffline.contains(id) { bump(lane) { $0.offlineReplaysPaid += 1 } }
            else if failedOffline.contains(id) { bump(lane) { $0.offlineReplaysFailed += 1 } }
            else { bump(lane) { $0.offlineReplaysPending += 1 } }
        }

        var total = Figures()
        for f in lanes.values { total.add(f) }
        // A voucher used on two lanes is one voucher.
        total.vouchersUsed = Set(charged.map(\.code)).count
        self.lanes = lanes
        self.total = total
    }

    /// Keeps one lane (the others are dropped; the total is that lane's).
    public func only(lane: String) -> DayReport {
        var copy = self
        let figures = lanes[lane] ?? Figures()
        copy.lanes = [lane: figures]
        copy.total = figures
        return copy
    }
}

extension DayReport.Figures {
    mutating func add(_ o: DayReport.Figures) {
        entries += o.entries; revenueCents += o.revenueCents; vouchersUsed += o.vouchersUsed
        splitPayments += o.splitPayments; denied += o.denied
        deniedByReason.merge(o.deniedByReason, uniquingKeysWith: +)
        cancels += o.cancels; cancelsImmediate += o.cancelsImmediate; cancelsFromOutbox += o.cancelsFromOutbox
        offlineAdmissions += o.offlineAdmissions; offlineReplaysPaid += o.offlineReplaysPaid
        offlineReplaysFailed += o.offlineReplaysFailed; offlineReplaysPending += o.offlineReplaysPending
        offlineShortfalls += o.offlineShortfalls; offlineShortfallCents += o.offlineShortfallCents
        offlineUnclaimed += o.offlineUnclaimed
        tokenUnknown += o.tokenUnknown; manualOpens += o.manualOpens; emergencyOpens += o.emergencyOpens
    }

    /// The figures as ordered (name, value) pairs, snake_case: one source for CSV and JSON.
    public var columns: [(String, Int64)] {
        [("entries", Int64(entries)), ("revenue_cents", revenueCents), ("vouchers_used", Int64(vouchersUsed)),
         ("split_payments", Int64(splitPayments)), ("denied", Int64(denied)), ("cancels", Int64(cancels)),
         ("cancels_immediate", Int64(cancelsImmediate)), ("cancels_from_outbox", Int64(cancelsFromOutbox)),
         ("offline_admissions", Int64(offlineAdmissions)), ("offline_replays_paid", Int64(offlineReplaysPaid)),
         ("offline_replays_failed", Int64(offlineReplaysFailed)), ("offline_replays_pending", Int64(offlineReplaysPending)),
         ("token_unknown", Int64(tokenUnknown)), ("manual_opens", Int64(manualOpens)), ("emergency_opens", Int64(emergencyOpens)),
         // Added later: at the end, so an accountant's sheet keeps its columns.
         ("offline_shortfalls", Int64(offlineShortfalls)), ("offline_shortfall_cents", offlineShortfallCents),
         ("offline_unclaimed", Int64(offlineUnclaimed))]
    }
}

/// An admission as the report needs it.
public struct ReportAdmission: Sendable, Equatable {
    public var id: Int64
    public var lane: String
    public var outcome: AdmissionOutcome?
    public init(id: Int64, lane: String, outcome: AdmissionOutcome?) { self.id = id; self.lane = lane; self.outcome = outcome }
}

/// A journal event as the report needs it.
public struct ReportEvent: Sendable, Equatable {
    public var type: GateEventType
    public var lane: String
    public var admission: Int64?
    public var message: String?
    /// The event's amount (an `offline_shortfall`'s missing part).
    public var amountCents: Int64?
    public init(type: GateEventType, lane: String, admission: Int64?, message: String?, amountCents: Int64? = nil) {
        self.type = type; self.lane = lane; self.admission = admission; self.message = message; self.amountCents = amountCents
    }

    /// The report's view of a journal event.
    public init(_ event: GateEvent) {
        self.init(type: event.type, lane: event.lane, admission: event.admission, message: event.message, amountCents: event.amountCents)
    }
}

extension String {
    fileprivate var nonEmpty: String? { isEmpty ? nil : self }
}
