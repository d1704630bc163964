import EgumaAPI
import Foundation
import GateCore
import GateFleet
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
        /// This machine's id for the fleet's gate registration; nil reads /etc/machine-id.
        public var machineID: String?
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
    /// Journal shipping and heartbeat to the site's PostgreSQL; nil without `[fleet]`.
    public let fleet: FleetService?
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
    /// e-guma's online/offline changes, in order, for the `connectivity` part to record.
    private let connectivity: AsyncStream<ConnectivityChange>
    private let journal: ObservedJournal
    private let group = Mutex<ServiceGroup?>(nil)
    private let parts = Mutex<[String]>([])

    init(config: GateConfig, database: GateDatabase, client: EgumaClient, metrics: GateMetrics,
                 events: Broadcast<GateEvent>, guestStates: Broadcast<LaneFeedback.LaneState>, lanes: [LaneRuntime],
                 simulatedChip: SimulatedGPIOChip, outbox: OutboxWorker<ContinuousClock>, online: OnlineMonitor<ContinuousClock>,
                 udev: UdevWatcher?, emergency: GPIOEmergencyInput?, emergencySignal: EmergencySignal, control: ControlServer,
                 notifier: SystemdNotifier, options: Options, logger: Logger, journalHealth: JournalHealth,
                 reconcile: ReconcileService, connectivity: AsyncStream<ConnectivityChange>, journal: ObservedJournal,
                 fleet: FleetService? = nil) {
        self.connectivity = connectivity; self.journal = journal; self.fleet = fleet
        self.config = config; self.database = database; self.client = client; self.metrics = metrics
        self.events = events; self.guestStates = guestStates; self.lanes = lanes; self.simulatedChip = simulatedChip
        self.outbox = outbox; self.online = online; self.udev = udev; self.emergency = emergency
        self.emergencySignal = emergencySignal; self.control = control; self.notifier = notifier
        self.options = options; self.logger = logger; self.reloads = Broadcast(); self.journalHealth = journalHealth
        self.reconcile = reconcile
        self.kiosk = config.gate.display == nil ? nil : KioskHub(lanes: lanes, keys: KeypadKeys.prepare(
            lanes: config.lanes.filter { $0.guestInput.keypad || $0.guestInput.receipt == .ask }.map(\.name), besideDatabase: config.gate.database, logger: logger))
    }

    public func lane(_ name: String) -> LaneRuntime? { lanes.first { $0.config.name == name } }

    // MARK: Running

    /// Runs until SIGTERM/SIGINT (or until the surrounding task is cancelled / shut down gracefully).
    public func run() async throws {
        // SIGHUP is trapped before anything can tell systemd we are ready: a reload right after
        // READY must not hit the default action (terminate).
        let hangups: UnixSignalsSequence? = options.handleSignals ? await UnixSignalsSequence(trapping: .sighup) : nil
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            part("outbox") { [outbox] in await outbox.run() },
            // Supervised per lane; not cancelled on graceful shutdown: lanes finish their admission.
            .init(service: ClosureService { [self] in await runLanes() }),
            supervised("control socket", control),
            part("housekeeping") { [self] in await housekeeping() },
            part("connectivity") { [self] in await recordConnectivity() },
        ]
        // Off (reconcile_every_h = 0): not a part at all — a body that returns at once would be
        // restarted by its supervisor forever.
        if reconcile.isOn {
            services.append(part("reconcile") { [reconcile] in await reconcile.run() })
        }
        if let fleet {
            // A failure of the fleet part reaches its supervisor (logged, counted, restarted).
            services.append(supervised("fleet", ClosureService { try await cancelWhenGracefulShutdown { try await fleet.run() } }))
        }
        if let address = config.gate.metrics {
            services.append(supervised("metrics server", MetricsServer(address: address, metrics: metrics, logger: logger,
                                                                       health: { [journalHealth] in journalHealth.summary })))
        }
        if let address = config.gate.display, let kiosk {
            services.append(supervised("kiosk server", KioskServer(address: address, hub: kiosk, states: guestStates, logger: logger)))
        }
        if let receipts = receiptPart() { services.append(receipts) }
        for lane in lanes {
            guard case .serial(let path, let baud, let codepage, let scroll)? = lane.config.display else { continue }
            let port = PoleDisplayPort(path: path, baud: baud, codepage: codepage,
                                       logger: Logger(label: "eguma-gate.lane.\(lane.config.name).display"))
            let driver = PoleDisplayDriver(
                texts: lane.guestTexts,
                codepage: codepage, scroll: scroll, clock: ContinuousClock(), write: { await port.write($0) })
            let name = lane.config.name
            let feedback = lane.feedback
            services.append(part("display \(name)") { [guestStates] in
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
            })
        }
        if let hangups {
            services.append(part("reload") { [self] in await reloadOn(hangups) })
        }
        parts.withLock { $0 = services.map { ($0.service as? SupervisedService)?.description ?? "lanes" } }
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
        let released = StartupPages.release()
        logger.debug("released \(released) KiB of start-up pages")
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

    func supervised(_ part: String, _ service: any Service) -> ServiceGroupConfiguration.ServiceConfiguration {
        .init(service: SupervisedService(service: service, supervisor: supervisor(part)))
    }

    /// A supervised part around an async function, cancelled on graceful shutdown (ServiceLifecycle's
    /// `ClosureService`; the supervisor restarts it when it ends or fails).
    func part(_ name: String, _ body: @escaping @Sendable () async -> Void) -> ServiceGroupConfiguration.ServiceConfiguration {
        supervised(name, ClosureService { await cancelWhenGracefulShutdown { await body() } })
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
    /// Records every connectivity change as an `offline` / `online` event, one after the other.
    private func recordConnectivity() async {
        for await change in connectivity {
            do {
                try await journal.append(GateEvent(change.offline ? .offline : .online, lane: "gate", message: change.reason))
            } catch {
                logger.warning("e-guma \(change.offline ? "offline" : "online") (\(change.reason)); the journal did not take the event: \(error)")
            }
        }
    }
}

/// One change of e-guma's reachability as `OnlineMonitor` saw it.
struct ConnectivityChange: Sendable {
    let offline: Bool
    let reason: String
}
