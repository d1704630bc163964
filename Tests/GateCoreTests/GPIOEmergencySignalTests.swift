import GateCore
import Testing
import TestSupport

@Suite struct GPIOEmergencySignalTests {
    @Test func startsClosed() {
        #expect(!EmergencySignal().isOpen)
    }

    @Test func countsOpeningsAndClosingsOnlyOnChange() {
        let signal = EmergencySignal()
        signal.record(contactOpen: true)
        signal.record(contactOpen: true)
        signal.record(contactOpen: false)
        #expect(signal.status == EmergencyStatus(isOpen: false, openings: 1, closings: 1))
        #expect(signal.status.edgeCount == 2)
    }

    @Test func initialLevelIsNotCountedAsAnEdge() {
        let signal = EmergencySignal()
        signal.setInitial(contactOpen: true)
        #expect(signal.status == EmergencyStatus(isOpen: true, openings: 0, closings: 0))
    }

    @Test func updatesStartWithTheCurrentStatusThenFollowChanges() async throws {
        let signal = EmergencySignal()
        let updates = signal.updates()
        signal.record(contactOpen: true)
        let seen = try await withDeadline {
            var seen: [Bool] = []
            for await status in updates {
                seen.append(status.isOpen)
                if seen.count == 2 { break }
            }
            return seen
        }
        #expect(seen == [false, true])
    }
}
