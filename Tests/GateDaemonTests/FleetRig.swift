import EgumaAPI
import Foundation
import GateCore
import GateFleet
import Logging
import PostgresNIO
import Testing
import TestSupport

/// One site's PostgreSQL for a fleet test: a fresh database on a real server (the process's
/// shared one, or a server of the test's own when it stops and restarts it), the password and
/// code key files a venue would have, and the `[fleet]` text for each gate.
final class FleetRig: Sendable {
    let server: PostgresServer
    let ownsServer: Bool
    let database: String
    let directory: String
    let site = "spa-baden"
    let logger = Logger(label: "test.fleet")

    /// `tls`: a server of its own serving TLS with this certificate and key.
    static func start(ownServer: Bool = false, migrate: Bool = true,
                      tls: (certificate: String, key: String)? = nil) async throws -> FleetRig {
        let own = ownServer || tls != nil
        let server = own ? try await PostgresServer.start(tls: tls) : try await PostgresServer.shared()
        let database = try await server.createDatabase()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let rig = FleetRig(server: server, ownsServer: own, database: database, directory: directory)
        try rig.writeSecret("password", server.password)
        try rig.writeSecret("code.key", "site-secret-for-hashing-voucher-codes")
        if migrate { _ = try await FleetAdmin.migrate(rig.settings(gateID: "setup"), logger: rig.logger) }
        return rig
    }

    private init(server: PostgresServer, ownsServer: Bool, database: String, directory: String) {
        self.server = server; self.ownsServer = ownsServer; self.database = database; self.directory = directory
    }

    func writeSecret(_ name: String, _ text: String) throws {
        let path = "\(directory)/\(name)"
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
    }

    /// The `[fleet]` section of gate `gateID`, with the live-server connect timeout
    /// (`TestPatience.liveConnectTimeout`): connecting may take seconds on a CI machine running
    /// hundreds of tests on two cores; a server that is down refuses at once anyway.
    func toml(gateID: String, extra: String = "") -> String {
        """
        [fleet]
        url = "\(server.url(database: database))"
        password_file = "\(directory)/password"
        site = "\(site)"
        gate_id = "\(gateID)"
        code_key_file = "\(directory)/code.key"
        connect_timeout_ms = \(TestPatience.liveConnectTimeout.milliseconds)
        \(extra)
        """
    }

    func settings(gateID: String, port: Int? = nil) -> FleetSettings {
        FleetSettings(host: "127.0.0.1", port: port ?? server.port, user: server.user, database: database, sslMode: .disable,
                      passwordFile: "\(directory)/password", site: site, gateID: gateID, codeKeyFile: "\(directory)/code.key",
                      connectTimeout: TestPatience.liveConnectTimeout)
    }

    /// One integer the SQL answers (a count, a version), over a connection of its own.
    func scalar(_ sql: String) async throws -> Int64 {
        let connection = try await FleetEndpoint(settings: settings(gateID: "probe")).connect(logger: logger)
        defer { Task { try? await connection.close() } }
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect()
        return try rows.first?.decode(Int64.self) ?? 0
    }

    func execute(_ sql: String) async throws {
        let connection = try await FleetEndpoint(settings: settings(gateID: "probe")).connect(logger: logger)
        defer { Task { try? await connection.close() } }
        try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
    }

    func destroy() async {
        if ownsServer { await server.destroy() }
        try? FileManager.default.removeItem(atPath: directory)
    }
}
