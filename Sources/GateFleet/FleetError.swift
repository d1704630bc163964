/// A fleet operation that failed: what was attempted, against which server, why, and what to do.
/// Never carries the password or the code key.
public struct FleetError: Error, Sendable, CustomStringConvertible {
    /// The classes `fleet check` turns into exit codes (SPEC §10: 2 config/auth/TLS/schema, 3 unreachable).
    public enum Kind: String, Sendable, Equatable {
        case configuration, authentication, tls, schema, unreachable
        /// The `gate_id` is held by another machine of the site.
        case gateConflict
    }

    public let kind: Kind
    public let operation: String
    public let reason: String
    public let hint: String

    public init(_ kind: Kind, operation: String, reason: String, hint: String) {
        self.kind = kind; self.operation = operation; self.reason = reason; self.hint = hint
    }

    public var isUnreachable: Bool { kind == .unreachable }

    public var description: String { "\(operation): \(reason) — \(hint)" }
}
