import GateCore

/// One raw edge from a sensor line and whether the debounce filter counted it
/// (`gpio test` prints these live; tests await them instead of sleeping).
public struct SensorEdgeVerdict: Hashable, Sendable, CustomStringConvertible {
    public var edge: GPIOEdgeEvent
    public var accepted: Bool

    public init(edge: GPIOEdgeEvent, accepted: Bool) {
        self.edge = edge
        self.accepted = accepted
    }

    public var description: String {
        "\(edge.kind.rawValue) edge\(accepted ? "" : " (bounce, ignored)")"
    }
}
