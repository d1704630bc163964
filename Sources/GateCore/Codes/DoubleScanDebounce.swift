/// Ignores the same code scanned twice on one lane (SPEC §3 step 1): while it is being handled,
/// or within `window` after it was accepted or its handling finished.
///
/// A pure value: the caller passes the current instant of its injected clock, so tests drive it
/// without sleeping. A different code is never ignored, and it replaces the remembered one.
public struct DoubleScanDebounce<Instant: InstantProtocol>: Sendable
where Instant.Duration == Duration, Instant: Sendable {
    /// How long after acceptance (or the end of handling) the same code stays ignored.
    public let window: Duration
    private var lastCode: String?
    private var lastAt: Instant?
    private var inFlight = false

    public init(window: Duration) {
        self.window = window
    }

    /// Decides whether a freshly read code should be handled. `true` means handle it (and it is
    /// now remembered as in flight); `false` means it is a double scan and must be ignored.
    public mutating func accept(_ code: VoucherCode, at now: Instant) -> Bool {
        if code.text == lastCode, let lastAt {
            if inFlight || now < lastAt.advanced(by: window) { return false }
        }
        lastCode = code.text
        lastAt = now
        inFlight = true
        return true
    }

    /// Marks the handling of `code` as finished at `now`: the window restarts from here, so a
    /// guest scanning again right after "accepted" is not charged twice.
    public mutating func finished(_ code: VoucherCode, at now: Instant) {
        guard code.text == lastCode else { return }
        inFlight = false
        lastAt = now
    }
}
