/// The double-scan filter of one lane (SPEC §3.1): the same code read again within the debounce
/// window while it is being handled, or just after, is ignored.
///
/// The window runs from the later of the code's last accepted read and the end of its handling,
/// so a scanner that repeats a code while e-guma is slow is ignored, but a family scanning one
/// voucher guest after guest (each after the previous admission ended plus the window) is not.
public struct AdmissionDebounce<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    public let window: Duration
    private var lastSeen: [String: Instant] = [:]
    private var inProgress: Set<String> = []

    public init(window: Duration) { self.window = window }

    /// True when `code` read at `now` is a double scan to ignore; otherwise records the read.
    public mutating func isDoubleScan(_ code: String, at now: Instant) -> Bool {
        if inProgress.contains(code) { return true }
        if let last = lastSeen[code], last.duration(to: now) < window { return true }
        lastSeen[code] = now
        inProgress.insert(code)
        prune(now)
        return false
    }

    /// The handling of `code` ended at `now`; the window restarts from here.
    public mutating func finished(_ code: String, at now: Instant) {
        inProgress.remove(code)
        lastSeen[code] = now
    }

    private mutating func prune(_ now: Instant) {
        guard lastSeen.count > 64 else { return }
        lastSeen = lastSeen.filter { inProgress.contains($0.key) || $0.value.duration(to: now) < window }
    }
}
