import GateCore
import Logging

/// The turnstile release relay of one lane on a GPIO output line (libgpiod or simulated).
///
/// Safe states: the line is requested *inactive* (so start and reload never energise it), every
/// pulse drives it inactive when it ends or is cancelled, `stop()` drives it inactive before
/// releasing it, and a guard forces it off if it stays active longer than the configured pulse
/// plus grace. While the emergency contact is open the relay is held active (turnstile free).
///
/// Publishes every energise, release and refused pulse (`changes()`), in the order it drove the line.
public actor GPIORelay: Relay {
    public nonisolated let label: String
    private let line: any GPIOOutputLine
    private let clock: ElapsedClock
    private var guardPolicy: PulseGuardPolicy
    private let logger: Logger

    private var isActive = false
    private var stopped = false
    private var emergencyHold = false
    /// Identifies the current energised period, so a stale guard never acts on a later one.
    private var period = 0
    private var guardTask: Task<Void, Never>?
    private nonisolated let published = Broadcast<RelayChange>()

    /// How often the guard had to force the relay off (each is a bug worth a log line and a metric).
    public private(set) var guardTrips = 0
    /// Pulses completed or cancelled.
    public private(set) var pulseCount = 0

    /// Requests the line, inactive from the first instant.
    public init(
        config: GPIOLineConfig, pulse: Duration, opener: GPIOChipOpener, clock: ElapsedClock = .continuous,
        logger: Logger = Logger(label: "eguma-gate.gpio.relay")
    ) throws(GPIOError) {
        let chip = try opener.open(config.chip)
        let line = try chip.requestOutput(config.line, activeLow: config.activeLow, consumer: GPIOChipOpener.consumer)
        self.init(line: line, pulse: pulse, clock: clock, logger: logger)
    }

    /// Wraps an already requested line.
    public init(line: any GPIOOutputLine, pulse: Duration, clock: ElapsedClock = .continuous,
                logger: Logger = Logger(label: "eguma-gate.gpio.relay")) {
        self.line = line
        self.label = line.label
        self.clock = clock
        self.guardPolicy = PulseGuardPolicy(configuredPulse: pulse)
        self.logger = logger
    }

    /// A reload changed the lane's `pulse_ms`: the guard allows the new pulse from the next
    /// energised period on (a longer pulse is no longer cut at the old limit).
    public func update(pulse: Duration) {
        guard pulse != guardPolicy.configuredPulse else { return }
        guardPolicy.configuredPulse = pulse
        logger.info("relay \(label): pulse guard now allows \(guardPolicy.maximumOnTime) (pulse \(pulse))")
    }

    public nonisolated func changes() -> AsyncStream<RelayChange> {
        published.subscribe()
    }

    public func pulse(for duration: Duration) async throws {
        guard !stopped else {
            published.send(.refused)
            throw GPIOError(operation: "pulse relay", subject: label, cause: .released)
        }
        if emergencyHold {  // already held open: released now; the hold's end drives it inactive
            published.send(.energised(.pulse))
            return
        }
        do {
            try energise(.pulse)
        } catch {
            published.send(.refused)
            throw error
        }
        pulseCount += 1
        let myPeriod = period
        var sleepError: (any Error)?
        do {
            try await clock.sleep(for: duration)
        } catch {
            sleepError = error  // cancelled (shutdown): fall through and de-energise first
        }
        // Another pulse or the emergency hold may own the line now; only end our own period.
        if period == myPeriod && !emergencyHold {
            try deEnergise(reason: sleepError == nil ? "pulse end" : "pulse cancelled")
        }
        if let sleepError { throw sleepError }
    }

    public func forceInactive() async {
        emergencyHold = false
        do {
            try deEnergise(reason: "forced inactive")
        } catch {
            logger.error("relay \(label): could not drive inactive: \(error)")
        }
    }

    /// Holds the relay active while the emergency contact is open, and drives it inactive when
    /// it closes. Runs until cancelled (the daemon's lifetime), then leaves the relay inactive.
    public func follow(_ emergency: EmergencySignal) async {
        for await status in emergency.updates() {
            await setEmergencyHold(status.isOpen)
        }
        if emergencyHold { await forceInactive() }
    }

    /// Starts or ends the emergency hold.
    public func setEmergencyHold(_ open: Bool) async {
        guard !stopped, open != emergencyHold else { return }
        if open {
            emergencyHold = true
            do {
                try energise(.emergencyHold)
                logger.warning("relay \(label): emergency contact open — relay held released")
            } catch {
                logger.error("relay \(label): emergency hold failed: \(error)")
            }
        } else {
            await forceInactive()
            logger.notice("relay \(label): emergency contact closed — relay back to normal")
        }
    }

    /// Drives the relay inactive and gives the line back. Used at stop and reload; idempotent.
    public func stop() async {
        guard !stopped else { return }
        emergencyHold = false
        do {
            try deEnergise(reason: "stop")
        } catch {
            logger.error("relay \(label): could not drive inactive before release: \(error)")
        }
        stopped = true
        line.release()
    }

    /// Whether this relay believes its line active now.
    public var energised: Bool { isActive }

    // MARK: private

    /// Drives the line active and publishes it; a pulse's period is guarded, the hold's is not.
    private func energise(_ cause: RelayChange.Cause) throws {
        try line.setActive(true)
        isActive = true
        period += 1
        guardTask?.cancel()
        guardTask = nil
        published.send(.energised(cause))
        guard cause == .pulse else { return }
        let myPeriod = period
        let limit = guardPolicy.maximumOnTime
        guardTask = Task { [clock] in
            do { try await clock.sleep(for: limit) } catch { return }
            self.guardExpired(period: myPeriod)
        }
    }

    private func deEnergise(reason: String) throws {
        // Always write, even if we believe it inactive: the write is cheap and the belief may be
        // wrong. If it fails, the guard stays armed and tries again at its deadline.
        try line.setActive(false)
        guardTask?.cancel()
        guardTask = nil
        period += 1
        if isActive {
            logger.debug("relay \(label): inactive (\(reason))")
            published.send(.released)
        }
        isActive = false
    }

    private func guardExpired(period expired: Int) {
        guard expired == period, isActive, !emergencyHold else { return }
        guardTrips += 1
        logger.critical(
            "relay \(label): active longer than \(guardPolicy.maximumOnTime) — forced off by the pulse guard")
        do {
            try deEnergise(reason: "guard")
        } catch {
            logger.critical("relay \(label): guard could not drive inactive: \(error)")
        }
    }
}
