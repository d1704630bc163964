import GateCore
import Testing

@Suite struct DoubleScanDebounceTests {
    typealias Instant = ContinuousClock.Instant
    let t0 = ContinuousClock.now
    let code = VoucherCode(unchecked: "KJR3ABCDEFGH")

    @Test func theSameCodeIsIgnoredWhileBeingHandled() {
        var d = DoubleScanDebounce<Instant>(window: .milliseconds(2000))
        #expect(d.accept(code, at: t0))
        #expect(!d.accept(code, at: t0 + .seconds(30)))
    }

    @Test func theSameCodeIsIgnoredJustAfterHandlingFinished() {
        var d = DoubleScanDebounce<Instant>(window: .milliseconds(2000))
        #expect(d.accept(code, at: t0))
        d.finished(code, at: t0 + .seconds(5))
        #expect(!d.accept(code, at: t0 + .milliseconds(6999)))
        #expect(d.accept(code, at: t0 + .milliseconds(7000)))
    }

    @Test func aDifferentCodeIsNeverIgnored() {
        var d = DoubleScanDebounce<Instant>(window: .milliseconds(2000))
        #expect(d.accept(code, at: t0))
        #expect(d.accept(VoucherCode(unchecked: "123456"), at: t0 + .milliseconds(1)))
        // and the first code is no longer remembered
        #expect(d.accept(code, at: t0 + .milliseconds(2)))
    }

    @Test func finishingAnotherCodeDoesNotReleaseTheCurrentOne() {
        var d = DoubleScanDebounce<Instant>(window: .milliseconds(100))
        #expect(d.accept(code, at: t0))
        d.finished(VoucherCode(unchecked: "OTHER"), at: t0)
        #expect(!d.accept(code, at: t0 + .seconds(10)))
    }
}
