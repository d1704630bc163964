import GateCore
import Testing
import TestSupport

@Suite struct BroadcastTests {
    @Test func aPlainBroadcastHandsEachSubscriberOnlyWhatWasSentAfterItSubscribed() async throws {
        let broadcast = Broadcast<Int>()
        broadcast.send(1)
        let first = broadcast.subscribe()
        broadcast.send(2)
        let second = broadcast.subscribe()
        broadcast.send(3)
        broadcast.finish()
        #expect(try await first.firstValues(10, "the first subscriber's values") == [2, 3])
        #expect(try await second.firstValues(10, "the second subscriber's values") == [3])
        #expect(broadcast.current == nil)
    }

    @Test func aBroadcastWithACurrentValueGivesItToEachNewSubscriberFirst() async throws {
        let broadcast = Broadcast(current: "closed")
        let early = broadcast.subscribe()
        broadcast.send("open")
        let late = broadcast.subscribe()
        broadcast.send("closed")
        broadcast.finish()
        #expect(try await early.firstValues(10, "the early subscriber's values") == ["closed", "open", "closed"])
        #expect(try await late.firstValues(10, "the late subscriber's values") == ["open", "closed"])
        #expect(broadcast.current == "closed")
    }

    @Test func anUpdateThatChangesNothingIsNotHandedOut() async throws {
        let broadcast = Broadcast(current: 0)
        let values = broadcast.subscribe()
        #expect(broadcast.update { _ in false } == 0)
        #expect(broadcast.update { $0 += 1; return true } == 1)
        broadcast.finish()
        #expect(try await values.firstValues(10, "the values") == [0, 1])
    }

    @Test func updatesFromManyWritersReachASubscriberInTheOrderTheyWereMade() async throws {
        let broadcast = Broadcast(current: 0)
        let values = broadcast.subscribe(buffer: 200)
        await withDiscardingTaskGroup { group in
            for _ in 0..<100 { group.addTask { broadcast.update { $0 += 1; return true } } }
        }
        broadcast.finish()
        #expect(try await values.firstValues(200, "the counter's values") == Array(0...100))
    }

    @Test func aSubscriberAfterTheEndGetsOnlyTheEnd() async throws {
        let plain = Broadcast<Int>()
        plain.finish()
        #expect(try await plain.subscribe(startingWith: [1]).firstValues(10, "a finished broadcast") == [])
        let withCurrent = Broadcast(current: 7)
        withCurrent.finish()
        withCurrent.send(8)  // after the end: ignored
        #expect(withCurrent.current == 7)
        #expect(try await withCurrent.subscribe().firstValues(10, "a finished broadcast with a current value") == [])
    }

    @Test func aSubscriberStartsWithItsSnapshotThenWhatFollows() async throws {
        let broadcast = Broadcast<String>()
        let values = broadcast.subscribe(startingWith: ["added ttyACM0", "added hidraw1"])
        broadcast.send("removed ttyACM0")
        broadcast.finish()
        #expect(try await values.firstValues(10, "snapshot and change") == ["added ttyACM0", "added hidraw1", "removed ttyACM0"])
    }

    @Test func aPlainBroadcastIgnoresUpdates() {
        let broadcast = Broadcast<Int>()
        #expect(broadcast.update { $0 += 1; return true } == nil)
    }
}
