import GateCore
import Testing

@Suite struct GPIOPulseGuardPolicyTests {
    @Test func anOrdinaryPulseNeverTripsTheGuard() {
        let policy = PulseGuardPolicy(configuredPulse: .milliseconds(800))
        #expect(!policy.mustForceOff(activeFor: .milliseconds(800)))
        #expect(!policy.mustForceOff(activeFor: .milliseconds(999)))
    }

    @Test func aRelayActiveLongerThanPulsePlusGraceIsForcedOff() {
        let policy = PulseGuardPolicy(configuredPulse: .milliseconds(800))
        #expect(policy.maximumOnTime == .milliseconds(1000))
        #expect(policy.mustForceOff(activeFor: .milliseconds(1000)))
    }

    @Test func longPulsesGetAQuarterAsGrace() {
        #expect(PulseGuardPolicy(configuredPulse: .seconds(4)).maximumOnTime == .seconds(5))
    }
}
