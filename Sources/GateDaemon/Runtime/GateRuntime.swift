import EgumaAPI
import Foundation
import GateCore
import GateHardware
import GateStore
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The running gate: everything `eguma-gate run` (and `demo`) starts, built from a validated
/// configuration, and the ServiceLifecycle group that runs it.
///
/// Start-up opens every resource first (database, keys, GPIO lines, udev, control socket) and
/// fails as a whole with a precise error; only a complete gate reports READY to systemd.
/// Shutdown (SIGTERM/SIGINT) runs in reverse: stop accepting control requests, let each lane
/// finish its admission in flight, drive relays inactive, stop the outbox worker, close the database.
public final class GateRuntime: Sendable {
    /// Things `demo` and tests replace.
    public struct Options: Sendable {
        /// Per-lane scanner sources used instead of the configured scanner (demo console, tests).
        public var sources: [String: any CodeSource] = [:]
        /// The chip behind `chip = "sim"`; one is made when nil.
        public var simulatedChip: SimulatedGPIOChip?
        public var environment: [String: String] = ProcessInfo.processInfo.environment
        /// Install SIGTERM/SIGINT/SIGHUP handling (off for in-process tests and the demo).
        public var handleSignals = true
        public init() {}
    }

    public let config: GateConfig
    public let database: GateDatabase
    public let client: EgumaClient
    public let metrics: GateMetrics
    /// Every journal event, live.
    public let events: Broadcast<GateEvent>
    /// Every guest-facing state change of every lane, live.
    public let guestStates: Broadcast<LaneFeedback.LaneState>
    public let lanes: [LaneRuntime]
    public let simulatedChip: SimulatedGPIOChip
    /// The kiosk pages' live state; nil when `[gate] display` is off.
    public let kiosk: KioskHub?
    let outbox: OutboxWorker<ContinuousClock>
    let reconcile: ReconcileService
    let online: OnlineMonitor<ContinuousClock>
    let udev: UdevWatcher?
    let emergency: GPIOEmergencyInput?
    let emergencySignal: EmergencySignal
    let control: ControlServer
    let notifier: SystemdNotifier
    let options: Options
    let logger: Logger
    /// Lanes (and the outbox) whose journal writes fail: out of order until writing works.
    public let journalHealth: JournalHealth
    private let reloads: Broadcast<Void>
    private let group = Mutex<ServiceGroup?>(nil)
    private let parts = Mutex<[String]>([])

    // MARK: Start-up

    /// Opens everything the configuration names. Throws `StartupError`; whatever was opened
    /// before the failure is released again (no GPIO line stays requested).
    public static func start(config: GateConfig, options: Options = Options(), logger: Logger) async throws(StartupError) -> GateRuntime {
        let metrics = GateMetrics()
        let events = Broadcast<GateEvent>()
        let states = Broadcast<LaneFeedback.LaneState>()

        let database: GateDatabase
        do {
            database = try await GateDatabase.open(path: config.gate.database)
        } catch {
            throw StartupError(what: "open the database \(config.gate.database)", reason: "\(error)", isConfiguration: false)
        }
        var keys: [String: APIKey] = [:]
        for (name, outlet) in config.outlets {
            do { keys[name] = try outlet.loadKey(environment: options.environment, configFile: config.file) }
            catch { throw StartupError(what: "load the API key of outlet \(name)", reason: error.description, isConfiguration: true) }
        }
        let client: EgumaClient
        do {
            client = try EgumaClient(configuration: config.api, logger: Logger(label: "eguma-gate.api")) { endpoint, latency, error in
                metrics.apiCall(endpoint, latency: latency, error: error)
            }
        } catch {
            throw StartupError(what: "set up the e-guma client", reason: "\(error)", isConfiguration: true)
        }
        let chip = options.simulatedChip ?? SimulatedGPIOChip()
        let opener = GPIOChipOpener(simulated: chip)
        let clock = ContinuousClock()
        metrics.prepare(lanes: config.laneNames)
        let health = JournalHealth()
        let journal = ObservedJournal(database: database, file: config.gate.database, events: events, metrics: metrics,
                                      logger: logger, health: health)
        let online = OnlineMonitor(clock: clock) { offline, reason in
            Task { await GateRuntime.recordConnectivity(offline: offline, reason: reason, journal: journal, logger: logger) }
        }
        // A full disk at start: stay up and say so (status, /healthz, log) rather than exit —
        // a restart loop would not free the disk, and the gate resumes by itself once it can write.
        do { try await database.checkWritable() } catch {
            logger.error("the journal \(config.gate.database) cannot be written: \(error) — every lane is out of order (refuses admissions) until it can; free space on its disk, the gate resumes by itself")
            for lane in config.lanes { health.failed("lane \(lane.name)", reason: "\(error)") }
        }
        var services: [String: any VoucherService] = [:]
        for (name, key) in keys { services[name] = EgumaVoucherService(client: client, key: key) }
        // Outlets with a known e-guma user let the settle checks ask the redemption list first.
        var evidence: [String: any RedemptionEvidence] = [:]
        for (name, key) in keys {
            if let user = config.outlets[name]?.userID {
                evidence[name] = RedemptionListEvidence(client: client, key: key, userID: user, database: database)
            }
        }
        let outbox = OutboxWorker(store: ObservedOutbox(database: database, metrics: metrics, logger: logger),
                                  journal: journal, services: services, clock: clock, online: online, evidence: evidence)
        let reconcile = ReconcileService(
            reconciler: Reconciler(database: database, client: client),
            outlets: keys.keys.sorted().compactMap { name in keys[name].map { Reconciler.Outlet(name: name, key: $0, userID: config.outlets[name]?.userID) } },
            plan: ReconcilePlan(everyHours: config.gate.reconcileEveryHours, local: EgumaLocalTime(config.api.timeZone)),
            journal: journal, logger: logger, now: { Date() },
            closingMessages: { since in
                (try? await database.reportEvents(from: since, to: .distantFuture))?
                    .filter { $0.type == .reconciled || $0.type == .reconcileMismatch }.compactMap(\.message)
            },
            ranBefore: { date in (try? await database.hasEvents(before: date)) ?? true })

        // Hardware: everything opened here is released again if a later step fails.
        var opened: [LaneRuntime] = []
        var emergencyInput: GPIOEmergencyInput?
        let emergencySignal = EmergencySignal()
        var watcher: UdevWatcher?
        func releaseAll() async {
            for lane in opened { await lane.makeSafe() }
            await emergencyInput?.stop()
            await watcher?.stop()
            try? await client.shutdown()
        }
        do throws(StartupError) {
            if let line = config.gate.emergency {
                do {
                    let input = try GPIOEmergencyInput(config: line, signal: emergencySignal, opener: opener)
                    try await input.start()
                    emergencyInput = input
                } catch {
                    throw StartupError(what: "open the emergency input (gate.emergency)", reason: error.description,
                                       isConfiguration: error.isConfigurationError)
                }
            }
            let needsUdev = config.lanes.contains { options.sources[$0.name] == nil && $0.scanner.kind != .stdin && $0.scanner.path == nil }
            if needsUdev {
                do { watcher = try UdevWatcher() } catch {
                    throw StartupError(what: "start udev discovery", reason: error.description, isConfiguration: false)
                }
            }
            for lane in config.lanes {
                opened.append(try await makeLane(lane, opener: opener, watcher: watcher, options: options, services: services,
                                                 journal: journal, outbox: outbox, online: online, clock: clock,
                                                 emergency: emergencySignal, states: states, logger: logger))
            }
        } catch {
            await releaseAll()
            throw error
        }

        let box = Mutex<GateRuntime?>(nil)
        let control = ControlServer(path: config.gate.controlSocket, logger: logger) { request, peer in
            guard let runtime = box.withLock({ $0 }) else { return .failure("starting up") }
            return await runtime.handle(request, peer: peer)
        }
        do {
            try control.bind()
        } catch {
            await releaseAll()
            throw StartupError(what: "open the control socket", reason: error.description, isConfiguration: false)
        }
        let runtime = GateRuntime(config: config, database: database, client: client, metrics: metrics, events: events,
                                  guestStates: states, lanes: opened, simulatedChip: chip, outbox: outbox, online: online,
                                  udev: watcher, emergency: emergencyInput, emergencySignal: emergencySignal, control: control,
                                  notifier: SystemdNotifier(environment: options.environment), options: options, logger: logger,
                                  journalHealth: health, reconcile: reconcile)
        box.withLock { $0 = runtime }
        return runtime
    }

    private static func makeLane(
        _ lane: LaneConfig, opener: GPIOChipOpener, watcher: UdevWatcher?, options: Options,
        services: [String: any VoucherService], journal: ObservedJournal, outbox: OutboxWorker<ContinuousClock>,
        online: OnlineMonitor<ContinuousClock>, clock: ContinuousClock, emergency: EmergencySignal,
        states: Broadcast<LaneFeedback.LaneState>, logger: Logger
    ) async throws(StartupError) -> LaneRuntime {
        var relay: GPIORelay?, sensor: GPIOPassageSensor?, lights: GPIOSignalLights?
        do {
            if let line = lane.relay {
                relay = try GPIORelay(config: line, pulse: lane.settings.pulse, opener: opener,
                                      logger: Logger(label: "eguma-gate.lane.\(lane.name).relay"))
            }
            if let line = lane.sensor {
                let s = try GPIOPassageSensor(config: line, opener: opener, logger: Logger(label: "eguma-gate.lane.\(lane.name).sensor"))
                await s.start()
                sensor = s
            }
            if lane.green != nil || lane.red != nil || lane.buzzer != nil {
                lights = try GPIOSignalLights(green: lane.green, red: lane.red, buzzer: lane.buzzer, opener: opener)
            }
        } catch {
            await relay?.stop(); await sensor?.stop(); await lights?.stop()
            throw StartupError(what: "open the GPIO lines of lane \(lane.name)", reason: error.description,
                               isConfiguration: error.isConfigurationError)
        }
        if let relay { Task { await relay.follow(emergency) } }
        let source: any CodeSource
        if let override = options.sources[lane.name] {
            source = override
        } else if lane.scanner.kind == .stdin {
            source = StdinScanner(config: lane.scanner)
        } else if let path = lane.scanner.path {
            // Opened directly and watched: PTYs of socat/ser2net and containers have no udev entry.
            source = FixedPathScanner(config: lane.scanner, path: path, clock: clock)
        } else if let watcher {
            source = LaneScanner(lane: lane.name, config: lane.scanner, watcher: watcher)
        } else {
            throw StartupError(what: "find the scanner of lane \(lane.name)", reason: "udev is not available", isConfiguration: false)
        }
        let feedback = LaneFeedback(lane: lane.name, states: states)
        let screen = ScreenHold(feedback, hold: lane.screenHold, clock: clock)
        let service = services[lane.settings.outlet] ?? UnavailableVoucherService()
        if lane.mode == .balance {
            // Never redeems: no engine, no relay; Balance calls only.
            let logger = Logger(label: "eguma-gate.lane.\(lane.name)")
            let runner = BalanceCheckLane(lane: lane.name, service: service, feedback: screen, clock: clock,
                                          guessPolicy: lane.settings.guessPolicy, journal: journal.forLane(lane.name)) { report in
                switch report {
                case .answered(let answer):
                    logger.info("balance check \(answer.code.masked): \(answer.isRedeemable ? "redeemable" : "not redeemable"), balance \(answer.balance)")
                case .failed(let code, let error):
                    logger.warning("balance check \(code.masked) failed: \(error.description)")
                }
            }
            return LaneRuntime(config: lane, engine: nil, balanceRunner: runner, source: source, relay: relay, sensor: sensor,
                               lights: lights, feedback: feedback, screen: screen, logger: Logger(label: "eguma-gate.lane.\(lane.name)"))
        }
        let engine = LaneEngine(settings: lane.settings, service: service, relay: relay ?? NoRelay(), sensor: sensor,
                                lights: lights, feedback: screen, journal: journal.forLane(lane.name), outbox: journal.database, online: online,
                                clock: clock, outboxKick: { outbox.kick() }, emergency: emergency)
        return LaneRuntime(config: lane, engine: engine, source: source, relay: relay, sensor: sensor, lights: lights,
                           feedback: feedback, screen: screen, logger: Logger(label: "eguma-gate.lane.\(lane.name)"))
    }

    private init(config: GateConfig, database: GateDatabase, client: EgumaClient, metrics: GateMetrics,
                 events: Broadcast<GateEvent>, guestStates: Broadcast<LaneFeedback.LaneState>, lanes: [LaneRuntime],
                 simulatedChip: SimulatedGPIOChip, outbox: OutboxWorker<ContinuousClock>, online: OnlineMonitor<ContinuousClock>,
                 udev: UdevWatcher?, emergency: GPIOEmergencyInput?, emergencySignal: EmergencySignal, control: ControlServer,
                 notifier: SystemdNotifier, options: Options, logger: Logger, journalHealth: JournalHealth,
                 reconcile: ReconcileService) {
        self.config = config; self.database = database; self.client = client; self.metrics = metrics
        self.events = events; self.guestStates = guestStates; self.lanes = lanes; self.simulatedChip = simulatedChip
        self.outbox = outbox; self.online = online; self.udev = udev; self.emergency = emergency
        self.emergencySignal = emergencySignal; self.control = control; self.notifier = notifier
        self.options = options; self.logger = logger; self.reloads = Broadcast(); self.journalHealth = journalHealth
        self.reconcile = reconcile
        self.kiosk = config.gate.display == nil ? nil : KioskHub(lanes: lanes)
    }

    public func lane(_ name: String) -> LaneRuntime? { lanes.first { $0.config.name == name } }

    // MARK: Running

    /// Runs until SIGTERM/SIGINT (or until the surrounding task is cancelled / shut down gracefully).
    public func run() async throws {
        // SIGHUP is trapped before anything can tell systemd we are ready: a reload right after
        // READY must not hit the default action (terminate).
        let hangups: UnixSignalsSequence? = options.handleSignals ? await UnixSignalsSequence(trapping: .sighup) : nil
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            supervised("outbox", FunctionService("outbox") { [outbox] in await outbox.run() }),
            .init(service: FunctionService("lanes", graceful: true) { [self] in await runLanes() }),  // supervised per lane
            supervised("control socket", control),
            supervised("housekeeping", FunctionService("housekeeping") { [self] in await housekeeping() }),
        ]
        // Off (reconcile_every_h = 0): not a part at all — a body that returns at once would be
        // restarted by its supervisor forever.
        if reconcile.isOn {
            services.append(supervised("reconcile", FunctionService("reconcile") { [reconcile] in await reconcile.run() }))
        }
        if let address = config.gate.metrics {
            services.append(supervised("metrics server", MetricsServer(address: address, metrics: metrics, logger: logger,
                                                                       health: { [journalHealth] in journalHealth.summary })))
        }
        if let address = config.gate.display, let kiosk {
            services.append(supervised("kiosk server", KioskServer(address: address, hub: kiosk, states: guestStates, logger: logger)))
        }
        for lane in lanes {
            guard case .serial(let path, let baud, let codepage, let scroll)? = lane.config.display else { continue }
            let port = PoleDisplayPort(path: path, baud: baud, codepage: codepage,
                                       logger: Logger(label: "eguma-gate.lane.\(lane.config.name).display"))
            let driver = PoleDisplayDriver(
                texts: lane.guestTexts,
                codepage: codepage, scroll: scroll, clock: ContinuousClock(), write: { await port.write($0) })
            let name = lane.config.name
            let feedback = lane.feedback
            services.append(supervised("display \(name)", FunctionService("display \(name)") { [guestStates] in
                // Per run, so a restarted display gets a live subscription; subscribed before the
                // current state is read: a change in between is shown twice, never lost.
                let states = guestStates.subscribe()
                let initial = feedback.state
                let mine = AsyncStream<GuestState> { continuation in
                    let forward = Task {
                        for await s in states where s.lane == name { continuation.yield(s.state) }
                        continuation.finish()
                    }
                    continuation.onTermination = { _ in forward.cancel() }
                }
                await driver.run(initial: initial, states: mine)
            }))
        }
        if let hangups {
            services.append(supervised("reload", FunctionService("reload") { [self] in await reloadOn(hangups) }))
        }
        parts.withLock { $0 = services.map { "\($0.service)" } }
        var configuration = ServiceGroupConfiguration(services: services, logger: logger)
        configuration.gracefulShutdownSignals = options.handleSignals ? [.sigterm, .sigint] : []
        let group = ServiceGroup(configuration: configuration)
        self.group.withLock { $0 = group }
        defer { notifier.stopping() }
        do {
            try await group.run()
        } catch {
            logger.error("gate stopped with an error: \(error)")
            await shutdownResources()
            throw error
        }
        await shutdownResources()
    }

    /// READY=1 for systemd. Sent from inside the running service group, whose SIGTERM/SIGINT
    /// handlers are installed before any service starts: a stop right after READY is graceful.
    private func announceReady() {
        var status = "\(lanes.count) lane(s): \(lanes.map(\.config.name).joined(separator: ", "))"
        if let problem = journalHealth.summary { status += " — OUT OF ORDER: \(problem)" }
        logger.notice("eguma-gate \(config.gate.name) ready — \(status); e-guma \(config.api.baseURL.hasPrefix("https://api.e-guma.ch") ? "production" : "at configured base_url")")
        notifier.ready(status: status)
    }

    /// The supervised parts `run` started (empty before), by name.
    public var runningParts: [String] { parts.withLock { $0 } }

    /// Stops the gate as SIGTERM would: admissions in flight finish, relays go inactive.
    public func shutdown() async {
        await group.withLock { $0 }?.triggerGracefulShutdown()
    }

    private func runLanes() async {
        await withDiscardingTaskGroup { group in
            for lane in lanes {
                let supervisor = supervisor("lane \(lane.config.name)") { await lane.forceInactive() }
                group.addTask { await lane.run(supervisor: supervisor) }
            }
        }
    }

    /// Restarts `part` after an unexpected end, with back-off; logged at error and counted.
    private func supervisor(_ part: String, beforeRestart: @escaping @Sendable () async -> Void = {}) -> Supervisor<ContinuousClock> {
        Supervisor(name: part, clock: ContinuousClock()) { [logger, metrics] what, delay in
            logger.error("\(what) — restarting it in \(delay.components.seconds) s")
            metrics.restarted(part)
            await beforeRestart()
        }
    }

    private func supervised(_ part: String, _ service: any Service) -> ServiceGroupConfiguration.ServiceConfiguration {
        .init(service: SupervisedService(service: service, supervisor: supervisor(part)))
    }

    private func shutdownResources() async {
        for lane in lanes { await lane.makeSafe() }
        await emergency?.stop()
        await udev?.stop()
        control.stop()
        events.finish()
        guestStates.finish()
        try? await client.shutdown()
        try? database.close()
        logger.notice("eguma-gate stopped: relays inactive, database closed")
    }

    /// Metrics gauges, connection warm-up, watchdog, retention; every few seconds until shutdown.
    private func housekeeping() async {
        announceReady()
        await client.warmUp()
        let interval: Duration = notifier.watchdogInterval.map { min($0, .seconds(5)) } ?? .seconds(5)
        var lastWarmUp = ContinuousClock.now
        var lastPrune = ContinuousClock.now - .seconds(86_400)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if notifier.watchdogInterval != nil { notifier.watchdog() }  // only when systemd asked (WatchdogSec)
            metrics.online(!(await online.isOffline))
            metrics.emergency(emergencySignal.isOpen)
            do {
                let outbox = try await database.outboxSummary()
                metrics.outboxDepth(outbox.pending)
                metrics.outbox(dead: outbox.dead, oldestPendingAge: outbox.oldestPending.map { .seconds(max(0, Date().timeIntervalSince($0))) })
            } catch {
                logger.error("cannot read the outbox for the metrics: \(error) — check the database \(config.gate.database)")
            }
            await probeJournal()
            for lane in lanes { metrics.scannerPresent(lane: lane.config.name, lane.scannerPresent) }
            if ContinuousClock.now - lastWarmUp > .seconds(60) {
                await client.warmUp()
                lastWarmUp = .now
            }
            if ContinuousClock.now - lastPrune > .seconds(86_400) {
                if let pruned = try? await database.prune(retentionDays: config.gate.retentionDays), pruned.events > 0 {
                    logger.info("retention: pruned \(pruned.events) events, \(pruned.admissions) admissions older than \(config.gate.retentionDays) days")
                }
                lastPrune = .now
            }
            try? await Task.sleep(for: interval)  // cancelled on graceful shutdown
        }
    }

    /// While something is out of order for a failed journal write, try a write: when it works
    /// every lane is back in service without waiting for a guest to scan.
    private func probeJournal() async {
        guard journalHealth.isFailing else { return }
        do {
            try await database.checkWritable()
            let back = journalHealth.allWorked()
            logger.notice("the journal \(config.gate.database) can be written again — back in service: \(back.joined(separator: ", "))")
        } catch {
            logger.debug("journal still not writable: \(error)")
        }
    }

    /// e-guma went offline or came back: a warning in the log and an `offline`/`online` event.
    private static func recordConnectivity(offline: Bool, reason: String, journal: ObservedJournal, logger: Logger) async {
        do {
            try await journal.append(GateEvent(offline ? .offline : .online, lane: "gate", message: reason))
        } catch {
            logger.warning("e-guma \(offline ? "offline" : "online") (\(reason)); the journal did not take the event: \(error)")
        }
    }

    // MARK: Reload

    private func reloadOn(_ signals: UnixSignalsSequence) async {
        await withGracefulShutdownHandler {
            for await _ in signals.cancelOnGracefulShutdown() {
                _ = await reload()
            }
        } onGracefulShutdown: {}
    }

    /// Re-reads the configuration: prices, products and policies apply at once, lanes keep
    /// running. Hardware and lane set changes need a restart (said in the log and the answer).
    public func reload() async -> ControlResponse {
        notifier.reloading()
        defer { notifier.ready(status: "reloaded") }
        let fresh: GateConfig
        do {
            fresh = try GateConfig.load(path: config.file)
        } catch {
            logger.error("reload refused, still running the previous configuration: \(error.description)")
            return .failure("configuration is not valid, nothing changed:\n\(error.description)")
        }
        var notes: [String] = []
        for lane in lanes {
            guard let updated = fresh.lane(lane.config.name) else {
                notes.append("lane \(lane.config.name) was removed: restart to apply")
                continue
            }
            await lane.engine?.update(settings: updated.settings)
            await lane.relay?.update(pulse: updated.settings.pulse)
            lane.screen.update(hold: updated.screenHold)
            lane.update(price: updated.settings.price)
            if updated.scanner != lane.config.scanner || updated.relay != lane.config.relay || updated.sensor != lane.config.sensor {
                notes.append("lane \(lane.config.name): scanner/relay/sensor changes apply after a restart")
            }
        }
        for name in fresh.laneNames where lane(name) == nil { notes.append("new lane \(name): restart to start it") }
        let message = (["configuration reloaded"] + notes).joined(separator: "; ")
        logger.notice("\(message)")
        return ControlResponse(ok: true, message: message)
    }

    // MARK: Control socket

    func handle(_ request: ControlRequest, peer: PeerCredentials) async -> ControlResponse {
        switch request.command {
        case "status":
            return ControlResponse(ok: true, status: await status())
        case "open":
            guard let name = request.lane, let lane = lane(name) else { return .failure(unknownLane(request.lane)) }
            guard lane.config.mode == .gate else { return .failure("lane \(name) is a balance-check lane: it has no relay") }
            lane.manualOpen(by: peer.userName, reason: request.reason)
            return ControlResponse(ok: true, message: "lane \(name) opened by \(peer.userName)")
        case "sim_passage":
            guard let name = request.lane, let lane = lane(name) else { return .failure(unknownLane(request.lane)) }
            guard let sensor = lane.config.sensor, sensor.isSimulated else {
                return .failure("lane \(name) has no simulated sensor — sim passage needs sensor = { chip = \"sim\", … }")
            }
            do {
                try simulatedChip.simulatePassage(line: sensor.line)
            } catch {
                return .failure(error.description)
            }
            return ControlResponse(ok: true, message: "passage on lane \(name)")
        case "reload":
            return await reload()
        case "unlock":
            guard let name = request.lane, let lane = lane(name) else { return .failure(unknownLane(request.lane)) }
            let paused = await lane.unlock(by: peer.userName)
            return ControlResponse(ok: true, message: paused ? "lane \(name) unlocked by \(peer.userName)"
                                                             : "lane \(name) was not paused")
        case "outbox_retry":
            guard let id = request.id else { return .failure("outbox_retry needs an id") }
            return await retryOutboxEntry(id)
        case "outbox_drop":
            guard let id = request.id else { return .failure("outbox_drop needs an id") }
            return await dropOutboxEntry(id, reason: request.reason, user: peer.userName)
        default:
            return .failure("unknown command \"\(request.command)\" — status, open, unlock, sim_passage, reload, outbox_retry or outbox_drop")
        }
    }

    private func unknownLane(_ name: String?) -> String {
        NameSuggestion.unknownLane(name ?? "\"\"", among: lanes.map(\.config.name))
    }

    /// `outbox retry ID`: due now, and the worker is woken so it tries the entry at once.
    private func retryOutboxEntry(_ id: Int64) async -> ControlResponse {
        do {
            guard try await database.retry(id) else { return .failure("no open outbox entry #\(id) — see eguma-gate outbox list") }
        } catch {
            return .failure("cannot make outbox entry #\(id) due: \(error) — check the database \(config.gate.database)")
        }
        outbox.kick()
        logger.notice("outbox entry #\(id) made due by an operator; trying it now")
        return ControlResponse(ok: true, message: "outbox entry #\(id) is being tried now")
    }

    /// `outbox drop ID --reason TEXT`: dropped for good, with an `outbox_dropped` event naming who and why.
    private func dropOutboxEntry(_ id: Int64, reason: String?, user: String) async -> ControlResponse {
        guard let reason = reason?.trimmingCharacters(in: .whitespacesAndNewlines), !reason.isEmpty else {
            return .failure("outbox drop needs a reason (--reason TEXT): it is kept in the journal")
        }
        do {
            guard let event = try await database.dropRecorded(id, user: user, reason: reason) else {
                return .failure("no open outbox entry #\(id) — see eguma-gate outbox list")
            }
            await journalObserved(event)
            return ControlResponse(ok: true, message: "outbox entry #\(id) dropped by \(user)")
        } catch {
            return .failure("cannot drop outbox entry #\(id): \(error) — check the database \(config.gate.database)")
        }
    }

    /// An event the store already wrote: logged, counted and broadcast like any other.
    private func journalObserved(_ event: GateEvent) async {
        ObservedJournal(database: database, file: config.gate.database, events: events, metrics: metrics, logger: logger,
                       health: journalHealth).observe(event)
    }

    public func status() async -> GateStatus {
        var laneStatus: [GateStatus.Lane] = []
        let entries: [String: Int]
        do { entries = try await database.entryCounts(since: Calendar.current.startOfDay(for: Date())) } catch {
            logger.error("status: cannot count today's entries: \(error)")
            entries = [:]
        }
        let admissions: [GateEventType] = [.entered, .cancelled, .denied, .offlineAdmitted, .manualOpen]
        for lane in lanes {
            let name = lane.config.name
            let recent: [JournalEvent]
            do { recent = try await database.latestEvents(.init(lane: name, types: admissions), limit: 5) } catch {
                logger.error("status: cannot read the last admissions of lane \(name): \(error) — check the database \(config.gate.database)")
                recent = []
            }
            let last = recent.reversed().map { e in  // newest first
                "\(e.timestamp.formatted(.iso8601.time(includingFractionalSeconds: false))) \(e.event.type.rawValue)"
                    + (e.event.code.map { " " + VoucherCode.mask($0) } ?? "")
                    + (e.event.message.map { " — " + $0 } ?? "")
            }
            laneStatus.append(GateStatus.Lane(
                name: name, mode: lane.config.mode.rawValue, scannerPresent: lane.scannerPresent,
                scannerDevice: lane.scannerDevice,
                state: journalHealth.problem("lane \(name)").map { "out of order — the journal cannot be written: \($0)" }
                    ?? lane.feedback.state.summary,
                entriesToday: entries[name] ?? 0, lastAdmissions: last))
        }
        let outbox: GateDatabase.OutboxSummary
        do { outbox = try await database.outboxSummary() } catch {
            logger.error("status: cannot read the outbox: \(error) — check the database \(config.gate.database)")
            outbox = GateDatabase.OutboxSummary(pending: -1, dead: -1)  // shown as unknown, never as empty
        }
        return GateStatus(gate: config.gate.name, online: !(await online.isOffline), emergency: emergencySignal.isOpen,
                          outboxPending: outbox.pending, outboxDead: outbox.dead, lanes: laneStatus)
    }
}

/// Why the gate could not start; `isConfiguration` selects exit code 2 over 1.
public struct StartupError: Error, Sendable, CustomStringConvertible {
    public let what: String
    public let reason: String
    public let isConfiguration: Bool
    public var description: String { "cannot \(what): \(reason)" }
}

/// A `Service` around an async function, optionally stopped on graceful shutdown by cancellation.
struct FunctionService: Service {
    let name: String
    let graceful: Bool
    let body: @Sendable () async -> Void

    init(_ name: String, graceful: Bool = false, _ body: @escaping @Sendable () async -> Void) {
        self.name = name; self.graceful = graceful; self.body = body
    }

    func run() async throws {
        if graceful {
            await body()  // reacts to graceful shutdown itself (lanes finish their admission)
        } else {
            await cancelWhenGracefulShutdown { await body() }
        }
    }
}

/// Balance-check lanes have no relay: pulsing one is a programming error reported, not a crash.
struct NoRelay: Relay {
    func pulse(for duration: Duration) async throws {
        throw GPIOError(operation: "pulse relay", subject: "(none)", cause: .simulatedChipUnavailable)
    }
    func forceInactive() async {}
}

/// Stands in for an outlet without a key (cannot happen after validation; keeps types total).
struct UnavailableVoucherService: VoucherService {
    func balance(of code: VoucherCode) async throws(VoucherServiceError) -> VoucherBalance { throw VoucherServiceError(.notSent, detail: "no API key for this outlet") }
    func redeem(_ code: VoucherCode, amount: Money, reference: String) async throws(VoucherServiceError) -> VoucherRedemption { throw VoucherServiceError(.notSent, detail: "no API key for this outlet") }
    func cancel(_ code: VoucherCode, token: String, amount: Money) async throws(VoucherServiceError) -> Money { throw VoucherServiceError(.notSent, detail: "no API key for this outlet") }
}
