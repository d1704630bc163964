import Foundation

/// `eguma-gate run` started as systemd would: with `NOTIFY_SOCKET` pointing at a socket this test
/// listens on, returned only once the daemon said `READY=1`.
public final class RunningGate: Sendable {
    public let child: ChildProcess
    public let notify: NotifySocket
    public let configPath: String

    private init(child: ChildProcess, notify: NotifySocket, configPath: String) {
        self.child = child; self.notify = notify; self.configPath = configPath
    }

    /// The daemon exited before it was ready.
    public struct DiedBeforeReady: Error, CustomStringConvertible {
        public let exit: ChildProcess.Exit
        public let stderr: String
        public var description: String { "eguma-gate run ended before READY=1 (\(exit)):\n\(stderr)" }
    }

    /// Starts `eguma-gate run --config CONFIG` and waits (up to `readyTimeout`) for `READY=1`.
    /// The notify socket lives in `directory` (keep it short: a socket path has 107 bytes).
    public static func start(config: String, directory: String, logLevel: String = "debug",
                             readyTimeout: Duration = .seconds(30), environment: [String: String] = [:]) async throws -> RunningGate {
        let notify = try NotifySocket(path: directory + "/notify.sock")
        let child = try GateBinary.start(["run", "--config", config, "--log-level", logLevel],
                                         environment: environment.merging(["NOTIFY_SOCKET": notify.path]) { $1 },
                                         remove: ["JOURNAL_STREAM", "INVOCATION_ID", "WATCHDOG_USEC", "WATCHDOG_PID"])
        let gate = RunningGate(child: child, notify: notify, configPath: config)
        do {
            try await withDeadline(readyTimeout, "READY=1 from eguma-gate run") {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await notify.waitFor("READY=1", timeout: readyTimeout) }
                    group.addTask {
                        // Ended first: say why instead of waiting out the deadline.
                        let exit = try await child.waitForExit(timeout: readyTimeout + .seconds(5))
                        throw DiedBeforeReady(exit: exit, stderr: child.stderr)
                    }
                    defer { group.cancelAll() }
                    try await group.next()
                }
            }
        } catch {
            child.killIfRunning()
            notify.close()
            throw error
        }
        return gate
    }

    /// Runs another `eguma-gate` command against this daemon's configuration.
    public func cli(_ arguments: [String], timeout: Duration = .seconds(30)) async throws -> GateBinary.Result {
        try await GateBinary.run(arguments + ["--config", configPath], timeout: timeout)
    }

    /// Sends `signal` and waits for the daemon to exit.
    @discardableResult
    public func stop(_ signal: Int32 = SIGTERM, timeout: Duration = .seconds(20)) async throws -> ChildProcess.Exit {
        child.signal(signal)
        defer { notify.close() }
        return try await child.waitForExit(timeout: timeout, "eguma-gate run to exit after signal \(signal)")
    }

    /// Cleanup for `defer`: SIGKILL if still running.
    public func kill() {
        child.killIfRunning()
        notify.close()
    }
}

/// `eguma-gate events -f --json` running beside the daemon: its journal lines, live.
public final class EventFollower: Sendable {
    public let child: ChildProcess

    public init(config: String) throws {
        child = try GateBinary.start(["events", "-f", "--json", "--config", config])
    }

    /// Every event so far.
    public var events: [JournalLine] { child.stdoutLines.values.compactMap(JournalLine.init) }

    /// Waits until `count` events of `type` (matching `where`) have been printed; returns the last.
    @discardableResult
    public func waitFor(_ type: String, count: Int = 1, timeout: Duration = .seconds(20),
                        where predicate: @escaping @Sendable (JournalLine) -> Bool = { _ in true }) async throws -> JournalLine {
        let seen = SeenCounter()
        try await child.stdoutLines.waitFor("\(count)× \(type) in events -f", timeout: timeout) { line in
            guard let event = JournalLine(line), event.type == type, predicate(event) else { return false }
            return seen.see(line) >= count
        }
        let matching = events.filter { $0.type == type && predicate($0) }
        guard matching.count >= count, let last = matching.last else {
            throw DeadlineExceeded(what: "\(count)× \(type)", after: timeout)
        }
        return last
    }

    public func stop() {
        child.signal(SIGTERM)
    }
}

/// Counts distinct matching lines (the recorder may test one line more than once).
private final class SeenCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func see(_ line: String) -> Int {
        lock.lock(); defer { lock.unlock() }
        if !lines.contains(line) { lines.append(line) }
        return lines.count
    }
}

/// One line of `events --json` (SPEC §7).
public struct JournalLine: Sendable, Equatable {
    public var ts: String
    public var lane: String
    public var type: String
    public var admission: Int64?
    public var code: String?
    public var amountCents: Int64?
    public var balanceCents: Int64?
    public var message: String?
    /// The keys present in the object (SPEC: at least the eight above, also when null).
    public var keys: Set<String>

    public init?(_ line: String) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
              let ts = object["ts"] as? String, let lane = object["lane"] as? String, let type = object["type"] as? String
        else { return nil }
        self.ts = ts; self.lane = lane; self.type = type
        admission = (object["admission"] as? NSNumber)?.int64Value
        code = object["code"] as? String
        amountCents = (object["amount_cents"] as? NSNumber)?.int64Value
        balanceCents = (object["balance_cents"] as? NSNumber)?.int64Value
        message = object["message"] as? String
        keys = Set(object.keys)
    }
}
