import GateCore
import Testing

@Suite struct DoubleScanDebounceTests {
    typealias Instant = ContinuousClock.Instant
    let t0 = ContinuousClock.now
    let code = VoucherCode(unchecked: "KJR3ABCDEFGH")

    /// `accept` outside the `#expect` macro, which cannot call mutating methods.
    private func step(_ d: inout DoubleScanDebounce<Instant>, _ c: VoucherCode, at t: Instant) -> Bool {
        d.accept(c, at: t)
    }

    @Test func theSameCodeIsIgnoredWhileBeingHandled() {
        var d = DoubleScanDebounce<Instant>(window: .milliseconds(2000))
        #expect(step(&d, code, at: t0) == true)
        #expect(step(&d, code, at: t0 + .seconds(30)) == false)
    }

    @Test func theSameCodeIsIgnoredJustAfterHandlingFinished() {
        var d = DoubleScanDebounce<Instant>(window: .milliseconds(2000))
        #expect(step(&d, code, at: t0) == true)
        d.finished(code, at: t0 + .seconds(5))
        #expect(step(&d, code, at: t0 + .milliseconds(6999)) == false)
        #expect(step(&d, code, at: t0 + .milliseconds(7000)) == true)
    }

    @Test func aDifferentCodeIsNeverIgnored() {
        var d = DoubleScanDebounce<Instant>(window: .milliseconds(2000))
        #expect(step(&d, code, at: t0) == true)
        #expect(step(&d, VoucherCode(unchecked: "123456"), at: t0 + .milliseconds(1)) == true)
        // and the first code is no longer remembered
        #expect(step(&d, code, at: t0 + .milliseconds(2)) == true)
    }

    @Test func finishingAnotherCodeDoesNotReleaseTheCurrentOne() {
        var d = DoubleScanDebounce<Instant>(window: .milliseconds(100))
        #expect(step(&d, code, at: t0) == true)
        d.finished(VoucherCode(unchecked: "OTHER"), at: t0)
        #expect(step(&d, code, at: t0 + .seconds(10)) == false)
    }
}
