import GateCore
import Logging

/// Green LED, red LED and buzzer of one lane, each optional, on GPIO output lines.
///
/// Each `SignalPattern` plays its `FeedbackPlan` on the injected clock; a new pattern replaces
/// the one playing. Missing outputs are skipped, so a lane with only a red LED still works.
public actor GPIOSignalLights: SignalLights {
    /// Which output of the lane a line drives.
    public enum Output: String, Sendable, CaseIterable {
        case green, red, buzzer
    }

    private let lines: [Output: any GPIOOutputLine]
    private let clock: ElapsedClock
    private let logger: Logger
    private var player: Task<Void, Never>?
    private var generation = 0
    private var stopped = false
    /// The pattern shown now.
    public private(set) var current: SignalPattern = .idle

    /// Requests the configured lines, all off.
    public init(
        green: GPIOLineConfig?, red: GPIOLineConfig?, buzzer: GPIOLineConfig?, opener: GPIOChipOpener,
        clock: ElapsedClock = .continuous, logger: Logger = Logger(label: "eguma-gate.gpio.lights")
    ) throws(GPIOError) {
        var lines: [Output: any GPIOOutputLine] = [:]
        do {
            for (output, config) in [(Output.green, green), (.red, red), (.buzzer, buzzer)] {
                guard let config else { continue }
                let chip = try opener.open(config.chip)
                lines[output] = try chip.requestOutput(
                    config.line, activeLow: config.activeLow, consumer: GPIOChipOpener.consumer)
            }
        } catch {
            for line in lines.values { line.release() }
            throw error
        }
        self.init(lines: lines, clock: clock, logger: logger)
    }

    public init(lines: [Output: any GPIOOutputLine], clock: ElapsedClock = .continuous,
                logger: Logger = Logger(label: "eguma-gate.gpio.lights")) {
        self.lines = lines
        self.clock = clock
        self.logger = logger
    }

    /// Shows `pattern`: its first step is on the lines when this returns, later steps follow on
    /// the clock until the plan ends or another pattern replaces it.
    public func signal(_ pattern: SignalPattern) async {
        guard !stopped else { return }
        player?.cancel()
        player = nil
        generation += 1
        current = pattern
        let plan = FeedbackPlan.plan(for: pattern)
        guard let first = plan.steps.first else { return }
        apply(first)
        if plan.steps.count == 1 && !plan.repeats { return }
        let myGeneration = generation
        player = Task { [clock] in
            var index = 0
            while !Task.isCancelled {
                guard let duration = plan.steps[index].duration else { return }
                do { try await clock.sleep(for: duration) } catch { return }
                index += 1
                if index == plan.steps.count {
                    guard plan.repeats else { return }
                    index = 0
                }
                guard self.applyIfCurrent(plan.steps[index], generation: myGeneration) else { return }
            }
        }
    }

    /// Turns everything off and releases the lines.
    public func stop() {
        guard !stopped else { return }
        player?.cancel()
        player = nil
        apply(FeedbackPlan.Step(duration: nil))
        stopped = true
        for line in lines.values { line.release() }
    }

    private func applyIfCurrent(_ step: FeedbackPlan.Step, generation expected: Int) -> Bool {
        guard expected == generation, !stopped else { return false }
        apply(step)
        return true
    }

    private func apply(_ step: FeedbackPlan.Step) {
        for (output, value) in [(Output.green, step.green), (.red, step.red), (.buzzer, step.buzzer)] {
            guard let line = lines[output] else { continue }
            do {
                try line.setActive(value)
            } catch {
                // Feedback failing must not stop the gate; it is logged for the technician.
                logger.error("\(output.rawValue) \(line.label): \(error)")
            }
        }
    }
}
