import Foundation

/// The built `eguma-gate` executable, run as a technician or systemd would.
public enum GateBinary {
    /// `$EGUMA_GATE_BINARY` (set by `scripts/test`), else `.build/debug/eguma-gate` of this checkout.
    public static var path: String {
        if let path = ProcessInfo.processInfo.environment["EGUMA_GATE_BINARY"], !path.isEmpty { return path }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/eguma-gate").path
    }

    /// What a finished command printed and how it exited.
    public struct Result: Sendable, CustomStringConvertible {
        public var exit: ChildProcess.Exit
        public var stdout: String
        public var stderr: String
        public var status: Int32 { exit.signalled ? -exit.status : exit.status }
        public var description: String { "\(exit)\nstdout: \(stdout)\nstderr: \(stderr)" }
        public init(exit: ChildProcess.Exit, stdout: String, stderr: String) {
            self.exit = exit; self.stdout = stdout; self.stderr = stderr
        }
    }

    /// A missing binary fails the test with the command that builds it.
    public struct NotBuilt: Error, CustomStringConvertible {
        public let path: String
        public init(path: String) { self.path = path }
        public var description: String { "no eguma-gate binary at \(path) — build it first: swift build --build-tests" }
    }

    /// Starts `eguma-gate ARGUMENTS` and returns the running child.
    public static func start(_ arguments: [String], environment: [String: String] = [:], remove: [String] = []) throws -> ChildProcess {
        guard FileManager.default.isExecutableFile(atPath: path) else { throw NotBuilt(path: path) }
        return try ChildProcess(path, arguments, environment: environment, remove: remove)
    }

    /// Runs `eguma-gate ARGUMENTS` to its end (killed after `timeout`, which fails the call).
    public static func run(_ arguments: [String], environment: [String: String] = [:], remove: [String] = [],
                           timeout: Duration = .seconds(30)) async throws -> Result {
        let child = try start(arguments, environment: environment, remove: remove)
        let exit = try await child.waitForExit(timeout: timeout, "eguma-gate \(arguments.joined(separator: " ")) to finish")
        return Result(exit: exit, stdout: child.stdout, stderr: child.stderr)
    }
}
