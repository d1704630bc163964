/// The emergency contact as an observable value: the GPIO adapter writes it, every lane engine
/// and the daemon read it or follow its changes.
///
/// Without an emergency input configured the signal simply stays closed. Each call of
/// `updates()` gives an independent stream that starts with the current status (a `Broadcast`
/// with a current value).
public final class EmergencySignal: Sendable {
    private let broadcast = Broadcast(current: EmergencyStatus())

    public init() {}

    /// The status now.
    public var status: EmergencyStatus { broadcast.current ?? EmergencyStatus() }

    /// Whether the contact is open now (every relay held released, scans answered "emergency open").
    public var isOpen: Bool { status.isOpen }

    /// Records the contact's (debounced) level. Counts an edge only when the level changes.
    /// Returns the status after the update.
    @discardableResult
    public func record(contactOpen: Bool) -> EmergencyStatus {
        let status = broadcast.update { status in
            guard status.isOpen != contactOpen else { return false }
            status.isOpen = contactOpen
            if contactOpen { status.openings += 1 } else { status.closings += 1 }
            return true
        }
        return status ?? EmergencyStatus()
    }

    /// Sets the initial level read at start without counting it as an edge.
    public func setInitial(contactOpen: Bool) {
        broadcast.update { status in
            guard status.isOpen != contactOpen else { return false }
            status.isOpen = contactOpen
            return true
        }
    }

    /// The current status, then every change, until the consumer stops iterating.
    public func updates() -> AsyncStream<EmergencyStatus> {
        broadcast.subscribe(buffer: 16)
    }
}
