import GateCore
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// Where the fleet's PostgreSQL is and how to reach it: `FleetSettings` plus the password, turned
/// into postgres-nio's configurations. postgres-nio takes a TLS setting, not an `sslmode`, so each
/// mode is mapped here, explicitly:
///
/// | sslmode     | postgres-nio                                             |
/// |-------------|----------------------------------------------------------|
/// | disable     | `.disable` (loopback hosts only; the config refuses others) |
/// | prefer      | `.prefer`, certificate not verified                      |
/// | require     | `.require`, certificate not verified (as libpq)          |
/// | verify-full | `.require`, certificate and host name verified against the system's trust roots, or the url's `sslrootcert` |
public struct FleetEndpoint: Sendable {
    public let settings: FleetSettings
    let password: String?

    public init(settings: FleetSettings, password: String?) {
        self.settings = settings; self.password = password
    }

    /// Reads the password from `password_file`.
    public init(settings: FleetSettings) throws(FleetError) {
        self.init(settings: settings, password: try FleetSecrets.password(settings))
    }

    /// "eguma@db.example:5432/eguma": what messages name (never the password).
    public var server: String { "\(settings.user)@\(settings.host):\(settings.port)/\(settings.database)" }

    func tlsConfiguration(_ mode: FleetSettings.SSLMode) -> TLSConfiguration? {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch mode {
        case .disable: return nil
        case .prefer, .require: tls.certificateVerification = .none
        case .verifyFull:
            tls.certificateVerification = .fullVerification
            if let ca = settings.caFile { tls.trustRoots = .file(ca) }
        }
        return tls
    }

    /// The pool the daemon uses, capped at `maximumConnections` (postgres-nio's default is 20;
    /// a venue's PostgreSQL serves every gate, docs/fleet.md).
    public func clientConfiguration(maximumConnections: Int = 2) -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS = switch settings.sslMode {
        case .disable: .disable
        case .prefer: .prefer(tlsConfiguration(.prefer)!)
        case .require, .verifyFull: .require(tlsConfiguration(settings.sslMode)!)
        }
        var c = PostgresClient.Configuration(host: settings.host, port: settings.port, username: settings.user,
                                             password: password, database: settings.database, tls: tls)
        c.options.connectTimeout = settings.connectTimeout
        c.options.maximumConnections = maximumConnections
        // One kept open: a claim (300 ms budget) must not wait for a TCP, TLS and SCRAM handshake.
        c.options.minimumConnections = 1
        return c
    }

    /// One connection, for the commands (`fleet check`, `fleet migrate`): its failure says exactly
    /// what went wrong, where the pool would retry quietly.
    public func connect(logger: Logger) async throws -> PostgresConnection {
        do {
            let tls: PostgresConnection.Configuration.TLS
            switch settings.sslMode {
            case .disable: tls = .disable
            case .prefer: tls = .prefer(try NIOSSLContext(configuration: tlsConfiguration(.prefer)!))
            case .require, .verifyFull: tls = .require(try NIOSSLContext(configuration: tlsConfiguration(settings.sslMode)!))
            }
            var c = PostgresConnection.Configuration(host: settings.host, port: settings.port, username: settings.user,
                                                     password: password, database: settings.database, tls: tls)
            c.options.connectTimeout = .nanoseconds(Int64(settings.connectTimeout.components.seconds) * 1_000_000_000
                                                    + settings.connectTimeout.components.attoseconds / 1_000_000_000)
            return try await PostgresConnection.connect(configuration: c, id: 1, logger: logger)
        } catch {
            throw classify(error, operation: "connect to PostgreSQL \(server)")
        }
    }

    /// One connection for `body`, closed — and the close awaited — when `body` returns or throws
    /// (no task left behind to close it).
    public func withConnection<T: Sendable>(logger: Logger, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await connect(logger: logger)
        let result: Result<T, any Error>
        do { result = .success(try await body(connection)) } catch { result = .failure(error) }
        try? await connection.close()
        return try result.get()
    }

    /// Sorts a postgres-nio or NIO failure into the classes of `FleetError.Kind`.
    /// swift-nio-ssl's errors, the host-name check's (`NIOSSLExtraError`: a certificate that does
    /// not name the server) included — a TLS problem to fix in config, never "unreachable".
    static func isTLS(_ error: any Error) -> Bool {
        error is NIOSSLError || error is NIOSSLExtraError || error is BoringSSLError
    }

    public func classify(_ error: any Error, operation: String) -> FleetError {
        if let fleet = error as? FleetError { return fleet }
        if Self.isTLS(error) {
            return FleetError(.tls, operation: operation, reason: "TLS failed (\(error))",
                              hint: "check the server's certificate and the url's sslmode (verify-full needs a certificate naming \(settings.host) signed by a CA this machine trusts)")
        }
        guard let psql = error as? PSQLError else {
            return FleetError(.unreachable, operation: operation, reason: "\(error)",
                              hint: "is PostgreSQL running on \(settings.host):\(settings.port) and reachable from this controller?")
        }
        switch psql.code {
        case .server:
            let state = psql.serverInfo?[.sqlState] ?? ""
            let message = psql.serverInfo?[.message] ?? "server error"
            switch state {
            case "28P01", "28000":
                return FleetError(.authentication, operation: operation, reason: message,
                                  hint: "check the url's user, the password in password_file and the server's pg_hba.conf")
            case "3D000":
                return FleetError(.configuration, operation: operation, reason: message,
                                  hint: "create the database (docs/fleet.md) or correct the url")
            case "57P03", "53300", "57P01":
                return FleetError(.unreachable, operation: operation, reason: message, hint: "PostgreSQL is not accepting connections now — try again")
            default:
                return FleetError(.configuration, operation: operation, reason: "\(message) (SQLSTATE \(state))", hint: "see the PostgreSQL server's log")
            }
        case .sslUnsupported, .failedToAddSSLHandler, .receivedUnencryptedDataAfterSSLRequest:
            return FleetError(.tls, operation: operation, reason: "the server does not speak TLS (\(psql.code))",
                              hint: "turn on ssl in postgresql.conf, or use sslmode=disable for a loopback host")
        case .authMechanismRequiresPassword, .unsupportedAuthMechanism, .saslError:
            return FleetError(.authentication, operation: operation, reason: "\(psql.code)",
                              hint: "set password_file (or allow this host in pg_hba.conf)")
        default:
            if let underlying = psql.underlying, Self.isTLS(underlying) {
                return classify(underlying, operation: operation)
            }
            return FleetError(.unreachable, operation: operation, reason: "\(psql.code)\(psql.underlying.map { ": \($0)" } ?? "")",
                              hint: "is PostgreSQL running on \(settings.host):\(settings.port) and reachable from this controller?")
        }
    }
}
