/// The state of the emergency (fire alarm) contact and how often it changed.
///
/// The contact is normally closed; `isOpen` means the alarm is on (or the wire is cut — which
/// is why the contact is normally closed: a broken wire fails towards letting people out).
public struct EmergencyStatus: Hashable, Sendable {
    public var isOpen: Bool
    /// Debounced closed → open transitions seen since start.
    public var openings: Int
    /// Debounced open → closed transitions seen since start.
    public var closings: Int

    public init(isOpen: Bool = false, openings: Int = 0, closings: Int = 0) {
        self.isOpen = isOpen
        self.openings = openings
        self.closings = closings
    }

    /// Total counted edges (for the metric and log).
    public var edgeCount: Int { openings + closings }
}
