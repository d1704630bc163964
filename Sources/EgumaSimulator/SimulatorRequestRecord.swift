import EgumaAPI

/// One HTTP request as it reached the simulator, before authentication.
///
/// Lets tests check what path a hostile voucher code really produced on the wire. The query
/// string is left out: it carries the API key.
public struct SimulatorRequestRecord: Sendable, Equatable, Codable {
    public var method: String
    /// The request path as sent, still percent-encoded, without the query.
    public var rawPath: String
    /// The endpoint it was routed to, nil when no route matched.
    public var endpoint: Endpoint?
    /// The voucher code segment, percent-decoded.
    public var code: String?
}
