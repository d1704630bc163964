import Foundation

/// The pure comparison behind `eguma-gate reconcile`: the journal's redemptions of one outlet
/// against e-guma's List of Voucher Redemptions for the same window. No I/O, no clock.
///
/// **Per voucher, net amounts.** For every code the journal's net charge (what the gate believes
/// e-guma holds) is compared with e-guma's net (rows not `derecognized`). Comparing nets instead
/// of pairing rows keeps the result independent of how e-guma shows a cancel: whether a cancelled
/// redemption is dropped, flagged `derecognized`, or shown with the amount still redeemed, a
/// correct journal nets the same. Where a model could still make a correct journal look wrong (a
/// list that does not show cancels at all), the caller confirms with Balance (`needsBalance`).
///
/// **Window edges.** The gate's clock and e-guma's may differ by seconds, so a redemption just
/// before midnight can be listed just after it. `platformNearby` holds e-guma's rows of a padded
/// window: they may complete a code the journal has, but a code only e-guma knows counts only with
/// rows inside the window.
public struct Reconciliation: Sendable, Equatable {
    /// What the gate expects e-guma to hold for a journal row, by its state.
    public static func expectedCents(_ row: JournalRedemptionRow) -> Int64 {
        switch row.state {
        case .redeemed, .tokenUnknown, .cancelQueued: row.amountCents
        case .cancelled, .notRedeemed, .intent, .uncertain: 0
        }
    }

    public var matched: [ReconcileFinding]
    /// The journal holds a charge e-guma does not list (a redeem that never reached e-guma).
    public var missingAtEguma: [ReconcileFinding]
    /// e-guma lists a charge by this outlet's user the journal does not hold (redeemed outside the
    /// gate, or a late-applied uncertain redeem).
    public var unknownToGate: [ReconcileFinding]
    /// Both hold a charge, of different amounts.
    public var amountDifferences: [ReconcileFinding]

    public var discrepancies: [ReconcileFinding] { missingAtEguma + unknownToGate + amountDifferences }
    public var isClean: Bool { discrepancies.isEmpty }

    /// - Parameters:
    ///   - journal: the outlet's journal rows created inside the window.
    ///   - platform: e-guma's rows inside the window (already filtered to this outlet's user).
    ///   - platformNearby: e-guma's rows of the padded window outside the window itself.
    public init(journal: [JournalRedemptionRow], platform: [PlatformRedemptionRow],
                platformNearby: [PlatformRedemptionRow] = []) {
        let journalByCode = Dictionary(grouping: journal, by: \.code)
        let platformByCode = Dictionary(grouping: platform, by: \.code)
        let nearbyByCode = Dictionary(grouping: platformNearby, by: \.code)
        var matched: [ReconcileFinding] = [], missing: [ReconcileFinding] = []
        var unknown: [ReconcileFinding] = [], different: [ReconcileFinding] = []
        for code in Set(journalByCode.keys).union(platformByCode.keys).sorted() {
            let rows = (journalByCode[code] ?? []).sorted { ($0.at, $0.id) < ($1.at, $1.id) }
            var items = (platformByCode[code] ?? []).sorted { $0.at < $1.at }
            // A code the gate never tried to charge (denied before any redeem) and e-guma does
            // not list is nothing to reconcile.
            if items.isEmpty && rows.allSatisfy({ $0.state == .notRedeemed || $0.state == .intent }) { continue }
            let gate = rows.reduce(0) { $0 + Self.expectedCents($1) }
            var eguma = items.reduce(0) { $0 + $1.netCents }
            if gate != eguma, !rows.isEmpty, let extra = nearbyByCode[code], !extra.isEmpty {
                let padded = eguma + extra.reduce(0) { $0 + $1.netCents }
                if padded == gate { items = (items + extra).sorted { $0.at < $1.at }; eguma = padded }
            }
            let finding = ReconcileFinding(code: code, journal: rows, platform: items, gateCents: gate, egumaCents: eguma)
            if gate == eguma { matched.append(finding) }
            else if eguma == 0 { missing.append(finding) }
            else if gate == 0 { unknown.append(finding) }
            else { different.append(finding) }
        }
        self.matched = matched; self.missingAtEguma = missing; self.unknownToGate = unknown; self.amountDifferences = different
    }

    /// Moves a discrepancy that Balance confirmed as consistent (see `ReconcileFinding.balanceExplains`)
    /// to `matched`, noting why.
    public mutating func accept(code: String, note: String) {
        func take(_ list: inout [ReconcileFinding]) -> ReconcileFinding? {
            guard let i = list.firstIndex(where: { $0.code == code }) else { return nil }
            return list.remove(at: i)
        }
        guard var finding = take(&missingAtEguma) ?? take(&unknownToGate) ?? take(&amountDifferences) else { return }
        finding.note = note
        matched.append(finding)
        matched.sort { $0.code < $1.code }
    }
}

/// One voucher's comparison: the journal rows, e-guma's rows, and both nets.
public struct ReconcileFinding: Sendable, Equatable {
    /// Canonical, without dashes.
    public var code: String
    public var journal: [JournalRedemptionRow]
    public var platform: [PlatformRedemptionRow]
    public var gateCents: Int64
    public var egumaCents: Int64
    /// Why a first disagreement was accepted (Balance confirmed the journal).
    public var note: String?

    public init(code: String, journal: [JournalRedemptionRow], platform: [PlatformRedemptionRow],
                gateCents: Int64, egumaCents: Int64, note: String? = nil) {
        self.code = code; self.journal = journal; self.platform = platform
        self.gateCents = gateCents; self.egumaCents = egumaCents; self.note = note
    }

    /// The disagreement could come from how e-guma lists cancels (not from money): the journal
    /// cancelled something here and e-guma lists more than the journal's net. Only then is a
    /// Balance check worth asking.
    public var needsBalance: Bool {
        egumaCents > gateCents && journal.contains { $0.state == .cancelled }
    }

    /// Whether the voucher's balance now proves the journal right: it equals the balance the
    /// gate last recorded for the code (after its cancel), so nothing e-guma holds differs from
    /// what the gate did — the list simply shows the cancel differently.
    public func balanceExplains(_ balanceNow: Int64) -> Bool {
        guard let last = journal.last(where: { $0.balanceAfterCents != nil })?.balanceAfterCents else { return false }
        return last == balanceNow
    }
}

/// A journal redemption as the reconciler needs it.
public struct JournalRedemptionRow: Sendable, Equatable {
    public var id: Int64
    public var admission: Int64
    public var lane: String
    public var outlet: String
    /// Canonical, without dashes.
    public var code: String
    public var amountCents: Int64
    public var state: RedemptionState
    public var at: Date
    public var balanceAfterCents: Int64?

    public init(id: Int64, admission: Int64, lane: String, outlet: String, code: String, amountCents: Int64,
                state: RedemptionState, at: Date, balanceAfterCents: Int64?) {
        self.id = id; self.admission = admission; self.lane = lane; self.outlet = outlet; self.code = code
        self.amountCents = amountCents; self.state = state; self.at = at; self.balanceAfterCents = balanceAfterCents
    }
}

/// A row of e-guma's redemption list, in the gate's terms.
public struct PlatformRedemptionRow: Sendable, Equatable {
    /// Canonical, without dashes.
    public var code: String
    public var at: Date
    public var amountCents: Int64
    public var derecognized: Bool
    /// e-guma's user id as canonical text (`EgumaID.text`): a number in some accounts, text in
    /// others, compared only as text.
    public var userID: String?

    public init(code: String, at: Date, amountCents: Int64, derecognized: Bool, userID: String?) {
        self.code = code; self.at = at; self.amountCents = amountCents; self.derecognized = derecognized; self.userID = userID
    }

    /// What this row still charges.
    public var netCents: Int64 { derecognized ? 0 : amountCents }
}
