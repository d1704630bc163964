import EgumaSimulator
import Foundation
import GateCore
import GateDaemon
import GateStore
import Logging

/// `GateBenchmarks journal [--events N]`: a journal of N events (default 1,000,000: years of a
/// busy gate) and how long the operator's reads take on it — `events --last 50` and `status`,
/// as queries, through the daemon's `status()`, and as whole `eguma-gate` commands (process
/// start included). Figures for the README; never asserted in a test.
enum JournalBenchmark {
    @MainActor
    static func run(events count: Int, row: @MainActor (String, String) -> Void) async throws {
        let simulator = try await SimulatorServer.start()
        let dir = try GateBenchmarks.benchDirectory("bench-journal")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let configText = GateBenchmarks.benchGate(dir: dir, baseURL: simulator.baseURL) + """
            \((1...4).map { """
            [lanes.lane\($0)]
            outlet = "o"
            price = "25.00"
            scanner = { kind = "stdin" }
            relay = { chip = "sim", line = \($0 * 2) }
            sensor = { chip = "sim", line = \($0 * 2 + 1) }

            """ }.joined())
            """
        try configText.write(toFile: dir + "/gate.toml", atomically: true, encoding: .utf8)

        // Fill: four lanes, a scan's usual events, spread over the last 400 days (retention).
        let fillStart = ContinuousClock.now
        let db = try await GateDatabase.open(path: dir + "/g.db")
        let types: [GateEventType] = [.scanned, .redeemed, .opened, .entered, .scanned, .denied, .scanned, .redeemed, .opened, .entered]
        let now = Date()
        try await db.appendHistory(count: count) { i in
            let age = Double(count - i) / Double(count) * 400 * 86_400
            return (now.addingTimeInterval(-age), GateEvent(types[i % types.count], lane: "lane\(i % 4 + 1)", admission: Int64(i / 4),
                                                            code: "K7QM2XPA9HTD", amountCents: 2_500))
        }
        try db.close()
        row("fill the journal with \(count) events", GateBenchmarks.ms(.now - fillStart))

        let reader = try await GateDatabase.open(path: dir + "/g.db")
        var latest: [Duration] = []
        for _ in 0..<20 {
            let t = ContinuousClock.now
            _ = try await reader.latestEvents(limit: 50)
            latest.append(.now - t)
        }
        row("events --last 50, the query (p50 / p95)", "\(GateBenchmarks.ms(GateBenchmarks.p(latest, 50))) / \(GateBenchmarks.ms(GateBenchmarks.p(latest, 95)))")
        try reader.close()

        let config = try GateConfig.load(path: dir + "/gate.toml")
        var options = GateRuntime.Options()
        options.handleSignals = false
        // Scanners that stay silent (and present) for the whole run: fed nothing, never ended.
        for lane in config.laneNames { options.sources[lane] = FedCodeSource() }
        let runtime = try await GateRuntime.start(config: config, options: options, logger: Logger(label: "bench"))
        let running = Task { try await runtime.run() }
        var status: [Duration] = []
        for _ in 0..<20 {
            let t = ContinuousClock.now
            _ = await runtime.status()
            status.append(.now - t)
        }
        row("status of 4 lanes, the daemon's status() (p50 / p95)", "\(GateBenchmarks.ms(GateBenchmarks.p(status, 50))) / \(GateBenchmarks.ms(GateBenchmarks.p(status, 95)))")

        // The whole commands, as an operator types them (process start and config load included).
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("eguma-gate").path
        if FileManager.default.isExecutableFile(atPath: binary) {
            for command in [["events", "--last", "50"], ["status"]] {
                var times: [Duration] = []
                for _ in 0..<5 {
                    let t = ContinuousClock.now
                    try runQuietly(binary, command + ["--config", dir + "/gate.toml"])
                    times.append(.now - t)
                }
                row("eguma-gate \(command.joined(separator: " ")), whole command (p50)", GateBenchmarks.ms(GateBenchmarks.p(times, 50)))
            }
        } else {
            row("whole commands", "skipped: build eguma-gate beside GateBenchmarks")
        }
        await runtime.shutdown()
        _ = try? await running.value
        await simulator.stop()
    }

    /// Runs `binary` with output discarded; throws when it fails.
    static func runQuietly(_ binary: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "\(binary) \(arguments.joined(separator: " ")) exited \(process.terminationStatus)"])
        }
    }
}
