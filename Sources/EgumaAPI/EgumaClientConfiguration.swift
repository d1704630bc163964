/// How to reach e-guma. One per gate (all outlets share one connection pool; keys differ per call).
public struct EgumaClientConfiguration: Sendable, Equatable {
    /// `https://api.e-guma.ch`; plain `http://` only for loopback hosts (the simulator).
    public var baseURL: String
    public var connectTimeout: Duration
    /// Whole-request deadline (connect + send + answer).
    public var requestTimeout: Duration
    /// An extra PEM trust root (e.g. the simulator's generated CA). System roots stay trusted.
    public var caFile: String?
    /// Answers larger than this are refused as undecodable (e-guma's answers are < 2 KiB).
    public var maxResponseBytes: Int
    /// e-guma's local time zone: the redemption list takes and gives times without offset in it
    /// (`[api] timezone`, default Europe/Zurich).
    public var timeZone: TimeZone
    /// Answers of the redemption list may be this large (a busy day holds thousands of rows).
    public var maxListBytes: Int

    public static let productionBaseURL = "https://api.e-guma.ch"

    public init(baseURL: String = productionBaseURL, connectTimeout: Duration = .milliseconds(3000),
                requestTimeout: Duration = .milliseconds(8000), caFile: String? = nil,
                maxResponseBytes: Int = 64 * 1024, timeZone: TimeZone = EgumaLocalTime.defaultTimeZone,
                maxListBytes: Int = 16 * 1024 * 1024) {
        self.baseURL = baseURL; self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout; self.caFile = caFile; self.maxResponseBytes = maxResponseBytes
        self.timeZone = timeZone; self.maxListBytes = maxListBytes
    }

    /// Problems with `baseURL`, or nil when it is acceptable: https anywhere, http on loopback only.
    public static func problem(withBaseURL url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty else {
            return "\"\(url)\" is not a URL; use https://api.e-guma.ch"
        }
        if components.query != nil || components.fragment != nil {
            return "the base URL must not carry a query or fragment (the API key is added per call)"
        }
        switch scheme {
        case "https": return nil
        case "http":
            return isLoopback(host: host) ? nil
                : "plain http:// is only allowed for a loopback address (127.0.0.1, ::1 or localhost — the simulator); use https://"
        default:
            return "scheme \"\(scheme)\" is not supported; use https://"
        }
    }

    /// Exactly `localhost`, `::1`, or an IPv4 literal in 127.0.0.0/8. A name that merely starts
    /// with "127." (`127.attacker.net`, `127.0.0.1.evil.com`) is a DNS name anyone can point
    /// anywhere, and would carry the API key in clear text.
    static func isLoopback(host: String) -> Bool {
        let host = host.lowercased()
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        let octets = parts.compactMap { part -> Int? in
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCII), part.allSatisfy(\.isNumber) else { return nil }
            return Int(part).flatMap { $0 <= 255 ? $0 : nil }
        }
        return octets.count == 4 && octets[0] == 127
    }
}

import Foundation
