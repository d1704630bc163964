/// What went wrong with one e-guma call, told apart the way the gate needs it.
///
/// The important split is between failures that certainly did *not* change anything at e-guma
/// (`notSent`, 4xx) and those that may have (`uncertain`, a 5xx answer to a POST): the gate must
/// never blindly re-send a redeem after the latter (SPEC §3 "Uncertain outcomes").
///
/// No description ever contains a URL or the API key; the voucher code is masked.
public struct EgumaError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// HTTP 400, usually a missing parameter. `message` is e-guma's plain-text body.
        case badRequest(message: String)
        /// HTTP 401: no valid API key for this account/outlet.
        case unauthorized(message: String)
        /// Any other non-2xx status, with e-guma's plain-text body.
        case httpStatus(code: Int, message: String)
        /// 2xx but the body is not what the API documents (or exceeds the size cap).
        case undecodable(detail: String)
        /// The request never left this machine: connection refused, DNS, TLS handshake, connect
        /// timeout. Safe to retry.
        case notSent(reason: String)
        /// The request went out but no complete answer came back (timeout, reset). It may have
        /// been applied.
        case uncertain(reason: String)
    }

    public let kind: Kind
    public let endpoint: Endpoint
    /// The voucher code, masked (`••••-••••-KJR3`).
    public let maskedCode: String

    public init(kind: Kind, endpoint: Endpoint, maskedCode: String) {
        self.kind = kind; self.endpoint = endpoint; self.maskedCode = maskedCode
    }

    /// True when e-guma may have applied the call although we got no success answer.
    public var mayHaveBeenApplied: Bool {
        switch kind {
        case .uncertain: return true
        case .httpStatus(let code, _): return code >= 500 && endpoint.method == .post
        default: return false
        }
    }

    /// True when e-guma could not be reached or did not answer properly (network, 5xx): the
    /// kind of failure that counts towards "offline" and gives exit code 3.
    public var isUnreachable: Bool {
        switch kind {
        case .notSent, .uncertain: return true
        case .httpStatus(let code, _): return code >= 500
        default: return false
        }
    }

    /// e-guma's own text for 4xx answers (shown to staff), nil otherwise.
    public var serverMessage: String? {
        switch kind {
        case .badRequest(let m), .unauthorized(let m), .httpStatus(_, let m): return m.isEmpty ? nil : m
        default: return nil
        }
    }

    public var description: String {
        let what = "e-guma \(endpoint.rawValue) for voucher \(maskedCode)"
        switch kind {
        case .badRequest(let m):
            return "\(what) was refused as a bad request (HTTP 400): \(m.isEmpty ? "no details" : m)"
        case .unauthorized(let m):
            return "\(what) was refused: the outlet's API key is not valid (HTTP 401\(m.isEmpty ? "" : ": " + m)) — check api_key_file / api_key_env of this outlet"
        case .httpStatus(let code, let m):
            let hint = code >= 500 ? " — e-guma has a problem; try again later" : ""
            return "\(what) failed with HTTP \(code)\(m.isEmpty ? "" : ": " + m)\(hint)"
        case .undecodable(let d):
            return "\(what) returned an answer that could not be read: \(d)"
        case .notSent(let r):
            return "\(what) could not be sent (\(r)) — nothing was changed; check the network and api.base_url"
        case .uncertain(let r):
            return "\(what) got no answer after it was sent (\(r)) — it may or may not have been applied"
        }
    }
}
