import GateCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The simulated GPIO chip (`chip = "sim"`): the same interface as a libgpiod chip, for
/// `eguma-gate demo` and tests.
///
/// It records every line change with a timestamp from its clock, and lets a test (or
/// `eguma-gate sim passage LANE`) move input lines. Busy lines are refused like the kernel does,
/// naming the consumer, so error paths run here too.
public final class SimulatedGPIOChip: GPIOChip, Sendable {
    public let name = GPIOLineConfig.simulatedChip
    public let lineCount: Int
    private let lineNames: [String: Int]
    private let clock: ElapsedClock
    /// Where every driven change goes as `OFFSET VALUE CLOCK_MONOTONIC_NS` (nil: nowhere).
    private let driveTrace: DriveTrace?

    private struct Line {
        var consumer: String?
        var isOutput = false
        var activeLow = false
        var edge: GPIOEdge = .both
        /// The electrical level; inputs idle high (pulled up) until a test moves them.
        var physicalHigh = true
        var generation = 0
        var continuation: AsyncStream<GPIOEdgeEvent>.Continuation?

        var active: Bool { physicalHigh != activeLow }
    }

    private struct State {
        var lines: [Int: Line] = [:]
        var changes: [SimulatedLineChange] = []
        /// Every recorded change, live (`changeStream`).
        let observed = Broadcast<SimulatedLineChange>()

        /// Keeps the newest `changeLogLimit` changes: `chip = "sim"` also runs for days (demo,
        /// benchmarks), and two changes per admission must not grow the daemon (issue 13).
        /// Publishes each under the chip's lock, so observers see them in the order they happened.
        mutating func record(_ change: SimulatedLineChange) {
            observed.send(change)
            changes.append(change)
            if changes.count >= SimulatedGPIOChip.changeLogLimit * 2 {
                changes.removeFirst(changes.count - SimulatedGPIOChip.changeLogLimit)  // amortised O(1)
            }
        }
    }

    /// How many recorded changes `changes` keeps at least (the newest); older ones are dropped.
    public static let changeLogLimit = 4_096

    private let state = Mutex(State())

    /// - Parameters:
    ///   - lineCount: lines 0..<lineCount exist.
    ///   - lineNames: optional names, so configurations naming lines can be tested.
    ///   - clock: timestamps for records and edges.
    ///   - driveTrace: a file that gets one line per driven output change, `OFFSET 1|0 NS`, NS
    ///     read from `CLOCK_MONOTONIC` as the line changes — so another process (the latency
    ///     benchmark) can time "relay energised" against its own clock. Nil: no file.
    public init(lineCount: Int = 64, lineNames: [String: Int] = [:], clock: ElapsedClock = .continuous,
                driveTrace: String? = nil) {
        self.lineCount = lineCount
        self.lineNames = lineNames
        self.clock = clock
        self.driveTrace = driveTrace.flatMap(DriveTrace.init(path:))
    }

    /// The chip `eguma-gate run` uses for `chip = "sim"`: with a drive trace when the
    /// environment names one in `EGUMA_GATE_SIM_TRACE` (the latency benchmark does).
    public static func fromEnvironment(_ environment: [String: String]) -> SimulatedGPIOChip {
        SimulatedGPIOChip(driveTrace: environment[driveTraceVariable].flatMap { $0.isEmpty ? nil : $0 })
    }

    /// The environment variable naming the drive trace file.
    public static let driveTraceVariable = "EGUMA_GATE_SIM_TRACE"

    /// Now on CLOCK_MONOTONIC, in nanoseconds: the drive trace's clock.
    public static func monotonicNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    // MARK: what tests and the demo read

    /// The recorded changes, oldest first: at least the newest `changeLogLimit`.
    public var changes: [SimulatedLineChange] { state.withLock { $0.changes } }

    /// The recorded changes of one line.
    public func changes(ofLine offset: Int) -> [SimulatedLineChange] {
        changes.filter { $0.offset == offset }
    }

    /// Live changes from now on (the demo prints them).
    public func changeStream() -> AsyncStream<SimulatedLineChange> {
        state.withLock { $0.observed.subscribe() }
    }

    /// The logical value of a line now (nil if it was never requested or set).
    public func isActive(line offset: Int) -> Bool? {
        state.withLock { s in s.lines[offset].map(\.active) }
    }

    /// The electrical level of a line now.
    public func isPhysicalHigh(line offset: Int) -> Bool? {
        state.withLock { s in s.lines[offset].map(\.physicalHigh) }
    }

    /// Who holds a line, as `gpioinfo` would show.
    public func consumer(ofLine offset: Int) -> String? {
        state.withLock { $0.lines[offset]?.consumer }
    }

    // MARK: what tests and `sim passage` drive

    /// Moves an input line to an electrical level, as a sensor or contact would. Emits an edge to
    /// the requester if the logical level changed and its edge selection includes it.
    public func setInput(line offset: Int, high: Bool) {
        let now = clock.now
        state.withLock { s in
            var line = s.lines[offset] ?? Line()
            let wasActive = line.active
            line.physicalHigh = high
            s.lines[offset] = line
            guard line.active != wasActive else { return }
            let kind: GPIOEdgeKind = line.active ? .rising : .falling
            // The requester's edge first, then the change for observers (as before the move to Broadcast).
            if !line.isOutput, line.edge.includes(kind) { line.continuation?.yield(GPIOEdgeEvent(kind: kind, timestamp: now)) }
            s.record(SimulatedLineChange(
                timestamp: now, offset: offset, kind: .input, physicalHigh: high, active: line.active, consumer: line.consumer))
        }
    }

    /// Sets an input line to a *logical* level (after the requester's `active_low`).
    public func setInput(line offset: Int, active: Bool) {
        let activeLow = state.withLock { $0.lines[offset]?.activeLow ?? false }
        setInput(line: offset, high: active != activeLow)
    }

    /// A guest walking through: the sensor goes to its triggered level and back, producing one
    /// edge of the kind the sensor is configured for.
    public func simulatePassage(line: GPIOLineID) throws(GPIOError) {
        let offset = try resolve(line, operation: "simulate passage on")
        let edge = state.withLock { $0.lines[offset]?.edge ?? .falling }
        // A falling-edge sensor is triggered by going inactive, a rising one by going active.
        let triggered = edge == .rising
        setInput(line: offset, active: triggered)
        setInput(line: offset, active: !triggered)
    }

    // MARK: GPIOChip

    func resolve(_ id: GPIOLineID, operation: String) throws(GPIOError) -> Int {
        let offset: Int? = switch id {
        case .offset(let offset): offset < lineCount ? offset : nil
        case .name(let name): lineNames[name]
        }
        guard let offset else {
            throw GPIOError(operation: operation, subject: "sim \(id)", cause: .lineNotFound(lineCount: lineCount))
        }
        return offset
    }

    public func requestOutput(_ line: GPIOLineID, activeLow: Bool, consumer: String) throws(GPIOError)
        -> any GPIOOutputLine
    {
        let offset = try resolve(line, operation: "request output")
        let now = clock.now
        let result: Result<Int, GPIOError> =
            state.withLock { s in
                var state = s.lines[offset] ?? Line()
                if let holder = state.consumer {
                    return .failure(GPIOError(operation: "request output", subject: "sim \(line)", cause: .lineBusy(consumer: holder)))
                }
                state.consumer = consumer
                state.isOutput = true
                state.activeLow = activeLow
                state.physicalHigh = activeLow  // logically inactive from the first instant
                state.generation += 1
                s.lines[offset] = state
                let change = SimulatedLineChange(
                    timestamp: now, offset: offset, kind: .requestedOutput, physicalHigh: state.physicalHigh,
                    active: false, consumer: consumer)
                s.record(change)
                return .success(state.generation)
            }
        let generation = try result.get()
        return SimulatedOutputLine(chip: self, offset: offset, generation: generation, label: "sim \(line)")
    }

    public func requestInput(
        _ line: GPIOLineID, edge: GPIOEdge, bias: GPIOBias, activeLow: Bool, consumer: String
    ) throws(GPIOError) -> any GPIOInputLine {
        let offset = try resolve(line, operation: "request input")
        let now = clock.now
        let (events, continuation) = AsyncStream.makeStream(of: GPIOEdgeEvent.self, bufferingPolicy: .bufferingNewest(256))
        let result: Result<Int, GPIOError> =
            state.withLock { s in
                var state = s.lines[offset] ?? Line()
                if let holder = state.consumer {
                    return .failure(GPIOError(operation: "request input", subject: "sim \(line)", cause: .lineBusy(consumer: holder)))
                }
                state.consumer = consumer
                state.isOutput = false
                state.activeLow = activeLow
                state.edge = edge
                if s.lines[offset] == nil {
                    // An untouched input rests where its bias pulls it.
                    state.physicalHigh = bias != .pullDown
                }
                state.continuation = continuation
                state.generation += 1
                s.lines[offset] = state
                let change = SimulatedLineChange(
                    timestamp: now, offset: offset, kind: .requestedInput, physicalHigh: state.physicalHigh,
                    active: state.active, consumer: consumer)
                s.record(change)
                return .success(state.generation)
            }
        let generation = try result.get()
        return SimulatedInputLine(chip: self, offset: offset, generation: generation, label: "sim \(line)", events: events)
    }

    // MARK: used by the line objects

    func drive(offset: Int, generation: Int, active: Bool, label: String) throws(GPIOError) {
        let now = clock.now
        let monotonic = driveTrace.map { _ in Self.monotonicNanoseconds() }
        let result: Result<Bool, GPIOError> =
            state.withLock { s in
                guard var line = s.lines[offset], line.generation == generation, line.consumer != nil else {
                    return .failure(GPIOError(operation: "set", subject: label, cause: .released))
                }
                guard line.active != active else { return .success(false) }
                line.physicalHigh = active != line.activeLow
                s.lines[offset] = line
                let change = SimulatedLineChange(
                    timestamp: now, offset: offset, kind: .driven, physicalHigh: line.physicalHigh, active: active,
                    consumer: line.consumer)
                s.record(change)
                return .success(true)
            }
        let changed = try result.get()
        if changed, let driveTrace, let monotonic { driveTrace.append(offset: offset, active: active, at: monotonic) }
    }

    func read(offset: Int, generation: Int, label: String) throws(GPIOError) -> Bool {
        let value: Bool? = state.withLock { s in
            guard let line = s.lines[offset], line.generation == generation, line.consumer != nil else { return nil }
            return line.active
        }
        guard let value else { throw GPIOError(operation: "read", subject: label, cause: .released) }
        return value
    }

    func release(offset: Int, generation: Int) {
        let now = clock.now
        let continuation = state.withLock { s -> AsyncStream<GPIOEdgeEvent>.Continuation? in
            guard var line = s.lines[offset], line.generation == generation, line.consumer != nil else { return nil }
            let change = SimulatedLineChange(
                timestamp: now, offset: offset, kind: .released, physicalHigh: line.physicalHigh, active: line.active,
                consumer: line.consumer)
            let continuation = line.continuation
            line.consumer = nil
            line.continuation = nil
            s.lines[offset] = line
            s.record(change)
            return continuation
        }
        continuation?.finish()
    }
}

/// The simulated chip's drive trace file, opened once for appending. A line is one `write(2)`,
/// so lines never interleave; a failed write is dropped (the trace is a measurement aid, never
/// a reason for the relay to fail).
final class DriveTrace: Sendable {
    private let fd: Int32

    init?(path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return nil }
        self.fd = fd
    }

    deinit { close(fd) }

    func append(offset: Int, active: Bool, at nanoseconds: Int64) {
        let line = "\(offset) \(active ? 1 : 0) \(nanoseconds)\n"
        _ = line.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
    }
}

/// An output line of the simulated chip.
final class SimulatedOutputLine: GPIOOutputLine, Sendable {
    let label: String
    private let chip: SimulatedGPIOChip
    private let offset: Int
    private let generation: Int

    init(chip: SimulatedGPIOChip, offset: Int, generation: Int, label: String) {
        self.chip = chip
        self.offset = offset
        self.generation = generation
        self.label = label
    }

    func setActive(_ active: Bool) throws(GPIOError) {
        try chip.drive(offset: offset, generation: generation, active: active, label: label)
    }

    func release() { chip.release(offset: offset, generation: generation) }
}

/// An input line of the simulated chip.
final class SimulatedInputLine: GPIOInputLine, Sendable {
    let label: String
    let events: AsyncStream<GPIOEdgeEvent>
    private let chip: SimulatedGPIOChip
    private let offset: Int
    private let generation: Int

    init(chip: SimulatedGPIOChip, offset: Int, generation: Int, label: String, events: AsyncStream<GPIOEdgeEvent>) {
        self.chip = chip
        self.offset = offset
        self.generation = generation
        self.label = label
        self.events = events
    }

    func isActive() throws(GPIOError) -> Bool {
        try chip.read(offset: offset, generation: generation, label: label)
    }

    func release() { chip.release(offset: offset, generation: generation) }
}
