/// Why a voucher call failed, split the way money safety needs it.
public struct VoucherServiceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The split that decides what the engine may do next.
    public enum Kind: Sendable, Equatable {
        /// The request certainly never reached e-guma (refused, DNS, TLS handshake). Nothing changed.
        case notSent
        /// The request went out and no usable answer came back (timeout, reset, 5xx on a POST,
        /// unreadable 2xx on a POST). It may have been applied: never re-send blindly.
        case uncertain
        /// e-guma answered with a refusal that will not change by retrying (4xx). `message` is its text.
        case rejected(message: String)
        /// A read got no answer at all (timed out, connection reset): nothing was changed, and
        /// it counts towards "offline".
        case unreachable
        /// e-guma answered a read, but with a server error (5xx, 408, 429) or an unreadable body.
        /// Nothing was changed, and e-guma *is* reachable: never a reason to admit offline (a
        /// guest must not be able to walk in on a broken answer); the lane denies ("e-guma error").
        case badAnswer
    }

    public var kind: Kind
    /// For logs and operators; never contains an API key or an unmasked code.
    public var detail: String

    public init(_ kind: Kind, detail: String) { self.kind = kind; self.detail = detail }

    /// True when the failure says e-guma is not reachable (counts for the online detector and
    /// triggers the lane's offline policy). An answer e-guma gave, however broken, is not.
    public var isConnectivityFailure: Bool {
        switch kind {
        case .notSent, .uncertain, .unreachable: true
        case .rejected, .badAnswer: false
        }
    }

    public var description: String { detail }
}
