/// The `[fleet]` section (SPEC §10) as the daemon runs it: where the venue's PostgreSQL is, which
/// site and gate this controller is, and what to do when PostgreSQL cannot be reached.
///
/// A plain value: the config reader fills it, the PostgreSQL adapter (GateFleet) turns it into a
/// connection. Secrets are not in it, only the files they are read from.
public struct FleetSettings: Sendable, Equatable {
    /// libpq's `sslmode` words the fleet accepts, each mapped explicitly to a TLS setting.
    public enum SSLMode: String, Sendable, Equatable, CaseIterable {
        /// Plain TCP. Accepted for a loopback host only.
        case disable
        /// TLS when the server offers it, without verifying the certificate; plain otherwise.
        case prefer
        /// TLS always, without verifying the certificate (libpq's meaning of `require`).
        case require
        /// TLS always, the certificate verified against the system's trust roots and the host name.
        case verifyFull = "verify-full"
    }

    /// What a gate does offline when PostgreSQL cannot confirm a claim (`offline_without_fleet`).
    public enum OfflineWithoutFleet: String, Sendable, Equatable {
        /// Today's per-controller offline limits; the admission is flagged as unclaimed.
        case local
        /// No offline admission without a confirmed claim.
        case deny
    }

    public var host: String
    public var port: Int
    public var user: String
    public var database: String
    public var sslMode: SSLMode
    /// `sslrootcert` in the URL: the CA (PEM) that `verify-full` trusts instead of the system's
    /// roots — for a venue's own CA.
    public var caFile: String?
    /// `password_file`; nil when the server trusts this host or user without one.
    public var passwordFile: String?
    /// `site`: the venue; gates of one site share offline claims and reconciliation.
    public var site: String
    /// `gate_id`: this controller within the site (default the host name).
    public var gateID: String
    /// `code_key_file`: the site's secret for HMAC-hashing voucher codes.
    public var codeKeyFile: String?
    public var connectTimeout: Duration
    public var claimTimeout: Duration
    public var offlineWithoutFleet: OfflineWithoutFleet

    public init(host: String, port: Int = 5432, user: String, database: String, sslMode: SSLMode,
                passwordFile: String? = nil, site: String, gateID: String, codeKeyFile: String? = nil,
                connectTimeout: Duration = .milliseconds(1000), claimTimeout: Duration = .milliseconds(300),
                offlineWithoutFleet: OfflineWithoutFleet = .local) {
        self.host = host; self.port = port; self.user = user; self.database = database; self.sslMode = sslMode
        self.passwordFile = passwordFile; self.site = site; self.gateID = gateID; self.codeKeyFile = codeKeyFile
        self.connectTimeout = connectTimeout; self.claimTimeout = claimTimeout; self.offlineWithoutFleet = offlineWithoutFleet
    }

    /// The same settings with `sslrootcert`.
    public func trusting(_ caFile: String?) -> FleetSettings {
        var copy = self
        copy.caFile = caFile
        return copy
    }

    /// The URL as written in the config, without secrets (there are none in it: a password is refused).
    public var url: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(user)@\(h):\(port)/\(database)?sslmode=\(sslMode.rawValue)" + (caFile.map { "&sslrootcert=\($0)" } ?? "")
    }

    /// Loopback hosts may use `sslmode=disable`; every other host defaults to `verify-full`.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
