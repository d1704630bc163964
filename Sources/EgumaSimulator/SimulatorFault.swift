/// A failure the simulator plays for one endpoint, set by a test or over `/_sim/faults`.
///
/// Latency is added first; then `action` decides what happens to the call. With `count` set, the
/// fault applies to that many calls and then removes itself ("fail the next N calls").
public struct SimulatorFault: Sendable, Equatable, Codable {
    /// What the simulator does instead of (or after) answering normally.
    public enum Action: String, Sendable, Codable {
        /// Answer normally (only the latency applies).
        case none
        /// Answer `status` with `body` as plain text without touching any voucher.
        case status
        /// Close the connection without processing the call: nothing changed, no answer.
        case dropBeforeProcessing = "drop_before"
        /// Process the call (the voucher changes) and close the connection without answering:
        /// the client sees an uncertain outcome although e-guma applied it.
        case dropAfterProcessing = "drop_after"
        /// Apply the call `latencyMs` after it arrived, whether or not the client still waits,
        /// and answer then (if the connection is still open): with a client timeout below
        /// `latencyMs` the client gives up, a Balance right after still shows the old balance,
        /// and the effect lands later — e-guma finishing a slow request.
        case applyLate = "apply_late"
    }

    public var action: Action
    /// Added before anything else, in milliseconds.
    public var latencyMs: Int
    /// For `.status`: the HTTP status to answer (200 with a non-JSON body gives an undecodable answer).
    public var status: Int
    /// For `.status`: the body, sent as `text/plain` (or as-is for 2xx).
    public var body: String
    /// Number of calls this fault still applies to; nil = until cleared.
    public var count: Int?

    public init(action: Action = .none, latencyMs: Int = 0, status: Int = 500, body: String = "",
                count: Int? = nil) {
        self.action = action; self.latencyMs = latencyMs; self.status = status; self.body = body
        self.count = count
    }

    public static func latency(milliseconds: Int, count: Int? = nil) -> SimulatorFault {
        SimulatorFault(action: .none, latencyMs: milliseconds, count: count)
    }

    public static func status(_ status: Int, body: String = "", count: Int? = nil) -> SimulatorFault {
        SimulatorFault(action: .status, status: status, body: body, count: count)
    }

    public static func dropBeforeProcessing(count: Int? = nil) -> SimulatorFault {
        SimulatorFault(action: .dropBeforeProcessing, count: count)
    }

    public static func dropAfterProcessing(count: Int? = nil) -> SimulatorFault {
        SimulatorFault(action: .dropAfterProcessing, count: count)
    }

    public static func applyLate(milliseconds: Int, count: Int? = nil) -> SimulatorFault {
        SimulatorFault(action: .applyLate, latencyMs: milliseconds, count: count)
    }

    enum CodingKeys: String, CodingKey {
        case action, status, body, count
        case latencyMs = "latency_ms"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        action = try c.decodeIfPresent(Action.self, forKey: .action) ?? .none
        latencyMs = try c.decodeIfPresent(Int.self, forKey: .latencyMs) ?? 0
        status = try c.decodeIfPresent(Int.self, forKey: .status) ?? 500
        body = try c.decodeIfPresent(String.self, forKey: .body) ?? ""
        count = try c.decodeIfPresent(Int.self, forKey: .count)
    }
}
