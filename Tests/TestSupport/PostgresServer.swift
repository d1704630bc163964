import Foundation
import Synchronization

/// A throw-away PostgreSQL server for the fleet tests: Debian's `postgresql` binaries, a cluster
/// made by `initdb` in a temporary directory, listening on 127.0.0.1 at a free port (its socket in
/// that directory too), removed by `destroy()`. Never the package's own `main` cluster.
///
/// `initdb` and `postgres` refuse to run as root, so as root both run as `nobody` (setpriv: the
/// postmaster is this process's own child, in its process group, so a test run that is killed
/// takes it along). The user `eguma` logs in over TCP with a password (scram-sha-256), as a venue's
/// gates would; over the socket, trusted, for setting up databases.
///
/// `EGUMA_REQUIRE_POSTGRES=1` (set by scripts/run-swift-tests): a server that cannot start fails
/// the fleet tests instead of skipping them. `EGUMA_PG_BIN` overrides where the binaries are.
public final class PostgresServer: Sendable {
    public let directory: String
    public let port: Int
    public let user = "eguma"
    public let password = "fleet-test-secret"
    private let bin: String
    private let process = Mutex<ChildProcess?>(nil)

    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    /// Where Debian puts the server binaries (the newest major version), or `EGUMA_PG_BIN`.
    public static var binDirectory: String? {
        if let dir = ProcessInfo.processInfo.environment["EGUMA_PG_BIN"] { return dir }
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        let newest = versions.filter { access("\(root)/\($0)/bin/initdb", X_OK) == 0 }.max { (Int($0) ?? 0) < (Int($1) ?? 0) }
        return newest.map { "\(root)/\($0)/bin" }
    }

    public static var required: Bool { ProcessInfo.processInfo.environment["EGUMA_REQUIRE_POSTGRES"] == "1" }

    /// Condition for `.enabled(if:)`: installed, or required (then a missing server fails).
    public static var shouldRun: Bool { binDirectory != nil || required }

    private static let asRoot = geteuid() == 0

    private let maxConnections: Int
    private let durable: Bool
    /// More server options (TLS).
    private let extra: [String]

    private init(directory: String, port: Int, bin: String, maxConnections: Int, durable: Bool, extra: [String]) {
        self.directory = directory; self.port = port; self.bin = bin; self.maxConnections = maxConnections; self.durable = durable
        self.extra = extra
    }

    /// A new cluster, started. Call `destroy()` when done.
    /// `maxConnections`: the server's `max_connections` (a benchmark with many controllers needs
    /// more); `durable`: fsync on, as a venue's server runs (tests run without, for speed).
    /// `tls`: a certificate and key (PEM) to serve TLS with (`ssl = on`).
    public static func start(maxConnections: Int = 200, durable: Bool = false,
                             tls: (certificate: String, key: String)? = nil) async throws -> PostgresServer {
        guard let bin = binDirectory else {
            let seen = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
            throw Unavailable(description: "PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin (there: \(seen)) — apt-get install postgresql (scripts/test does), or set EGUMA_PG_BIN")
        }
        var template = Array("/tmp/eguma-pg-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw Unavailable(description: "mkdtemp: \(String(cString: strerror(errno)))") }
        let dir = String(cString: made)
        if asRoot { chown(dir, 65534, 65534) }
        var extra: [String] = []
        if let tls {
            for (name, pem) in [("server.crt", tls.certificate), ("server.key", tls.key)] {
                FileManager.default.createFile(atPath: "\(dir)/\(name)", contents: Data(pem.utf8), attributes: [.posixPermissions: 0o600])
                if asRoot { chown("\(dir)/\(name)", 65534, 65534) }
            }
            extra = ["-c", "ssl=on", "-c", "ssl_cert_file=\(dir)/server.crt", "-c", "ssl_key_file=\(dir)/server.key"]
        }
        let server = PostgresServer(directory: dir, port: try GateTestConfig.freePort(), bin: bin, maxConnections: maxConnections,
                                    durable: durable, extra: extra)
        let passwordFile = "\(dir)/pw"
        try Data(server.password.utf8).write(to: URL(fileURLWithPath: passwordFile))
        if asRoot { chown(passwordFile, 65534, 65534) }
        try await server.run("initdb", ["-D", "\(dir)/data", "-U", server.user, "--pwfile=\(passwordFile)", "-E", "UTF8",
                                        "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync", "--no-instructions"])
        try await server.resume()
        return server
    }

    /// (Re)starts the postmaster on the same directory and port; returns when it accepts connections.
    public func resume() async throws {
        Self.installExitHandler
        let child = try spawn("postgres", ["-D", "\(directory)/data", "-k", directory, "-p", String(port),
                                           "-c", "listen_addresses=127.0.0.1,127.0.0.2", "-c", "fsync=\(durable ? "on" : "off")", "-c", "max_connections=\(maxConnections)",
                                           "-c", "logging_collector=off"] + extra)
        process.withLock { $0 = child }
        livePostmasters.withLock { $0[child.pid] = directory }
        try await child.stderrLines.waitFor("PostgreSQL on port \(port) ready", timeout: .seconds(30)) {
            $0.contains("ready to accept connections")
        }
    }

    /// Stops the postmaster (fast shutdown: sessions are ended, as when a venue's server goes down).
    public func stop() async throws {
        guard let child = process.withLock({ p -> ChildProcess? in defer { p = nil }; return p }) else { return }
        child.signal(SIGINT)
        _ = try await child.waitForExit(timeout: .seconds(30), "PostgreSQL to stop")
        livePostmasters.withLock { $0[child.pid] = nil }
    }

    /// Stops the server and removes its directory.
    public func destroy() async {
        try? await stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A new, empty database; returns its name.
    public func createDatabase(_ prefix: String = "fleet") async throws -> String {
        let name = "\(prefix)_\(UInt32.random(in: 0...UInt32.max))"
        try await run("psql", ["-X", "-q", "-h", directory, "-p", String(port), "-U", user, "-d", "postgres",
                               "-c", "CREATE DATABASE \(name)"])
        return name
    }

    /// `postgres://eguma@127.0.0.1:PORT/DB` (no password in it: that goes in a password file).
    public func url(database: String) -> String { "postgres://\(user)@127.0.0.1:\(port)/\(database)?sslmode=disable" }

    /// umockdev's preload (the test binary runs under umockdev-wrapper) has no business in PostgreSQL.
    private static let notForPostgres = ["LD_PRELOAD", "UMOCKDEV_DIR"]

    private func spawn(_ tool: String, _ arguments: [String]) throws -> ChildProcess {
        if Self.asRoot {
            return try ChildProcess("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "\(bin)/\(tool)"] + arguments,
                                    environment: ["HOME": directory], remove: Self.notForPostgres)
        }
        return try ChildProcess("\(bin)/\(tool)", arguments, remove: Self.notForPostgres)
    }

    private func run(_ tool: String, _ arguments: [String]) async throws {
        let child = try spawn(tool, arguments)
        let exit = try await child.waitForExit(timeout: .seconds(60), tool)
        guard exit == .init(status: 0, signalled: false) else {
            throw Unavailable(description: "\(tool) \(exit): \(child.stderr.suffix(600))")
        }
    }

    /// One server for every test of this process that needs no server of its own; stopped at exit.
    public static func shared() async throws -> PostgresServer {
        let task = sharedServer.withLock { t in
            if t == nil { t = Task { try await PostgresServer.start() } }
            return t!
        }
        return try await task.value
    }

    /// A test run that ends without `destroy()` (the shared server) must leave no postmaster and
    /// no cluster behind (under scripts/run-swift-tests its process group is killed anyway).
    private static let installExitHandler: Void = {
        atexit {
            for (pid, directory) in livePostmasters.withLock({ $0 }) {
                kill(pid, SIGQUIT)
                var status: Int32 = 0
                _ = waitpid(pid, &status, 0)
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
    }()
}

/// Running postmasters and their cluster directories.
private let livePostmasters = Mutex<[pid_t: String]>([:])
private let sharedServer = Mutex<Task<PostgresServer, any Error>?>(nil)
