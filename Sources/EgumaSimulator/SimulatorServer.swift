import EgumaAPI
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A running e-guma simulator: an HTTP(S) server on a bound port plus its `SimulatedAccount`.
///
/// `start` returns once the port is bound, so a test can use `baseURL` at once; `stop` closes
/// the listener and every connection. Tests start one per test (port 0 avoids collisions).
public final class SimulatorServer: Sendable {
    /// The account behind the server: ledger, balances, faults.
    public let account: SimulatedAccount
    /// `http://127.0.0.1:PORT` or `https://localhost:PORT`; give it to `EgumaClientConfiguration`.
    public let baseURL: String
    public let port: Int
    /// The generated CA (PEM) when serving TLS.
    public let caFile: String?
    private let task: Task<Void, any Error>
    private let group: ServiceGroup

    private init(account: SimulatedAccount, baseURL: String, port: Int, caFile: String?,
                 task: Task<Void, any Error>, group: ServiceGroup) {
        self.account = account; self.baseURL = baseURL; self.port = port; self.caFile = caFile
        self.task = task; self.group = group
    }

    /// Binds and starts serving. Throws `SimulatorSetupError` when the address cannot be bound.
    public static func start(_ configuration: SimulatorConfiguration = .init()) async throws -> SimulatorServer {
        try configuration.vouchers.validate(source: "simulator vouchers")
        let account = SimulatedAccount(outlets: configuration.outlets, vouchers: configuration.vouchers,
                                       now: configuration.now)
        var certificates: SimulatorCertificates?
        if configuration.tls {
            let directory = configuration.tlsDirectory
                ?? (NSTemporaryDirectory() as NSString).appendingPathComponent("eguma-simulator-\(UUID().uuidString)")
            certificates = try SimulatorCertificates.generate(directory: directory)
        }
        let server: HTTPServerBuilder = try certificates.map {
            try .tls(.http1(), tlsConfiguration: $0.serverTLSConfiguration)
        } ?? .http1()

        let bound = BoundPort()
        var logger = configuration.logger
        logger[metadataKey: "component"] = "simulator"
        let app = Application(
            responder: SimulatorResponder(account: account),
            server: server,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port),
                                 serverName: "eguma-simulator"),
            onServerRunning: { channel in bound.resolve(.success(channel.localAddress?.port ?? 0)) },
            logger: logger)
        // Own service group without signal handling: the process (or test) decides when to stop.
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task {
            do {
                try await group.run()
                bound.resolve(.failure(SimulatorSetupError("the simulator stopped before it was listening")))
            } catch {
                bound.resolve(.failure(SimulatorSetupError("cannot listen on \(configuration.host):\(configuration.port): \(error)")))
                throw error
            }
        }
        let port: Int
        do {
            port = try await bound.value()
        } catch {
            task.cancel()
            throw error
        }
        let host = certificates == nil ? configuration.host : (configuration.host == "127.0.0.1" ? "localhost" : configuration.host)
        let shownHost = host.contains(":") ? "[\(host)]" : host
        let baseURL = "\(certificates == nil ? "http" : "https")://\(shownHost):\(port)"
        return SimulatorServer(account: account, baseURL: baseURL, port: port, caFile: certificates?.caFile, task: task, group: group)
    }

    /// Stops listening and closes connections; returns when the server is down.
    public func stop() async {
        // Graceful: stop accepting, close idle keep-alive connections, let running calls finish.
        await group.triggerGracefulShutdown()
        let task = self.task
        let watchdog = Task {
            try await Task.sleep(for: .seconds(3))
            task.cancel()  // a connection that will not close must not hang the caller
        }
        _ = await task.result
        watchdog.cancel()
    }

    /// Waits until the server stops (after `stop()` or a failure); for `simulate`.
    public func waitUntilStopped() async throws {
        try await task.value
    }

    // Shortcuts for tests.
    public func ledger() async -> [LedgerEntry] { await account.ledger() }
    public func balance(of code: String) async -> Int64? { await account.balance(of: code) }
    public func netRedeemed(_ code: String) async -> Int64 { await account.netRedeemed(code) }
    public func setFault(_ fault: SimulatorFault?, for endpoint: Endpoint?) async {
        await account.setFault(fault, for: endpoint)
    }
}

/// Hands the bound port (or the failure to bind) from the server task to `start`.
private final class BoundPort: Sendable {
    private let state = Mutex<(result: Result<Int, any Error>?, waiter: CheckedContinuation<Int, any Error>?)>((nil, nil))

    func resolve(_ result: Result<Int, any Error>) {
        let waiter: CheckedContinuation<Int, any Error>? = state.withLock { s in
            guard s.result == nil else { return nil }
            s.result = result
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume(with: result)
    }

    func value() async throws -> Int {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int, any Error>) in
            let ready: Result<Int, any Error>? = state.withLock { s in
                if let r = s.result { return r }
                s.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}
