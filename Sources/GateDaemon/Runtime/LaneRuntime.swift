import GateCore
import GateHardware
import Logging
import ServiceLifecycle
import Synchronization

/// One lane while the daemon runs: its scanner source, engine (or, on a balance-check lane, its
/// balance runner), relay, sensor and lights.
///
/// The source's reader yields straight into the engine's inbox through the lane's `ScannerSink`,
/// which notes presence (status, metrics) on the way. The inbox is finished on graceful shutdown,
/// so the engine finishes the admission in flight and returns; only then is the source stopped,
/// its device closed, and the relay driven inactive and released.
public final class LaneRuntime: Sendable {
    public let config: LaneConfig
    public let feedback: LaneFeedback
    /// nil on a balance-check lane.
    let engine: LaneEngine<ContinuousClock>?
    let balanceRunner: BalanceCheckLane<ContinuousClock>?
    /// The engine's (or balance runner's) view of `feedback`: returns held screens to idle.
    let screen: ScreenHold<ContinuousClock>
    let source: any CodeSource
    let relay: GPIORelay?
    let sensor: GPIOPassageSensor?
    let lights: GPIOSignalLights?
    /// The gate's emergency contact: the relay follows it for as long as the lane runs.
    let emergency: EmergencySignal?
    private let presence = Mutex<(present: Bool, device: String?)>((false, nil))
    private let isSafe = Mutex(false)
    private let price: Mutex<Money>
    /// The currency of the lane's outlet now (`OutletCurrencies`).
    private let currency: @Sendable () -> String
    private let logger: Logger

    init(config: LaneConfig, engine: LaneEngine<ContinuousClock>?, balanceRunner: BalanceCheckLane<ContinuousClock>? = nil,
         source: any CodeSource, relay: GPIORelay?,
         sensor: GPIOPassageSensor?, lights: GPIOSignalLights?, feedback: LaneFeedback, screen: ScreenHold<ContinuousClock>,
         emergency: EmergencySignal? = nil,
         currency: @escaping @Sendable () -> String = { OutletCurrencies.defaultCurrency }, logger: Logger) {
        self.currency = currency; self.emergency = emergency
        self.config = config; self.engine = engine; self.balanceRunner = balanceRunner; self.source = source; self.relay = relay
        self.sensor = sensor; self.lights = lights; self.feedback = feedback; self.screen = screen; self.logger = logger
        self.price = Mutex(config.settings.price)
    }

    public var scannerPresent: Bool { presence.withLock { $0.present } }
    public var scannerDevice: String? { presence.withLock { $0.device } }

    /// The entry price now (the configured one, or the one a reload set), for the idle screen.
    public var entryPrice: Money { price.withLock { $0 } }

    func update(price: Money) { self.price.withLock { $0 = price } }

    /// The lane's guest texts for every display: its language, its outlet's currency, and on gate
    /// lanes the entry price on the idle screen (following reloads).
    public var guestTexts: GuestTexts {
        let language = DisplayLanguage(code: config.language)
        guard config.mode == .gate else { return GuestTexts(language: language, balanceLane: true, currency: currency) }
        let price: @Sendable () -> Money? = { [self] in entryPrice }
        return GuestTexts(language: language, price: price, currency: currency)
    }

    /// Staff opened the lane by hand (`eguma-gate open LANE [--reason TEXT]`); who and why go
    /// into the `manual_open` event.
    public func manualOpen(by user: String, reason: String? = nil) {
        let why = reason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        engine?.inbox.send(.manualOpen(reason: "opened by \(user)" + (why.isEmpty ? "" : ": \(why)")))
    }

    /// A code typed on the lane's kiosk keypad: handled exactly like a scanned frame (guess guard,
    /// ShortCode budget), its events stamped `source = "keypad"`. The code is never logged here.
    public func keypad(_ code: [UInt8]) {
        engine?.inbox.send(.keypad(code))
    }

    /// Staff ended a code-guessing pause (`eguma-gate unlock LANE`). Returns whether the lane was
    /// paused; the engine records `lane_unlocked` with the user when it handles the request.
    public func unlock(by user: String) async -> Bool {
        if let balanceRunner { return await balanceRunner.unlock(by: "unlocked by \(user)") }
        let paused = await engine?.isPaused ?? false
        engine?.inbox.send(.unlock(reason: "unlocked by \(user)"))
        return paused
    }

    /// Runs until graceful shutdown, then makes the hardware safe. An engine that ends or a run
    /// that fails before that is restarted by `supervisor` (relay forced inactive first), so one
    /// lane's failure never stops another lane or the daemon.
    func run(supervisor: Supervisor<ContinuousClock>) async {
        await withDiscardingTaskGroup { group in
            // Held by the lane: the relay follows the emergency contact while the lane runs
            // (across engine restarts), and stops following when the lane ends.
            if let relay, let emergency { group.addTask { await relay.follow(emergency) } }
            await supervisor.run { [self] in await runOnce() }
            group.cancelAll()
        }
        await makeSafe()
    }

    /// One run of the engine (or balance runner) and the scanner source; returns on graceful
    /// shutdown once the source's device is closed.
    private func runOnce() async {
        let source = self.source, sink = scannerSink
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { [self] in
                    // Returns when cancelled (below), once the device is closed: a restart or
                    // the shutdown's makeSafe never races the old reader for it.
                    await source.run(into: sink)
                    guard !Task.isShuttingDownGracefully, !Task.isCancelled else { return }
                    // A source that ends by itself is a scanner gone for good (a script's end):
                    // "scanner missing" — event, red LED, metric — and the lane stays up for
                    // `open`, status and an orderly stop.
                    let device = presence.withLock { $0.device } ?? "scanner"
                    logger.error("lane \(config.name): the input of \(device) ended — scanner missing until the daemon restarts")
                    sink.yield(.detached(device: device, reason: "\(device): input ended"))
                }
                if let engine {
                    await engine.run()
                } else {
                    await balanceRunner?.run()
                }
                group.cancelAll()  // stops the source, which closes the device
            }
        } onGracefulShutdown: { [engine, balanceRunner] in
            engine?.inbox.finish()
            balanceRunner?.inbox.finish()
        }
    }

    /// The lane's end of its source: presence is noted before the event is queued, so status
    /// never lags the engine; then the event goes into the engine's (or balance runner's) inbox.
    private var scannerSink: ScannerSink {
        ScannerSink { [self] event in
            switch event {
            case .attached(let device): presence.withLock { $0 = (true, device) }
            case .detached: presence.withLock { $0 = (false, nil) }
            case .frame: break
            }
            if let engine { engine.inbox.send(.scanner(event)) } else { balanceRunner?.inbox.yield(event) }
        }
    }

    /// Between a failed run and its restart: nothing may stay energised.
    func forceInactive() async {
        await relay?.forceInactive()
    }

    /// Relay inactive and released, sensor and lights stopped. Safe to call more than once.
    func makeSafe() async {
        // The lane makes itself safe when it stops, and shutdown does it again for every lane:
        // the second time the relay's line is already released and driving it would only log an error.
        let first = isSafe.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        if let relay {
            await relay.forceInactive()
            await relay.stop()
        }
        await sensor?.stop()
        await lights?.stop()
    }
}
