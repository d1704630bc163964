@testable import EgumaAPI
import EgumaSimulator
import NIOCore
import Testing

/// The client's requests and its pooled connections share one event loop (issue 24).
///
/// Given the whole event loop group, AsyncHTTPClient ran each request on the group's next loop in
/// turn while the warm connection stayed on the loop it was opened on: with two loops, a lane's
/// Redeem (the second call of every admission) ran on the other loop than its connection, and its
/// head, body and answer each crossed threads on the scan → relay path.
@Suite struct ClientEventLoopTests {
    @Test func everyCallOfAClientRunsOnOneEventLoop() async throws {
        try await SimulatorHarness.with { h in
            let loops = Array(h.client.http.eventLoopGroup.makeIterator())
            #expect(loops.count == 1, "the client was given \(loops.count) event loops, not one")
            #expect(h.client.http.eventLoopGroup is any EventLoop)
            // And a client on one loop still does its work: Balance, Redeem, Balance again.
            _ = try await h.client.balance(code: DemoVouchers.plenty, key: h.key)
            _ = try await h.client.redeem(code: DemoVouchers.plenty, amount: 100, reference: nil, key: h.key)
            #expect(try await h.client.balance(code: DemoVouchers.plenty, key: h.key).balanceInCents == 9_900)
        }
    }
}
