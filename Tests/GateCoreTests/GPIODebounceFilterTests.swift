import GateCore
import Testing

@Suite struct GPIODebounceFilterTests {
    private func edge(_ ms: Int, _ kind: GPIOEdgeKind = .falling) -> GPIOEdgeEvent {
        GPIOEdgeEvent(kind: kind, timestamp: .milliseconds(ms))
    }

    @Test func firstEdgeCountsImmediately() {
        var filter = DebounceFilter(window: .milliseconds(20))
        let counted = filter.accept(edge(1000))
        #expect(counted)
    }

    @Test func bouncesWithinTheWindowAreIgnored() {
        var filter = DebounceFilter(window: .milliseconds(20))
        let verdicts = [0, 3, 6, 9, 15, 30].map { filter.accept(edge($0)) }
        #expect(verdicts == [true, false, false, false, false, false])
    }

    @Test func everyBounceRestartsTheQuietWindow() {
        // Chatter for 60 ms, each bounce within 20 ms of the previous: still a single edge.
        var filter = DebounceFilter(window: .milliseconds(20))
        let verdicts = stride(from: 0, through: 60, by: 15).map { filter.accept(edge($0)) }
        #expect(verdicts.filter { $0 }.count == 1)
    }

    @Test func anEdgeAfterAQuietWindowCountsAgain() {
        var filter = DebounceFilter(window: .milliseconds(20))
        let verdicts = [0, 5, 25].map { filter.accept(edge($0)) }
        #expect(verdicts == [true, false, true])
    }

    @Test func zeroWindowCountsEveryEdge() {
        var filter = DebounceFilter(window: .zero)
        #expect([0, 0, 1].map { filter.accept(edge($0)) } == [true, true, true])
    }
}
