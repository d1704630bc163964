/// What the lane shows and writes: denials, screens, events, and its backlog of refused writes.
extension LaneEngine {
    func deny(_ reason: DenyReason, admission: Int64?, code: String? = nil, message: String) async {
        await emit(.denied, admission: admission, code: code, message: message)
        await show(.denied(reason), .denied)
    }

    func show(_ state: GuestState, _ pattern: SignalPattern) async {
        await feedback.show(state)
        await lights?.signal(pattern)
    }

    /// Writes the reserved admission and its "scanned" event of a scan that ends without a
    /// redeem intent (denied, offline, waiting for more), before anything else of it is written.
    ///
    /// Refused (disk full), the row stays to be written: by the next try, or with the redeem
    /// intent of a split payment's next voucher (`beginRedemption` takes it) — so no money step
    /// is ever written for an admission the journal does not hold (found by the write-cut test of
    /// a split payment: its intents and tokens were written under an admission row that never
    /// was, and the entry was never closed).
    func writeUnopenedAdmission() async {
        guard let scanned = unopened, let id = scanned.admission else { return }
        unopened = nil
        do {
            try await journal.openAdmission(id, lane: settings.name, scanned: scanned)
            if unwritten == id { unwritten = nil }
        } catch {
            unopened = scanned
            unwritten = id
        }
    }

    /// An admission whose row could not be written is not closed: the UPDATE would change
    /// nothing, yet succeed, and count as "the journal works again" on a full disk.
    func closeAdmission(_ id: Int64, outcome: AdmissionOutcome) async {
        await writeUnopenedAdmission()
        guard unwritten != id else { return }
        await write(.close(admission: id, outcome: outcome, events: []))
    }

    /// Appends `w` to the backlog and writes the backlog in order (`LaneWrite`).
    func write(_ w: LaneWrite) async {
        backlog.append((w.from(source), refused: false))
        await writeBacklog()
    }

    /// Writes the backlog, oldest first. A refused write stays, and every later write of its
    /// admission with it (their order is kept); other admissions' writes go on.
    func writeBacklog() async {
        var kept: [(LaneWrite, refused: Bool)] = []
        var held: Set<Int64?> = []
        for (w, refused) in backlog {
            if held.contains(w.admission) { kept.append((w, refused)); continue }
            do { try await w.write(to: journal, again: refused) } catch {
                kept.append((w, refused: true))
                held.insert(w.admission)
            }
        }
        backlog = kept
    }

    func emit(_ type: GateEventType, admission: Int64? = nil, code: String? = nil, amountCents: Int64? = nil,
                      balanceCents: Int64? = nil, message: String? = nil) async {
        await writeUnopenedAdmission()
        await write(.event(GateEvent(type, lane: settings.name, admission: admission, code: code,
                                     amountCents: amountCents, balanceCents: balanceCents, message: message)))
    }
}
