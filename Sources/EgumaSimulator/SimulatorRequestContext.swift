import Hummingbird
import NIOCore

/// Hummingbird request context that keeps the connection, so a fault can drop it unanswered.
public struct SimulatorRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
