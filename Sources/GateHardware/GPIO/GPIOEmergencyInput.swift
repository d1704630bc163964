import GateCore
import Logging

/// The emergency (fire alarm) dry contact, normally closed, on a GPIO input line.
///
/// Wired to ground with a pull-up, a closed contact reads low (inactive) and an open one high
/// (active), so "active" means "emergency" and a cut wire also opens the lanes. Each raw edge
/// restarts a settle window; when the line has been quiet for the window its level is read and
/// written to the `EmergencySignal`, which counts the openings and closings. A glitch shorter
/// than the window therefore changes nothing.
public actor GPIOEmergencyInput {
    public nonisolated let signal: EmergencySignal
    public nonisolated let label: String
    /// Every raw edge, after it was handled (tests await these; `gpio test` could print them).
    public nonisolated let rawEdges: AsyncStream<GPIOEdgeEvent>
    private let rawEdgeContinuation: AsyncStream<GPIOEdgeEvent>.Continuation
    private let line: any GPIOInputLine
    private let clock: ElapsedClock
    private let settle: Duration
    private let logger: Logger
    private var pump: Task<Void, Never>?
    private var settleTask: Task<Void, Never>?
    private var rawEdgeTotal = 0
    private var stopped = false

    public init(
        config: GPIOLineConfig, signal: EmergencySignal, opener: GPIOChipOpener, clock: ElapsedClock = .continuous,
        logger: Logger = Logger(label: "eguma-gate.gpio.emergency")
    ) throws(GPIOError) {
        let chip = try opener.open(config.chip)
        let line = try chip.requestInput(
            config.line, edge: .both, bias: config.bias, activeLow: config.activeLow, consumer: GPIOChipOpener.consumer)
        self.init(line: line, signal: signal, settle: config.debounce, clock: clock, logger: logger)
    }

    public init(line: any GPIOInputLine, signal: EmergencySignal, settle: Duration, clock: ElapsedClock = .continuous,
                logger: Logger = Logger(label: "eguma-gate.gpio.emergency")) {
        self.line = line
        self.label = line.label
        self.signal = signal
        self.settle = settle
        self.clock = clock
        self.logger = logger
        (rawEdges, rawEdgeContinuation) = AsyncStream.makeStream(of: GPIOEdgeEvent.self, bufferingPolicy: .bufferingNewest(256))
    }

    /// Reads the contact's level now (not counted as an edge) and starts following its edges.
    public func start() throws(GPIOError) {
        guard pump == nil, !stopped else { return }
        let open = try line.isActive()
        signal.setInitial(contactOpen: open)
        if open { logger.warning("emergency contact \(label) is open at start — every lane held released") }
        let events = line.events
        pump = Task { [weak self] in
            for await event in events {
                guard let self else { return }
                await self.receive(event)
            }
        }
    }

    /// Raw edges seen (bounces included).
    public var rawEdgeCount: Int { rawEdgeTotal }

    public func stop() {
        guard !stopped else { return }
        stopped = true
        pump?.cancel()
        settleTask?.cancel()
        line.release()
        rawEdgeContinuation.finish()
    }

    private func receive(_ event: GPIOEdgeEvent) {
        rawEdgeTotal += 1
        logger.info("emergency contact \(label): raw \(event.kind.rawValue) edge")
        settleTask?.cancel()
        settleTask = Task { [clock, settle] in
            do { try await clock.sleep(for: settle) } catch { return }
            self.settled()
        }
        rawEdgeContinuation.yield(event)
    }

    private func settled() {
        guard !stopped else { return }
        do {
            let open = try line.isActive()
            let before = signal.status
            let after = signal.record(contactOpen: open)
            if after != before {
                let message: Logger.Message = "emergency contact \(label) \(open ? "OPEN — every lane held released" : "closed — lanes back to normal") (openings \(after.openings), closings \(after.closings))"
                if open { logger.critical(message) } else { logger.notice(message) }
            }
        } catch {
            logger.error("emergency contact \(label): \(error)")
        }
    }
}
