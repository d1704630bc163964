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

// Start-up: everything the configuration names is opened here, or nothing stays open.
extension GateRuntime {
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
        let chip = options.simulatedChip ?? SimulatedGPIOChip.fromEnvironment(ProcessInfo.processInfo.environment)
        let opener = GPIOChipOpener(simulated: chip)
        let clock = ContinuousClock()
        metrics.prepare(lanes: config.laneNames)
        let health = JournalHealth()
        let journal = ObservedJournal(database: database, file: config.gate.database, events: events, metrics: metrics,
                                      logger: logger, health: health)
        // Changes are recorded in the order the monitor saw them, by one held part of the
        // runtime (`recordConnectivity()`): a flap never lands as "online" before "offline".
        let (connectivity, connectivitySink) = AsyncStream.makeStream(of: ConnectivityChange.self,
                                                                      bufferingPolicy: .bufferingNewest(256))
        let online = OnlineMonitor(clock: clock) { offline, reason in
            connectivitySink.yield(ConnectivityChange(offline: offline, reason: reason))
        }
        // A full disk at start: stay up and say so (status, /healthz, log) rather than exit —
        // a restart loop would not free the disk, and the gate resumes by itself once it can write.
        do { try await database.checkWritable() } catch {
            logger.error("the journal \(config.gate.database) cannot be written: \(error) — every lane is out of order (refuses admissions) until it can; free space on its disk, the gate resumes by itself")
            for lane in config.lanes { health.failed("lane \(lane.name)", reason: "\(error)") }
        }
        // Each outlet's account currency: configured until e-guma answers, then remembered.
        let currencies = OutletCurrencies(file: OutletCurrencies.file(besideDatabase: config.gate.database),
                                          configured: config.outlets.mapValues(\.currency))
        var services: [String: any VoucherService] = [:]
        for (name, key) in keys {
            services[name] = EgumaVoucherService(client: client, key: key, currencySeen: { currencies.learn($0, outlet: name) })
        }
        // Outlets with a known e-guma user let the settle checks ask the redemption list first.
        var evidence: [String: any RedemptionEvidence] = [:]
        for (name, key) in keys {
            if let user = config.outlets[name]?.userID {
                evidence[name] = RedemptionListEvidence(client: client, key: key, userID: user, database: database)
            }
        }
        let outbox = OutboxWorker(store: ObservedOutbox(journal: journal, metrics: metrics, logger: logger),
                                  journal: journal, services: services, clock: clock, online: online, evidence: evidence,
                                  lanes: Dictionary(config.lanes.map { ($0.name, $0.settings) }, uniquingKeysWith: { first, _ in first }))
        let fleetReconcile = config.fleet.flatMap { try? FleetReconcileSource(settings: $0, logger: Logger(label: "eguma-gate.fleet")) }
        var reconcile = ReconcileService(
            reconciler: Reconciler(database: database, client: client, fleet: fleetReconcile),
            outlets: keys.keys.sorted().compactMap { name in keys[name].map { Reconciler.Outlet(name: name, key: $0, userID: config.outlets[name]?.userID) } },
            plan: ReconcilePlan(everyHours: config.gate.reconcileEveryHours, local: EgumaLocalTime(config.api.timeZone)),
            journal: journal, logger: logger, now: { Date() },
            closingMessages: { since in
                (try? await database.reportEvents(from: since, to: .distantFuture))?
                    .filter { $0.type == .reconciled || $0.type == .reconcileMismatch }.compactMap(\.message)
            },
            ranBefore: { date in (try? await database.hasEvents(before: date)) ?? true })
        if let fleetReconcile {
            // Held across runs by the gate that reconciles; free again an hour after its last run.
            let hold = Duration.seconds(max(1, config.gate.reconcileEveryHours) * 3_600 + 3_600)
            reconcile.lease = { user in await fleetReconcile.acquireLease(userID: user, for: hold) }
        }

        // Hardware: everything opened here is released again if a later step fails.
        let box = Mutex<GateRuntime?>(nil)
        let fleet: FleetService?
        do {
            fleet = try makeFleet(config, database: database, journal: journal, options: options,
                                  runtime: { box.withLock { $0 } }, logger: logger)
        } catch {
            try? await client.shutdown()
            throw StartupError(what: "set up the fleet ([fleet])", reason: "\(error)", isConfiguration: true)
        }

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
                                                 emergency: emergencySignal, states: states, currencies: currencies,
                                                 claims: fleet?.claims, logger: logger))
            }
        } catch {
            await releaseAll()
            throw error
        }

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
                                  journalHealth: health, reconcile: reconcile, connectivity: connectivity, journal: journal,
                                  fleet: fleet)
        box.withLock { $0 = runtime }
        return runtime
    }

    private static func makeLane(
        _ lane: LaneConfig, opener: GPIOChipOpener, watcher: UdevWatcher?, options: Options,
        services: [String: any VoucherService], journal: ObservedJournal, outbox: OutboxWorker<ContinuousClock>,
        online: OnlineMonitor<ContinuousClock>, clock: ContinuousClock, emergency: EmergencySignal,
        states: Broadcast<LaneFeedback.LaneState>, currencies: OutletCurrencies, claims: (any OfflineClaims)?, logger: Logger
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
                               lights: lights, feedback: feedback, screen: screen, emergency: emergency,
                               currency: { currencies.currency(of: lane.settings.outlet) }, logger: Logger(label: "eguma-gate.lane.\(lane.name)"))
        }
        let engine = LaneEngine(settings: lane.settings, service: service, relay: relay ?? NoRelay(), sensor: sensor,
                                lights: lights, feedback: screen, journal: journal.forLane(lane.name), outbox: journal.database, online: online,
                                clock: clock, outboxKick: { outbox.kick() }, emergency: emergency, claims: claims)
        return LaneRuntime(config: lane, engine: engine, source: source, relay: relay, sensor: sensor, lights: lights,
                           feedback: feedback, screen: screen, emergency: emergency,
                           currency: { currencies.currency(of: lane.settings.outlet) }, logger: Logger(label: "eguma-gate.lane.\(lane.name)"))
    }
}

/// Why the gate could not start; `isConfiguration` selects exit code 2 over 1.
public struct StartupError: Error, Sendable, CustomStringConvertible {
    public let what: String
    public let reason: String
    public let isConfiguration: Bool
    public var description: String { "cannot \(what): \(reason)" }
}

/// Balance-check lanes have no relay: pulsing one is a programming error reported, not a crash.
struct NoRelay: Relay {
    private let published = Broadcast<RelayChange>()
    func pulse(for duration: Duration) async throws {
        published.send(.refused)
        throw GPIOError(operation: "pulse relay", subject: "(none)", cause: .simulatedChipUnavailable)
    }
    func forceInactive() async {}
    func changes() -> AsyncStream<RelayChange> { published.subscribe() }
}

/// Stands in for an outlet without a key (cannot happen after validation; keeps types total).
struct UnavailableVoucherService: VoucherService {
    func balance(of code: VoucherCode) async throws(VoucherServiceError) -> VoucherBalance { throw VoucherServiceError(.notSent, detail: "no API key for this outlet") }
    func redeem(_ code: VoucherCode, amount: Money, reference: String) async throws(VoucherServiceError) -> VoucherRedemption { throw VoucherServiceError(.notSent, detail: "no API key for this outlet") }
    func cancel(_ code: VoucherCode, token: String, amount: Money) async throws(VoucherServiceError) -> Money { throw VoucherServiceError(.notSent, detail: "no API key for this outlet") }
}
