/// A journal write of a lane after its first durable fact (the redeem intent): a token, a
/// redemption's settling, a closing, an event.
///
/// The lane never drops one: `LaneEngine.write` appends it to the lane's backlog and writes the
/// backlog in order; a refused write (disk full — `ObservedJournal` logged and counted it, and
/// holds the lane out of order until the journal takes writes again) stays, and so does every
/// later write of the same admission, so one admission's writes land in their order (a cancel's
/// settling never before its token). Writes of other admissions go on: a refused closing of one
/// guest's entry never holds back the next guest's token. What stays is written again before the
/// lane handles anything else. A closing of an entered
/// admission matters most: never left to the next start's recovery, which takes an open
/// admission with a redeemed voucher for an interrupted one and cancels it — a refund of an entry.
enum LaneWrite: Sendable {
    /// Closes an admission with its last events, in one transaction.
    case close(admission: Int64, outcome: AdmissionOutcome, events: [GateEvent])
    case event(GateEvent)
    /// The token of a redeem that answered, with its "redeemed" event (only from `intent`).
    case token(redemption: Int64, token: String, balanceAfter: Money, event: GateEvent)
    /// A redemption moves from one of `from` to `to` (with its event), guarded: one that
    /// another path settled meanwhile is left as it is.
    case settle(admission: Int64, redemption: Int64, from: Set<RedemptionState>, to: RedemptionState, balanceAfter: Money?,
                event: GateEvent?)

    /// The admission it belongs to: its writes keep their order.
    var admission: Int64? {
        switch self {
        case .close(let admission, _, _): admission
        case .event(let event): event.admission
        case .token(_, _, _, let event): event.admission
        case .settle(let admission, _, _, _, _, _): admission
        }
    }

    /// The same write with `source` on its events that carry a code and name no source yet.
    func from(_ source: EntrySource) -> LaneWrite {
        func stamped(_ e: GateEvent) -> GateEvent {
            var e = e
            if e.code != nil, e.source == nil { e.source = source }
            return e
        }
        switch self {
        case .close(let admission, let outcome, let events):
            return .close(admission: admission, outcome: outcome, events: events.map(stamped))
        case .event(let event): return .event(stamped(event))
        case .token(let redemption, let token, let balanceAfter, let event):
            return .token(redemption: redemption, token: token, balanceAfter: balanceAfter, event: stamped(event))
        case .settle(let admission, let redemption, let from, let to, let balanceAfter, let event):
            return .settle(admission: admission, redemption: redemption, from: from, to: to, balanceAfter: balanceAfter,
                           event: event.map(stamped))
        }
    }

    /// Writes it; throws when the journal refuses. `again`: the journal refused it before.
    func write(to journal: any AdmissionJournal, again: Bool) async throws {
        switch self {
        case .close(let admission, let outcome, let events):
            try await journal.closeAdmission(admission, outcome: outcome, events: events)
        case .event(let event):
            try await journal.append(event)
        case .token(let redemption, let token, let balanceAfter, let event):
            // Written again after a refusal: a redemption the sweep settled meanwhile (its token
            // is lost, `token_unknown` raised) is not in `intent` any more and keeps its state.
            // Only then: the first try is commit 2 of the critical path, with no read before it.
            if again, try await journal.redemption(id: redemption)?.state != .intent { return }
            try await journal.recordRedeemed(redemption, token: token, balanceAfter: balanceAfter, event: event)
        case .settle(_, let redemption, let from, let to, let balanceAfter, let event):
            _ = try await journal.settleRedemption(redemption, from: from, to: to, balanceAfter: balanceAfter, event: event)
        }
    }
}
