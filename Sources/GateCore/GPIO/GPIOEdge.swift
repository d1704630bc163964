/// Which input transitions a line reports: a light barrier pulling low when interrupted is
/// `falling`, a contact closing to 3.3 V is `rising`; `both` for contacts whose both ends matter.
public enum GPIOEdge: String, Hashable, Sendable, CaseIterable {
    case rising
    case falling
    case both

    /// Whether a transition of `kind` is one this selection reports.
    public func includes(_ kind: GPIOEdgeKind) -> Bool {
        switch self {
        case .both: true
        case .rising: kind == .rising
        case .falling: kind == .falling
        }
    }
}

/// The direction of one observed transition, on the *logical* value (after `active_low`).
public enum GPIOEdgeKind: String, Hashable, Sendable {
    case rising
    case falling
}
