import GateCore
import Logging

/// The passage sensor of one lane on a GPIO input line, with software debounce.
///
/// Edges arrive on the line's stream (fed by a dedicated thread for libgpiod, by injection for
/// the simulated chip); a pump task runs them through the `DebounceFilter` and counts accepted
/// ones. `arm()` forgets what came before, `waitForPassage` waits on the injected clock.
public actor GPIOPassageSensor: PassageSensor {
    public nonisolated let label: String
    /// Every raw edge with its debounce verdict. One consumer (the `gpio test` command, a test).
    public nonisolated let verdicts: AsyncStream<SensorEdgeVerdict>
    private let verdictContinuation: AsyncStream<SensorEdgeVerdict>.Continuation
    private let line: any GPIOInputLine
    private let clock: ElapsedClock
    private let logger: Logger
    private var filter: DebounceFilter
    private var accepted = 0
    /// Signalled at each accepted edge (and at stop); `arm()` forgets what came before.
    private let passage = WakeSignal()
    private var pump: Task<Void, Never>?
    private var stopped = false

    public init(
        config: GPIOLineConfig, opener: GPIOChipOpener, clock: ElapsedClock = .continuous,
        logger: Logger = Logger(label: "eguma-gate.gpio.sensor")
    ) throws(GPIOError) {
        let chip = try opener.open(config.chip)
        let line = try chip.requestInput(
            config.line, edge: config.edge, bias: config.bias, activeLow: config.activeLow,
            consumer: GPIOChipOpener.consumer)
        self.init(line: line, debounce: config.debounce, clock: clock, logger: logger)
    }

    public init(line: any GPIOInputLine, debounce: Duration, clock: ElapsedClock = .continuous,
                logger: Logger = Logger(label: "eguma-gate.gpio.sensor")) {
        self.line = line
        self.label = line.label
        self.clock = clock
        self.logger = logger
        self.filter = DebounceFilter(window: debounce)
        (verdicts, verdictContinuation) = AsyncStream.makeStream(
            of: SensorEdgeVerdict.self, bufferingPolicy: .bufferingNewest(256))
    }

    /// Starts reading edges. Called once after init (an actor cannot start a task on itself in init).
    public func start() {
        guard pump == nil, !stopped else { return }
        let events = line.events
        pump = Task { [weak self] in
            for await event in events {
                guard let self else { return }
                await self.receive(event)
            }
        }
    }

    public func arm() async {
        passage.reset()
    }

    public func waitForPassage(timeout: Duration) async throws -> Bool {
        if !stopped, passage.take() { return true }  // a passage since arm(), already counted
        let passed = await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.nextPassage() }
            group.addTask { [clock] in
                do { try await clock.sleep(for: timeout) } catch {}
                return false
            }
            var passed = await group.next() ?? false
            group.cancelAll()
            // A passage that lands together with the timeout still counts.
            for await other in group where other { passed = true }
            return passed
        }
        try Task.checkCancellation()
        return passed
    }

    /// Counted (debounced) edges since start.
    public var passageCount: Int { accepted }

    /// Releases the line and stops reading. Pending waits end as "no passage".
    public func stop() {
        guard !stopped else { return }
        stopped = true
        pump?.cancel()
        pump = nil
        line.release()
        verdictContinuation.finish()
        passage.signal()  // pending waits end, as "no passage" (stopped)
    }

    // MARK: private

    private func receive(_ event: GPIOEdgeEvent) {
        let counts = filter.accept(event)
        verdictContinuation.yield(SensorEdgeVerdict(edge: event, accepted: counts))
        guard counts else { return }
        accepted += 1
        logger.debug("sensor \(label): \(event.kind.rawValue) edge")
        passage.signal()
    }

    /// The next accepted edge since `arm()` (true), or false when cancelled or stopped.
    private func nextPassage() async -> Bool {
        guard !stopped else { return false }
        await passage.wait()
        return !Task.isCancelled && !stopped
    }
}
