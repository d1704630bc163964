import GateCore
import Testing
import TestSupport

@Suite("Pure admission policies")
struct AdmissionPolicyTests {
    typealias Instant = TestClock.Instant
    func at(_ ms: Int64) -> Instant { Instant(offset: .milliseconds(ms)) }

    @Test func debounceIgnoresARepeatWhileHandledAndWithinTheWindowAfter() {
        var d = AdmissionDebounce<Instant>(window: .milliseconds(2000))
        do { let r = d.isDoubleScan("A", at: at(0)); #expect(!r) }
        do { let r = d.isDoubleScan("A", at: at(5000)); #expect(r) }   // still being handled
        d.finished("A", at: at(6000))
        do { let r = d.isDoubleScan("A", at: at(7999)); #expect(r) }   // just after
        do { let r = d.isDoubleScan("A", at: at(8000)); #expect(!r) }  // next guest
        do { let r = d.isDoubleScan("B", at: at(8000)); #expect(!r) }  // other codes unaffected
    }

    @Test func detectorGoesOfflineAfterConsecutiveFailuresAndBackOnlineByItself() {
        var d = OnlineDetector<Instant>(failureThreshold: 2, slowCall: .seconds(4), probeInterval: .seconds(15))
        d.recordFailure(at: at(0))
        #expect(!d.isOffline)
        d.recordFailure(at: at(1000))
        #expect(d.isOffline)
        do { let r = d.shouldTryCall(at: at(2000)); #expect(!r) }
        do { let r = d.shouldTryCall(at: at(16_000)); #expect(r) }   // probe
        do { let r = d.shouldTryCall(at: at(16_001)); #expect(!r) }  // one probe per interval
        d.recordAnswer(latency: .milliseconds(80), at: at(16_100))
        #expect(!d.isOffline)
        do { let r = d.shouldTryCall(at: at(16_200)); #expect(r) }
    }

    @Test func detectorCountsSlowAnswersAsHalfFailures() {
        var d = OnlineDetector<Instant>(failureThreshold: 2, slowCall: .seconds(4), probeInterval: .seconds(15))
        for i in 0..<3 { d.recordAnswer(latency: .seconds(5), at: at(Int64(i) * 1000)) }
        #expect(!d.isOffline)
        d.recordAnswer(latency: .seconds(5), at: at(4000))
        #expect(d.isOffline)
    }

    @Test func retryDelayGrowsExponentiallyAndIsCapped() {
        let p = RetryPolicy(base: .seconds(2), cap: .seconds(60), jitter: 0.5)
        #expect(p.delay(afterAttempts: 1, unitRandom: 0) == .seconds(2))
        #expect(p.delay(afterAttempts: 3, unitRandom: 0) == .seconds(8))
        #expect(p.delay(afterAttempts: 10, unitRandom: 0) == .seconds(60))
        #expect(p.delay(afterAttempts: 200, unitRandom: 0) == .seconds(60))
    }

    @Test func retryJitterStaysWithinItsFraction() {
        let p = RetryPolicy(base: .seconds(10), cap: .seconds(60), jitter: 0.5)
        #expect(p.delay(afterAttempts: 1, unitRandom: 0.999_999) > .seconds(5))
        #expect(p.delay(afterAttempts: 1, unitRandom: 0.5) == .seconds(7.5))
    }

    @Test func referenceIsGateLaneAdmission() {
        let s = LaneSettings(name: "main", gateName: "spa-north", outlet: "spa", price: Money(cents: 2500))
        #expect(s.reference(admission: 17) == "spa-north/main/17")
    }
}
