import GateCore
import Testing
import TestSupport

/// While the emergency contact holds every door open nothing is charged (issue 11 item 9).
@Suite struct EmergencyScanTests {
    @Test func aScanDuringAnEmergencyIsRecordedAndChargesNothing() async {
        let lane = LaneHarness()
        await lane.eguma.add("L4FU5LQTKJR3", balance: 10_000)
        lane.emergency.record(contactOpen: true)
        await lane.scan("L4FU5LQTKJR3")
        #expect(await lane.eguma.calls.isEmpty, "no Balance, no Redeem")
        #expect(lane.eventTypes == [.emergencyScan])
        #expect(lane.store.events.values.first?.code == "L4FU5LQTKJR3", "the scan is on record")
        #expect(lane.states == [.emergency])
        #expect(await lane.eguma.balanceOf("L4FU5LQTKJR3") == 10_000)

        // Once the contact closes, the next guest pays again.
        lane.emergency.record(contactOpen: false)
        lane.clock.advance(by: .seconds(3))
        await lane.scan("L4FU5LQTKJR3")
        #expect(await lane.eguma.count(.redeem) == 1)
    }
}
