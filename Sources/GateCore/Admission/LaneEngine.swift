/// The admission state machine of one lane (SPEC §3 steps 1–7).
///
/// It owns no I/O: e-guma, the relay, the sensor, the lights, the display, the journal and the
/// outbox are ports, and time is the injected clock. Inputs are handled strictly one after the
/// other (`run` takes them from one stream, its `inbox`), so a lane never has two admissions in flight.
///
/// Money rules kept here:
/// - nothing is redeemed before the whole price is covered (split payment);
/// - every redeem intent is journalled before the call, its token right after;
/// - an uncertain redeem is never re-sent: a Balance right after it can prove it applied (the
///   guest paid and goes in); otherwise the guest is denied (not known to have paid) and the
///   outbox re-checks it at growing delays (`SettleSchedule`);
/// - offline admission only when e-guma is unreachable, never on an answer it gave, and bounded
///   per outage, per hour and optionally to codes seen redeemable recently;
/// - every redemption of an admission that did not end with a passage is cancelled, and a cancel
///   that cannot be sent goes to the durable outbox;
/// - no journal write is dropped: one the journal refuses stays in the lane's backlog
///   (`LaneWrite`) and is written again before the next input.
///
/// This file holds the state and the input loop; each step has its own file: `+Guard` (the
/// code-guessing guard), `+Validate` (steps 1–3), `+Redeem` (step 4), `+Open` (steps 5–7),
/// `+Relay` (the pulse and the screens that follow the relay's energise), `+Offline`, `+Journal`
/// (screens, events, the backlog).
public actor LaneEngine<C: Clock> where C.Duration == Duration {
    /// Something that happens to a lane.
    public enum Input: Sendable {
        case scanner(ScannerEvent)
        /// A code typed on the lane's keypad: the path of a scanned frame, with `source = keypad`.
        case keypad([UInt8])
        /// The split-payment timer of admission generation `generation` ran out.
        case splitTimeout(generation: UInt64)
        /// Staff opened the lane by hand (control socket). Also ends a guard pause.
        case manualOpen(reason: String)
        /// Staff ended a guard pause (`eguma-gate unlock LANE`).
        case unlock(reason: String)
        /// A guard pause may be over (its timer ran out).
        case pauseEnded
    }

    /// The lane's one input stream, made once per lane: scanner events (yielded by the source's
    /// reader through the lane's `ScannerSink`, see `CodeSource`), staff inputs (open, keypad,
    /// unlock) and the engine's own timers. Sending never blocks.
    public struct Inbox: Sendable {
        let continuation: AsyncStream<Input>.Continuation

        public func send(_ input: Input) { continuation.yield(input) }

        /// Graceful shutdown: `run` handles what was sent before and returns; later sends are dropped.
        public func finish() { continuation.finish() }
    }

    /// Where everything that happens to the lane is sent.
    public nonisolated let inbox: Inbox
    private nonisolated let inputs: AsyncStream<Input>

    /// A voucher accepted for the admission being collected, not yet redeemed.
    struct Planned: Sendable {
        var code: VoucherCode
        var amount: Money
        var balanceBefore: Money
    }

    /// Split payment in progress.
    struct Collecting: Sendable {
        var admission: Int64
        var planned: [Planned]
        var remaining: Money
        var generation: UInt64
    }

    /// A voucher that was (or, by the balance, must have been) redeemed.
    struct Taken: Sendable {
        var redemption: Int64
        var code: VoucherCode
        var amount: Money
        var token: String?
        var balanceAfter: Money?
    }

    public private(set) var settings: LaneSettings
    let service: any VoucherService
    let relay: any Relay
    let sensor: (any PassageSensor)?
    let lights: (any SignalLights)?
    let feedback: any GuestFeedback
    let journal: any AdmissionJournal
    let outbox: any Outbox
    let online: OnlineMonitor<C>
    let clock: C
    let outboxKick: @Sendable () -> Void
    let emergency: EmergencySignal?
    /// The site's shared offline claims (a fleet); nil: this controller's offline memory alone decides.
    let claims: (any OfflineClaims)?

    var debounce: AdmissionDebounce<C.Instant>
    var collecting: Collecting?
    /// The "scanned" event of an admission whose id is reserved but not yet written: the row and
    /// the event go to disk with the admission's first durable fact — the redeem intent
    /// (`beginRedemption`) or whatever else the scan ends in (`writeUnopenedAdmission`) — so a
    /// paying scan makes two commits before the relay opens, not five (issue 13).
    var unopened: GateEvent?
    /// Where the code being handled entered (scanner or keypad); stamped on its events.
    var source: EntrySource = .scanner
    /// The last reserved admission whose row could not be written (journal failing).
    var unwritten: Int64?
    /// The lane's journal writes, in order, that the journal has not taken yet (`LaneWrite`).
    var backlog: [(LaneWrite, refused: Bool)] = []
    /// A balance Balance reported, remembered for `offline_known_only` once the scan is handled
    /// (after the relay), not while the guest waits.
    var unremembered: (code: VoucherCode, balance: Money)?
    var generation: UInt64 = 0
    /// Offline admissions of the current outage, and `online.answers` when it was counted.
    var offlineThisOutage = 0
    var outageMark: UInt64?
    /// When the offline admissions of the last hour happened (`offline_max_per_hour`).
    var offlineTimes: [C.Instant] = []
    var guessGuard: GuessGuard<C.Instant>
    /// A guard pause that began and whose end still needs a timer (armed by `run`).
    var pauseToArm: C.Instant?
    /// The relay's pulses asked for, their answers seen, and the screens waiting for an energise
    /// (`LaneEngine+Relay`).
    var relayFollow = RelayFollow()
    /// Whether open screens are being shown now (the show awaits the display): a cancel's or the
    /// idle screen waits until they are on (`showPendingOpen`).
    let showingOpen = ObservedValue(false)
    /// See `init`'s parameter; `showChecking(after:)`.
    nonisolated let checkingAtLatest: Duration

    /// - Parameters:
    ///   - outboxKick: wakes the outbox worker after something was queued.
    ///   - emergency: while it is open every door is held open and a scan is charged nothing.
    ///   - checkingAtLatest: how long a scan waits at most for its "checking" screen when the
    ///     Balance request is not on the wire yet (real time, whatever the clock).
    public init(settings: LaneSettings, service: any VoucherService, relay: any Relay,
                sensor: (any PassageSensor)?, lights: (any SignalLights)? = nil, feedback: any GuestFeedback,
                journal: any AdmissionJournal, outbox: any Outbox, online: OnlineMonitor<C>, clock: C,
                outboxKick: @escaping @Sendable () -> Void = {}, emergency: EmergencySignal? = nil,
                claims: (any OfflineClaims)? = nil, checkingAtLatest: Duration = .milliseconds(100)) {
        self.checkingAtLatest = checkingAtLatest
        self.emergency = emergency
        self.claims = claims
        self.settings = settings; self.service = service; self.relay = relay
        self.sensor = settings.hasSensor ? sensor : nil
        self.lights = lights; self.feedback = feedback; self.journal = journal; self.outbox = outbox
        self.online = online; self.clock = clock; self.outboxKick = outboxKick
        self.debounce = AdmissionDebounce(window: settings.debounce)
        self.guessGuard = GuessGuard(policy: settings.guessPolicy)
        let (inputs, continuation) = AsyncStream<Input>.makeStream()
        self.inputs = inputs
        self.inbox = Inbox(continuation: continuation)
    }

    /// True while the code-guessing guard holds the lane paused.
    public var isPaused: Bool { guessGuard.pausedUntil.map { clock.now < $0 } ?? false }

    /// Applies reloaded settings (SIGHUP): price, products, policies and timings. Takes effect
    /// from the next scan; an admission in flight finishes under the settings it started with
    /// only where it already committed (its amounts), not for timeouts still to come.
    public func update(settings new: LaneSettings) {
        guard new.name == settings.name else { return }
        var applied = new
        applied.hasSensor = settings.hasSensor  // the sensor is hardware: it changes with a restart
        settings = applied
        debounce = AdmissionDebounce(window: applied.debounce)
        guessGuard.update(policy: applied.guessPolicy)
    }

    /// Handles the inbox's inputs one after the other until the inbox is finished (graceful
    /// shutdown): the admission in flight ends first. A run after a restart goes on with the same
    /// inbox.
    public func run() async {
        let clock = self.clock, inbox = self.inbox
        // Subscribed before the first input: every pulse of this run has its answer in the stream.
        let relayChanges = subscribeToRelay()
        await withDiscardingTaskGroup { group in
            group.addTask { await self.follow(relayChanges) }
            for await input in inputs {
                if case let (deadline, generation)? = await handle(input) {
                    group.addTask {
                        do {
                            try await clock.sleep(until: deadline, tolerance: nil)
                            inbox.send(.splitTimeout(generation: generation))
                        } catch {}
                    }
                }
                if let until = takePauseToArm() {
                    group.addTask {
                        do {
                            try await clock.sleep(until: until, tolerance: nil)
                            inbox.send(.pauseEnded)
                        } catch {}
                    }
                }
            }
            group.cancelAll()
        }
    }

    /// Handles one input to the end. Returns a split-payment deadline to arm, if one started.
    public func handle(_ input: Input) async -> (C.Instant, UInt64)? {
        await writeBacklog()
        switch input {
        case .scanner(.frame(let bytes)):
            source = .scanner
            return await scanned(bytes)
        case .keypad(let bytes):
            source = .keypad
            return await scanned(bytes)
        case .scanner(.attached(let device)):
            await emit(.scannerAttached, message: device)
            await show(.idle, .idle)
        case .scanner(.detached(let device, let reason)):
            await emit(.scannerDetached, message: "\(device): \(reason)")
            await lights?.signal(.outOfOrder)
        case .splitTimeout(let generation):
            guard let c = collecting, c.generation == generation else { return nil }
            collecting = nil
            await deny(.splitTimeout, admission: c.admission, message: "split payment timed out")
            await closeAdmission(c.admission, outcome: .denied)
        case .manualOpen(let reason):
            await emit(.manualOpen, message: reason)
            await endPause(reason)
            try? await pulse(showing: nil)
        case .unlock(let reason):
            await endPause(reason)
        case .pauseEnded:
            if guessGuard.expire(at: clock.now) {
                await emit(.laneUnlocked, message: "pause over")
                await show(.idle, .idle)
            }
        }
        return nil
    }
}
