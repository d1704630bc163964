import ArgumentParser
import Foundation
import UnixSignals
import GateCore
import GateDaemon
import GateHardware

/// `eguma-gate gpio test LANE` (lines from the configuration) or
/// `eguma-gate gpio test --chip C --relay N [--sensor M] [--active-low]`: pulses the relay once
/// and prints the sensor's edges live, so a technician can check wiring before the daemon runs.
/// Ctrl-C at any time leaves the relay inactive. Stop the daemon first: it holds the lines.
struct GPIOTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Pulse a relay and show passage sensor edges live.",
        discussion: """
            Chip: a name (gpiochip0), a path (/dev/gpiochip0), a label (pinctrl-bcm2711) or "sim".
            Lines: an offset (17) or a line name (GPIO17). Exit code 2 when the chip or a line is \
            missing, busy or not permitted.
            """)

    @Argument(help: "A lane of the configuration: test its relay and sensor as configured.")
    var lane: String?

    @Option(help: "Configuration file (with LANE).")
    var config: String = GateConfig.defaultPath

    @Option(help: "GPIO chip: name, path or label.")
    var chip: String?

    @Option(help: "Relay output line: offset or name.")
    var relay: String?

    @Option(help: "Passage sensor input line: offset or name.")
    var sensor: String?

    @Flag(help: "The relay is energised by a low level.")
    var activeLow = false

    @Option(help: "Relay pulse length in milliseconds.")
    var pulseMs = 800

    @Option(help: "Sensor edge: rising, falling or both.")
    var edge = "falling"

    @Option(help: "Sensor bias: pull-up, pull-down, disabled or as-is.")
    var bias = "pull-up"

    @Option(help: "Sensor debounce in milliseconds.")
    var debounceMs = 20

    @Option(help: "How long to show sensor edges after the pulse, in seconds (0: until Ctrl-C).")
    var watchSeconds = 10

    func validate() throws {
        if lane != nil {
            guard chip == nil, relay == nil, sensor == nil else {
                throw ValidationError("give either LANE or --chip/--relay/--sensor, not both")
            }
            return
        }
        guard chip != nil, let relay else { throw ValidationError("give a LANE from the configuration, or --chip and --relay") }
        guard GPIOLineID(parsing: relay) != nil else { throw ValidationError("--relay: give a line offset or name") }
        if let sensor, GPIOLineID(parsing: sensor) == nil { throw ValidationError("--sensor: give a line offset or name") }
        guard (1...60_000).contains(pulseMs) else { throw ValidationError("--pulse-ms must be 1…60000") }
        guard GPIOEdge(rawValue: edge) != nil else { throw ValidationError("--edge must be rising, falling or both") }
        guard GPIOBias(rawValue: bias) != nil else {
            throw ValidationError("--bias must be pull-up, pull-down, disabled or as-is")
        }
        guard debounceMs >= 0, watchSeconds >= 0 else { throw ValidationError("durations must not be negative") }
    }

    /// Relay, sensor and pulse: from the lane's configuration, or from the flags.
    private func lines() throws -> (GPIOLineConfig, GPIOLineConfig?, Duration) {
        if let lane {
            let gate = try ConfigOption(config: config).load()
            guard let laneConfig = gate.lane(lane) else {
                throw CLIError.usage("no lane \"\(lane)\" in \(config)\(NameSuggestion.hint(for: lane, among: gate.laneNames)) — lanes: \(gate.laneNames.joined(separator: ", "))")
            }
            guard let relay = laneConfig.relay else { throw CLIError.usage("lane \(lane) has no relay (mode = \"balance\")") }
            return (relay, laneConfig.sensor, laneConfig.settings.pulse)
        }
        let relayConfig = GPIOLineConfig(chip: chip!, line: GPIOLineID(parsing: relay!)!, activeLow: activeLow)
        let sensorConfig = sensor.map {
            GPIOLineConfig(chip: chip!, line: GPIOLineID(parsing: $0)!, edge: GPIOEdge(rawValue: edge)!,
                           bias: GPIOBias(rawValue: bias)!, debounce: .milliseconds(debounceMs))
        }
        return (relayConfig, sensorConfig, .milliseconds(pulseMs))
    }

    func run() async throws {
        let (relayConfig, sensorConfig, pulse) = try lines()
        let usesSim = relayConfig.isSimulated || sensorConfig?.isSimulated == true
        let simulated = usesSim ? SimulatedGPIOChip() : nil
        let opener = GPIOChipOpener(simulated: simulated)

        let gpioRelay: GPIORelay
        let gpioSensor: GPIOPassageSensor?
        do {
            gpioRelay = try GPIORelay(config: relayConfig, pulse: pulse, opener: opener)
        } catch {
            throw Self.cliError(error)
        }
        if let config = sensorConfig {
            do {
                gpioSensor = try GPIOPassageSensor(config: config, opener: opener)
            } catch {
                await gpioRelay.stop()  // inactive and released before we exit
                throw Self.cliError(error)
            }
        } else {
            gpioSensor = nil
        }

        emit("relay  \(gpioRelay.label) (\(relayConfig.activeLow ? "active-low" : "active-high")), pulse \(pulse.components.seconds * 1000 + pulse.components.attoseconds / 1_000_000_000_000_000) ms")
        if let gpioSensor {
            emit("sensor \(gpioSensor.label) (\(sensorConfig!.edge.rawValue) edge, \(sensorConfig!.bias.rawValue), debounce \(sensorConfig!.debounce))")
        }

        // Ctrl-C and SIGTERM cancel the work, so the pulse ends with the relay driven inactive
        // before the line is released (the kernel would otherwise keep the last value). The
        // signals are trapped (ServiceLifecycle's UnixSignals, as in the daemon) before the relay
        // can be energised; both tasks are awaited or cancelled here.
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        let work = Task {
            try await exercise(relay: gpioRelay, sensor: gpioSensor, pulse: pulse)
        }
        let watcher = Task {
            for await _ in signals {
                work.cancel()
                return
            }
        }
        let result = await work.result
        watcher.cancel()
        await watcher.value
        await gpioRelay.stop()
        await gpioSensor?.stop()
        if let simulated {
            emit("simulated chip record:")
            for change in simulated.changes { emit("  \(change)") }
        }
        switch result {
        case .success: emit("relay inactive, lines released")
        case .failure(is CancellationError): emit("interrupted — relay inactive, lines released")
        case .failure(let error as GPIOError): throw CLIError.runtime(error.description)
        case .failure(let error): throw error
        }
    }

    private func exercise(relay: GPIORelay, sensor: GPIOPassageSensor?, pulse: Duration) async throws {
        let clock = ContinuousClock()
        let start = clock.now
        func stamp() -> String {
            let ms = Int((clock.now - start) / .milliseconds(1))
            return String(format: "%6d ms", ms)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            if let sensor {
                await sensor.start()
                group.addTask {
                    for await verdict in sensor.verdicts {
                        emit("\(stamp())  sensor \(verdict)")
                    }
                }
            }
            emit("\(stamp())  relay ON")
            try await relay.pulse(for: pulse)
            emit("\(stamp())  relay OFF")
            guard sensor != nil else { return }
            if watchSeconds == 0 {
                emit("showing sensor edges until Ctrl-C …")
                while true { try await Task.sleep(for: .seconds(3600)) }
            } else {
                emit("showing sensor edges for \(watchSeconds) s (walk through or block the sensor now) …")
                try await Task.sleep(for: .seconds(watchSeconds))
            }
            group.cancelAll()
        }
    }

    /// Missing, busy or forbidden chips and lines are the technician's to fix: exit code 2.
    private static func cliError(_ error: GPIOError) -> CLIError {
        error.isConfigurationError ? .usage(error.description) : .runtime(error.description)
    }

    /// Writes a line unbuffered, so edges show up live also when the output goes to a pipe
    /// (tee, ssh, a test); `print` would hold them in stdio's buffer.
    private func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}

