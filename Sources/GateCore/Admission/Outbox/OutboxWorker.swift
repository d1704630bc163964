/// Drives the durable outbox until e-guma confirms every entry (SPEC §3.7, §3 "Offline").
///
/// - Entries of one voucher run strictly in queue order: only the oldest pending entry of a
///   voucher is tried, so a cancel never overtakes the redeem it cancels.
/// - A failure that retrying cannot fix (a 4xx) dead-letters the entry with an operator event
///   (`offline_redeem_failed`, `cancel_failed`); anything else is retried with `RetryPolicy`.
/// - An offline redeem replay is Balance snapshot → intent → Redeem → token, with the same
///   uncertainty rule as a lane: never re-sent blindly (`OutboxWorker+Replay`).
/// - An uncertain redeem is settled by a `settle` entry: Balance checks on `SettleSchedule`'s
///   delays (`OutboxWorker+Settle`). Settle entries only read, so they do not wait behind other
///   entries of their voucher.
/// - A cancel e-guma refuses is checked by Balance before it counts as `cancel_failed`
///   (`OutboxWorker+Cancel`).
/// - What a crash left behind is settled at start and swept while running (`OutboxWorker+Recovery`).
///
/// **Every money step is one store transaction** (`OutboxSteps`), guarded by the state it
/// expects: it happens whole or not at all. When its write fails, the entry stays pending and is
/// tried again after the back-off; an e-guma answer already received is held in memory
/// (`held`) and written first at the next try, never asked for again — so a failed write never
/// leaves a redemption in `intent` that nothing revisits, nor sends a redeem twice.
///
/// Back-off times live in memory: after a restart every pending entry is due at once, which is
/// what one wants after a power cut — except `settle` checks, whose delays are evidence: they
/// keep the wait the store recorded.
public actor OutboxWorker<C: Clock> where C.Duration == Duration {
    let store: any OutboxStore
    let journal: any AdmissionJournal
    let services: [String: any VoucherService]
    let evidence: [String: any RedemptionEvidence]
    let policy: RetryPolicy
    let settleSchedule: SettleSchedule
    let clock: C
    let online: OnlineMonitor<C>?
    /// The lanes' settings by name: a replay of a service voucher redeems what its lane would.
    let lanes: [String: LaneSettings]
    private let unitRandom: @Sendable () -> Double
    private let wake = WakeSignal()
    private var notBefore: [Int64: C.Instant] = [:]
    /// Per settle entry: when this worker first checked it, and the entry's age then. The wall
    /// clock is read once per process; from then on the injected clock measures.
    private var firstChecked: [Int64: (at: C.Instant, age: Duration)] = [:]
    /// `intent` redemptions of closed admissions, and when the sweep first saw each.
    var forgotten: [Int64: C.Instant] = [:]
    let forgottenAfter: Duration
    private static var sweepEvery: Duration { .seconds(60) }
    /// Cancels of interrupted admissions whose queueing the journal refused at recovery, by
    /// admission: tried again at every sweep.
    var owedCancels: [Int64: (order: CancelOrder, event: GateEvent)] = [:]
    /// Per entry: the step an e-guma answer calls for, whose write failed — written before
    /// anything else at the entry's next try (the answer is never asked for again).
    var held: [Int64: HeldStep] = [:]
    /// Events the journal refused (disk full), written again before the next round; bounded,
    /// oldest dropped (`ObservedJournal` logged each when it was refused).
    private var unwrittenEvents: [GateEvent] = []
    private static var unwrittenEventsKept: Int { 1_000 }

    /// An e-guma answer's step whose write failed, kept until it is written.
    enum HeldStep: Sendable {
        case completeCancel(redemption: Int64?, balanceAfter: Money, event: GateEvent)
        case completeReplay(redemption: Int64, token: String, balanceAfter: Money, events: [GateEvent])
        case replayNotApplied(redemption: Int64, next: EntryNext)
    }

    /// - Parameters:
    ///   - services: the voucher service of each outlet, by outlet name.
    ///   - unitRandom: a random number in [0, 1) for jitter (injected so tests are repeatable).
    ///   - evidence: per outlet, e-guma's redemption list: the first evidence a settle check asks.
    ///   - lanes: the lanes' settings by name (service vouchers' products and amount).
    public init(store: any OutboxStore, journal: any AdmissionJournal, services: [String: any VoucherService],
                policy: RetryPolicy = RetryPolicy(), settleSchedule: SettleSchedule = SettleSchedule(), clock: C,
                online: OnlineMonitor<C>? = nil,
                unitRandom: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
                evidence: [String: any RedemptionEvidence] = [:], forgottenAfter: Duration = .seconds(180),
                lanes: [String: LaneSettings] = [:]) {
        self.lanes = lanes
        self.store = store; self.journal = journal; self.services = services; self.policy = policy
        self.forgottenAfter = forgottenAfter
        self.evidence = evidence
        self.settleSchedule = settleSchedule
        self.clock = clock; self.online = online; self.unitRandom = unitRandom
    }

    /// Something was queued (or an operator asked for a retry): look now.
    public nonisolated func kick() { wake.signal() }

    /// Settles what a crash left behind, then works the outbox until cancelled.
    public func run() async {
        await recoverInterrupted()
        var nextSweep = clock.now
        while !Task.isCancelled {
            if clock.now >= nextSweep {
                await settleForgottenIntents()
                nextSweep = clock.now.advanced(by: Self.sweepEvery)
            }
            let next = await runOnce()
            // A kick, the next retry or sweep, or shutdown: either way the loop looks again.
            await wake.wait(until: min(next ?? nextSweep, nextSweep), on: clock)
        }
    }

    /// Tries every due head-of-voucher entry once (with `only`, just those of them: `admission
    /// void` without a running daemon drives its own cancels and nothing else). Returns when the
    /// next retry is due, if any.
    @discardableResult
    public func runOnce(only: Set<Int64>? = nil) async -> C.Instant? {
        await writeUnwrittenEvents()
        let pending: [OutboxEntry]
        do { pending = try await store.pendingEntries() } catch { return clock.now.advanced(by: policy.base) }
        var seen: Set<VoucherCode> = []
        var next: C.Instant?
        for entry in pending {
            let code = VoucherCode(unchecked: entry.operation.code.undashed)
            // A later entry of a voucher waits its turn; a settle only reads, so it never waits
            // (an offline cancel may be waiting for it).
            guard entry.operation.onlyReads || seen.insert(code).inserted else { continue }
            if let only, !only.contains(entry.id) { continue }
            if notBefore[entry.id] == nil, entry.operation.onlyReads, let wait = entry.dueIn {
                notBefore[entry.id] = clock.now.advanced(by: wait)  // after a restart: its delay still runs
            }
            if let due = notBefore[entry.id], clock.now < due {
                next = min(next ?? due, due)
                continue
            }
            if let retryAt = await attempt(entry) { next = min(next ?? retryAt, retryAt) }
        }
        let live = Set(pending.map(\.id))
        notBefore = notBefore.filter { live.contains($0.key) }
        firstChecked = firstChecked.filter { live.contains($0.key) }
        held = held.filter { live.contains($0.key) }
        return next
    }

    // MARK: One attempt

    /// Returns the retry time when the entry stays pending.
    private func attempt(_ entry: OutboxEntry) async -> C.Instant? {
        if let step = held[entry.id] { return await writeHeld(step, of: entry) }
        switch entry.operation {
        case .cancel(let order): return await attemptCancel(entry, order)
        case .offlineRedeem(let order): return await attemptRedeem(entry, order)
        case .settle(let order): return await attemptSettle(entry, order)
        }
    }

    /// Writes the step an earlier answer called for; on failure it stays held and the entry waits.
    private func writeHeld(_ step: HeldStep, of entry: OutboxEntry) async -> C.Instant? {
        do {
            switch step {
            case .completeCancel(let redemption, let balanceAfter, let event):
                _ = try await store.completeCancel(entry: entry.id, redemption: redemption, balanceAfter: balanceAfter, event: event)
            case .completeReplay(let redemption, let token, let balanceAfter, let events):
                _ = try await store.completeReplay(entry: entry.id, redemption: redemption, token: token,
                                                   balanceAfter: balanceAfter, events: events)
            case .replayNotApplied(let redemption, let next):
                try await store.replayNotApplied(entry: entry.id, redemption: redemption, then: next)
                held[entry.id] = nil
                if case .retry(_, let delay) = next { return waitAfterWrite(entry, delay) }
                return nil
            }
        } catch {
            return await retry(entry, "journal not writable (\(error)); e-guma's answer is held and written at the next try")
        }
        held[entry.id] = nil
        return nil
    }

    /// Holds `step` (an answer e-guma gave) and writes it; when the write fails the entry waits
    /// and the next try writes it again, without asking e-guma.
    func record(_ step: HeldStep, of entry: OutboxEntry) async -> C.Instant? {
        held[entry.id] = step
        return await writeHeld(step, of: entry)
    }

    // MARK: Bookkeeping

    /// Whether voucher `code` saw other activity since `redemption`'s intent; nil: unreadable.
    func otherActivity(on code: String, after redemption: Int64) async -> Bool? {
        do { return try await store.otherActivity(on: VoucherCode(unchecked: code), after: redemption) } catch { return nil }
    }

    /// Time since a settle entry's intent, as far as this worker can vouch for it: the store's
    /// age when first checked here, plus what the injected clock measured since.
    func elapsed(_ entry: OutboxEntry) -> Duration {
        let first = firstChecked[entry.id] ?? (clock.now, entry.age ?? .zero)
        firstChecked[entry.id] = first
        return first.age + first.at.duration(to: clock.now)
    }

    /// A Balance call whose outcome feeds the online detector.
    func balance(of code: VoucherCode, _ service: any VoucherService) async throws(VoucherServiceError) -> VoucherBalance {
        let started = clock.now
        do throws(VoucherServiceError) {
            let answer = try await service.balance(of: code)
            await online?.recordAnswer(latency: started.duration(to: clock.now))
            return answer
        } catch {
            await online?.record(error, latency: started.duration(to: clock.now))
            throw error
        }
    }

    /// The entry is tried again after the back-off (or `fixed`). The wait is kept in memory
    /// whether or not the store takes the new attempt count: a refused write only loses the count.
    func retry(_ entry: OutboxEntry, _ error: String, after fixed: Duration? = nil) async -> C.Instant {
        let delay = fixed ?? backoff(entry)
        do { try await store.markRetry(entry.id, error: error, delay: delay) } catch {
            // The entry stays pending with its old count; `notBefore` below still spaces the tries.
        }
        return waitAfterWrite(entry, delay)
    }

    /// The capped, jittered back-off before the entry's next try.
    func backoff(_ entry: OutboxEntry) -> Duration {
        policy.delay(afterAttempts: entry.attempts + 1, unitRandom: unitRandom())
    }

    /// A retry whose attempt count the store already wrote (in a step's own transaction).
    private func waitAfterWrite(_ entry: OutboxEntry, _ delay: Duration) -> C.Instant {
        let due = clock.now.advanced(by: delay)
        notBefore[entry.id] = due
        return due
    }

    /// Nothing (more) for the entry to do. A refused write leaves it pending: the next try finds
    /// the same state and ends it the same way.
    func finish(_ entry: OutboxEntry) async -> C.Instant? {
        do { try await store.markDone(entry.id) } catch {
            return await retry(entry, "journal not writable (\(error)): entry not closed yet")
        }
        return nil
    }

    /// The entry stops with its operator event, in one write; refused: it waits and comes again.
    func dead(_ entry: OutboxEntry, _ type: GateEventType, lane: String, admission: Int64, code: String,
              amount: Int64, message: String) async -> C.Instant? {
        let event = GateEvent(type, lane: lane, admission: admission, code: code, amountCents: amount, message: message)
        do { try await store.deadLetter(entry: entry.id, error: message, event: event) } catch {
            return await retry(entry, "journal not writable (\(error)); \(type.rawValue): \(message)")
        }
        return nil
    }

    /// The event of a step already written; a refused one is kept and written again.
    func emit(_ type: GateEventType, lane: String, admission: Int64, code: String, amount: Int64,
              balance: Int64?, message: String?) async {
        await append(GateEvent(type, lane: lane, admission: admission, code: code,
                               amountCents: amount, balanceCents: balance, message: message))
    }

    func append(_ event: GateEvent) async {
        do { try await journal.append(event) } catch {
            unwrittenEvents.append(event)
            if unwrittenEvents.count > Self.unwrittenEventsKept { unwrittenEvents.removeFirst() }
        }
    }

    private func writeUnwrittenEvents() async {
        while let first = unwrittenEvents.first {
            do { try await journal.append(first) } catch { return }
            unwrittenEvents.removeFirst()
        }
    }
}
