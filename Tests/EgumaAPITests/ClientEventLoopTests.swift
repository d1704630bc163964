@testable import EgumaAPI
import NIOCore
import Testing

/// The client's requests and its pooled connections share one event loop (issue 24).
///
/// Given the whole event loop group, AsyncHTTPClient ran each request on the group's next loop in
/// turn while the warm connection stayed on the loop it was opened on: with two loops, a lane's
/// Redeem (the second call of every admission) ran on the other loop than its connection, and its
/// head, body and answer each crossed threads on the scan → relay path. Every other test of this
/// target calls e-guma through a client built this way.
@Suite struct ClientEventLoopTests {
    @Test func aClientHasExactlyOneEventLoop() async throws {
        let client = try EgumaClient(configuration: .init(baseURL: "http://127.0.0.1:9"))
        let loops = Array(client.http.eventLoopGroup.makeIterator())
        try await client.shutdown()
        #expect(loops.count == 1, "the client was given \(loops.count) event loops, not one")
    }
}
