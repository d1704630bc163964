/// Every e-guma v1 call this project knows, with its HTTP method and path.
///
/// Shared by the client (to build URLs) and the simulator (to route), so the two cannot drift.
public enum Endpoint: String, Sendable, CaseIterable, Codable {
    case balance
    case info
    case redeem
    case cancelRedemption = "cancel_redemption"
    case activateStatus = "activate_status"
    case activate
    case deactivateStatus = "deactivate_status"
    case deactivate
    case chargeStatus = "charge_status"
    case charge
    case cancelCharge = "cancel_charge"
    /// `GET /v1/vouchers/redemptions.json?from=…&to=…`: the account's redemptions of a window
    /// (not per code; see `listPath`).
    case redemptions

    public enum Method: String, Sendable { case get = "GET", post = "POST" }

    public var method: Method {
        switch self {
        case .balance, .info, .activateStatus, .deactivateStatus, .chargeStatus, .redemptions: .get
        case .redeem, .cancelRedemption, .activate, .deactivate, .charge, .cancelCharge: .post
        }
    }

    /// `vouchers` or `depot_vouchers`.
    public var collection: String {
        switch self {
        case .activateStatus, .activate, .deactivateStatus, .deactivate: "depot_vouchers"
        default: "vouchers"
        }
    }

    /// The last path component, e.g. `cancel_redemption.json`.
    public var fileName: String { rawValue + ".json" }

    /// Whether the path names one voucher (`/v1/vouchers/{code}/…`); false for the list.
    public var isPerCode: Bool { self != .redemptions }

    /// `/v1/vouchers/redemptions.json`: the path of an endpoint that names no voucher.
    public var listPath: String { "/v1/\(collection)/\(fileName)" }

    /// `/v1/vouchers/<encoded code>/balance.json`. The code is percent-encoded so that no scanned
    /// text can change the path or add a query (`../`, `?`, `#`, `%2F` are all escaped).
    public func path(code: String) -> String {
        "/v1/\(collection)/\(Endpoint.encodePathSegment(code))/\(fileName)"
    }

    /// RFC 3986 unreserved characters pass; every other byte becomes `%XX`.
    public static func encodePathSegment(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                // "." is unreserved too, but "." and ".." segments are path navigation: escape all dots.
                let hex = Array("0123456789ABCDEF".utf8)
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0x0F)]))
            }
        }
        return out
    }
}
