/// Software debounce for a mechanical contact or a flickering light barrier.
///
/// Leading-edge with a quiet window: an edge is accepted only if no other raw edge came within
/// `window` before it. The first edge of a bounce burst therefore counts at once (no added
/// latency for the guest), and every bounce after it restarts the window, so a contact that
/// chatters for longer than the window still yields a single edge. Pure: timestamps come in.
public struct DebounceFilter: Sendable {
    public let window: Duration
    private var lastRaw: Duration?

    public init(window: Duration) {
        self.window = window
    }

    /// Feeds one raw edge; returns whether it counts.
    public mutating func accept(_ event: GPIOEdgeEvent) -> Bool {
        defer { lastRaw = event.timestamp }
        guard window > .zero, let lastRaw else { return true }
        return event.timestamp - lastRaw >= window
    }
}
