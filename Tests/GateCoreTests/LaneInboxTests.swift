import GateCore
import Synchronization
import Testing
import TestSupport

/// The lane's one input stream: what a scanner source yields and what staff send meet in the
/// engine's inbox, with no forwarding task between them (issue "One money path").
@Suite struct LaneInboxTests {
    @Test func scannerEventsAndStaffInputsAreHandledInTheOrderTheyWereSent() async {
        // Given a lane whose scanner sink yields into the engine's inbox, as the daemon wires it
        let lane = LaneHarness()
        let sink = ScannerSink { [inbox = lane.engine.inbox] event in inbox.send(.scanner(event)) }
        let running = Task { await lane.engine.run() }
        // When the scanner attaches, staff open the lane, the scanner goes, and the inbox is finished
        sink.yield(.attached(device: "/dev/ttyACM0"))
        lane.engine.inbox.send(.manualOpen(reason: "opened by test"))
        sink.yield(.detached(device: "/dev/ttyACM0", reason: "unplugged"))
        lane.engine.inbox.finish()
        // Then the engine handled all three, in that order, before its run returned
        await running.value
        #expect(lane.eventTypes == [.scannerAttached, .manualOpen, .scannerDetached])
        #expect(await lane.relay.pulses.count == 1)
    }

    @Test func aFedSourceDeliversWhatCameBeforeItsRunInOrderAndItsEndReturnsTheRun() async {
        // Given a fed source that got an attach and a frame while no lane ran it
        let source = FedCodeSource()
        source.yield(.attached(device: "scripted"))
        source.yield(.frame(Array("K7QM2XPA9HTD".utf8)))
        let seen = Mutex<[ScannerEvent]>([])
        let sink = ScannerSink { event in seen.withLock { $0.append(event) } }
        // When a lane runs it, is fed one more frame, and the source ends
        await withDiscardingTaskGroup { group in
            group.addTask { await source.run(into: sink) }
            source.yield(.frame(Array("B3NV8WRE5JQL".utf8)))
            source.end()
        }
        // Then the run returned by itself, every event delivered in order
        #expect(seen.withLock { $0 } == [.attached(device: "scripted"), .frame(Array("K7QM2XPA9HTD".utf8)),
                                         .frame(Array("B3NV8WRE5JQL".utf8))])
    }

    @Test func aCancelledRunOfAFedSourceReturnsAndTheNextRunGetsWhatCameBetween() async {
        let source = FedCodeSource()
        let seen = Mutex<[ScannerEvent]>([])
        let sink = ScannerSink { event in seen.withLock { $0.append(event) } }
        await withDiscardingTaskGroup { group in
            group.addTask { await source.run(into: sink) }
            group.cancelAll()
        }
        source.yield(.frame(Array("R9TZ4KMC7PXW".utf8)))
        source.end()
        await source.run(into: sink)
        #expect(seen.withLock { $0 } == [.frame(Array("R9TZ4KMC7PXW".utf8))])
    }
}
