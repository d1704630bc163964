import Synchronization

/// The emergency contact as an observable value: the GPIO adapter writes it, every lane engine
/// and the daemon read it or follow its changes.
///
/// Without an emergency input configured the signal simply stays closed. Each call of
/// `updates()` gives an independent stream that starts with the current status.
public final class EmergencySignal: Sendable {
    private struct State {
        var status = EmergencyStatus()
        var nextID = 0
        var subscribers: [Int: AsyncStream<EmergencyStatus>.Continuation] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// The status now.
    public var status: EmergencyStatus { state.withLock { $0.status } }

    /// Whether the contact is open now (every relay held released, scans answered "emergency open").
    public var isOpen: Bool { status.isOpen }

    /// Records the contact's (debounced) level. Counts an edge only when the level changes.
    /// Returns the status after the update.
    @discardableResult
    public func record(contactOpen: Bool) -> EmergencyStatus {
        let (status, subscribers, changed) = state.withLock { s in
            let changed = s.status.isOpen != contactOpen
            if changed {
                s.status.isOpen = contactOpen
                if contactOpen { s.status.openings += 1 } else { s.status.closings += 1 }
            }
            return (s.status, Array(s.subscribers.values), changed)
        }
        if changed { for subscriber in subscribers { subscriber.yield(status) } }
        return status
    }

    /// Sets the initial level read at start without counting it as an edge.
    public func setInitial(contactOpen: Bool) {
        let (status, subscribers, changed) = state.withLock { s in
            let changed = s.status.isOpen != contactOpen
            s.status.isOpen = contactOpen
            return (s.status, Array(s.subscribers.values), changed)
        }
        if changed { for subscriber in subscribers { subscriber.yield(status) } }
    }

    /// The current status, then every change, until the consumer stops iterating.
    public func updates() -> AsyncStream<EmergencyStatus> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: EmergencyStatus.self, bufferingPolicy: .bufferingNewest(16))
        let id = state.withLock { s in
            let id = s.nextID
            s.nextID += 1
            s.subscribers[id] = continuation
            continuation.yield(s.status)
            return id
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }
}
