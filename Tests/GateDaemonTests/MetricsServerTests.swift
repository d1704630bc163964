import AsyncHTTPClient
import GateDaemon
import Logging
import NIOCore
import Synchronization
import TestSupport
import Testing

/// `/metrics` and `/healthz` over real HTTP on loopback.
struct MetricsServerTests {
    /// Starts a server on a free port; returns the port once it listens.
    private func start(_ makeServer: (@escaping @Sendable (Int) async -> Void) -> MetricsServer) async throws -> (Int, Task<Void, any Error>) {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let server = makeServer({ continuation.yield($0) })
        let task = Task { try await server.run() }
        let port = try await withDeadline(.seconds(10), "metrics server listening") {
            var iterator = ports.makeAsyncIterator()
            return await iterator.next() ?? 0
        }
        return (port, task)
    }

    private func get(_ url: String) async throws -> (Int, String) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: body))
    }

    @Test func metricsAreServedInPrometheusFormat() async throws {
        let metrics = GateMetrics()
        metrics.admission(lane: "main", outcome: "entered")
        let (port, task) = try await start { MetricsServer(address: "127.0.0.1:0", metrics: metrics, logger: Logger(label: "t"), onListening: $0) }
        defer { task.cancel() }
        let (status, body) = try await get("http://127.0.0.1:\(port)/metrics")
        #expect(status == 200)
        #expect(body.contains(#"eguma_gate_admissions_total{lane="main",outcome="entered"} 1"#))
        #expect(body.contains("# HELP eguma_gate_admissions_total"))
    }

    @Test func healthzSaysWhatIsWrong() async throws {
        let problem = Mutex<String?>(nil)
        let (port, task) = try await start {
            MetricsServer(address: "127.0.0.1:0", metrics: GateMetrics(), logger: Logger(label: "t"),
                          health: { problem.withLock { $0 } }, onListening: $0)
        }
        defer { task.cancel() }
        #expect(try await get("http://127.0.0.1:\(port)/healthz") == (200, "ok\n"))
        problem.withLock { $0 = "lane main: engine stopped" }
        #expect(try await get("http://127.0.0.1:\(port)/healthz") == (503, "lane main: engine stopped\n"))
    }
}
