import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The HTTP endpoint on `gate.metrics`: `/metrics` (Prometheus text) and `/healthz` (liveness:
/// 200 "ok" while the daemon's lanes run, 503 with the reason otherwise).
///
/// Meant for loopback or a management network; it exposes no voucher codes and no secrets.
public struct MetricsServer: Service {
    public let host: String
    public let port: Int
    private let metrics: GateMetrics
    private let health: @Sendable () async -> String?
    private let logger: Logger
    private let onListening: @Sendable (Int) async -> Void

    /// - Parameters:
    ///   - address: `host:port`; port 0 picks a free port (tests), reported through `onListening`.
    ///   - health: nil when healthy, else what is wrong.
    public init(address: String, metrics: GateMetrics, logger: Logger,
                health: @escaping @Sendable () async -> String? = { nil },
                onListening: @escaping @Sendable (Int) async -> Void = { _ in }) {
        let colon = address.lastIndex(of: ":") ?? address.endIndex
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host.isEmpty ? "127.0.0.1" : host
        self.port = colon < address.endIndex ? Int(address[address.index(after: colon)...]) ?? 9464 : 9464
        self.metrics = metrics; self.health = health; self.logger = logger; self.onListening = onListening
    }

    public func run() async throws {
        let router = Router()
        let metrics = self.metrics
        let health = self.health
        router.get("metrics") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
        }
        router.get("healthz") { _, _ -> Response in
            if let problem = await health() {
                return Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: problem + "\n")))
            }
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        let onListening = self.onListening
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "eguma-gate"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
        try await app.runService(gracefulShutdownSignals: [])  // signals belong to the daemon's group alone: reacting to SIGTERM here too ended this service out of turn (exit 1)
    }
}
