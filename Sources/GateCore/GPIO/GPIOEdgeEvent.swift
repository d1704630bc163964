/// One transition reported by an input line, with the time it happened (kernel timestamp for
/// libgpiod, the injected clock for the simulated chip). Only differences between timestamps
/// matter, for debouncing.
public struct GPIOEdgeEvent: Hashable, Sendable {
    public var kind: GPIOEdgeKind
    public var timestamp: Duration

    public init(kind: GPIOEdgeKind, timestamp: Duration) {
        self.kind = kind
        self.timestamp = timestamp
    }
}
