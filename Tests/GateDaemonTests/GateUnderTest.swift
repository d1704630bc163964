import EgumaSimulator
import Foundation
import GateCore
import GateDaemon
import Logging
import Testing
import TestSupport

/// The whole daemon in-process (`GateRuntime`) against the embedded e-guma simulator over real
/// HTTP, lanes fed by scripted scanner sources, GPIO on the simulated chip.
final class GateUnderTest: Sendable {
    let simulator: SimulatorServer
    let runtime: GateRuntime
    let directory: String
    let scanners: [String: ScriptedScanner]
    private let ownsSimulator: Bool
    private let running: Task<Void, any Error>

    /// `lanes` is the `[lanes.*]` part of the config; outlet "demo" and `[gate] display` on a free port are set.
    /// `gate` adds keys to the `[gate]` table, `outlet` to `[outlets.demo]`; `vouchers` is the
    /// simulated account (its currency too).
    /// `shared`: a simulator several gates use (not stopped with this gate); `extra` is appended
    /// to the config (e.g. `[fleet]`); `machineID` stands for /etc/machine-id.
    static func start(lanes: String, laneNames: [String], gate: String = "", outlet: String = "",
                      vouchers: SimulatedVoucherFile = .demo, shared: SimulatorServer? = nil, extra: String = "",
                      machineID: String? = nil) async throws -> GateUnderTest {
        let simulator: SimulatorServer
        if let shared { simulator = shared } else { simulator = try await SimulatorServer.start(.init(vouchers: vouchers)) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gate-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let key = dir + "/demo.key"
        _ = FileManager.default.createFile(atPath: key, contents: Data(SimulatedOutlet.demo.key.utf8),
                                           attributes: [.posixPermissions: 0o600])
        let text = """
            [gate]
            name = "test"
            database = "\(dir)/gate.db"
            control_socket = "\(dir)/control.sock"
            metrics = ""
            display = "127.0.0.1:0"
            \(gate)

            [api]
            base_url = "\(simulator.baseURL)"

            [outlets.demo]
            api_key_file = "\(key)"
            \(outlet)

            \(lanes)

            \(extra)
            """
        let path = dir + "/eguma-gate.toml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let config = try GateConfig.load(path: path)
        var options = GateRuntime.Options()
        options.handleSignals = false
        options.machineID = machineID
        var scanners: [String: ScriptedScanner] = [:]
        for name in laneNames {
            let scanner = ScriptedScanner()
            scanners[name] = scanner
            options.sources[name] = scanner
        }
        let runtime: GateRuntime
        do { runtime = try await GateRuntime.start(config: config, options: options, logger: Logger(label: "test.gate")) } catch {
            if shared == nil { await simulator.stop() }
            throw error
        }
        return GateUnderTest(simulator: simulator, ownsSimulator: shared == nil, runtime: runtime, directory: dir, scanners: scanners)
    }

    private init(simulator: SimulatorServer, ownsSimulator: Bool, runtime: GateRuntime, directory: String, scanners: [String: ScriptedScanner]) {
        self.simulator = simulator; self.ownsSimulator = ownsSimulator; self.runtime = runtime; self.directory = directory; self.scanners = scanners
        running = Task { try await runtime.run() }
    }

    /// The kiosk server's base URL, once it listens.
    func kioskURL() async throws -> String {
        let hub = try #require(runtime.kiosk)
        let port = try await withDeadline(.seconds(20), "the kiosk server to listen") {
            guard let port = await hub.port.wait(until: { $0 > 0 }) else { throw CancellationError() }
            return port
        }
        return "http://127.0.0.1:\(port)"
    }

    func stop() async {
        await runtime.shutdown()
        _ = try? await running.value
        if ownsSimulator { await simulator.stop() }
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// A lane scanner the test types into.
final class ScriptedScanner: CodeSource, Sendable {
    private let fed = FedCodeSource()

    init() {
        fed.yield(.attached(device: "scripted"))
    }

    func run(into sink: ScannerSink) async { await fed.run(into: sink) }
    func scan(_ code: String) { fed.yield(.frame(Array(code.utf8))) }
    /// The source ends, as a script's input at its end does.
    func end() { fed.end() }
}

extension Broadcast where Value == LaneFeedback.LaneState {
    /// Waits (with a deadline) until `lane` shows a state matching `match`; subscribe before acting.
    static func first(in stream: AsyncStream<LaneFeedback.LaneState>, lane: String, timeout: Duration = .seconds(20),
                      where match: @escaping @Sendable (GuestState) -> Bool) async throws -> GuestState {
        try await withDeadline(timeout, "lane \(lane) to show the expected state") {
            for await s in stream where s.lane == lane && match(s.state) { return s.state }
            throw CancellationError()
        }
    }
}
