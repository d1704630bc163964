import EgumaSimulator
import Foundation
import GateCore
import GateFleet
import PostgresNIO
import Testing
import TestSupport

/// The explicit sslmode mapping against a real PostgreSQL serving TLS with a certificate of a CA
/// the system does not trust: `require` encrypts without verifying; `verify-full` refuses the
/// unknown CA (a TLS problem, `fleet check` exit 2) and accepts it once `sslrootcert` names it;
/// a server named by IP address is verified against the certificate's IP names.
@Suite("Fleet TLS", .serialized, .enabled(if: PostgresServer.shouldRun))
struct FleetTLSTests {
    @Test func requireEncryptsAndVerifyFullTrustsOnlyTheNamedCA() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-tls-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let certificates = try SimulatorCertificates.generate(directory: dir)
        let rig = try await FleetRig.start(tls: (certificates.serverCertificatePEM, certificates.serverKeyPEM))
        do {
            var settings = rig.settings(gateID: "door-1")
            settings.host = "localhost"  // the certificate's name: verify-full checks it
            settings.sslMode = .require
            #expect(try await FleetAdmin.check(settings, machineID: "m1", logger: rig.logger).schemaVersion == FleetSchema.current)
            let connection = try await FleetEndpoint(settings: settings).connect(logger: rig.logger)
            let encrypted = try await connection.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", logger: rig.logger)
                .collect().first?.decode(Bool.self)
            try await connection.close()
            #expect(encrypted == true, "the session runs over TLS")

            settings.sslMode = .verifyFull
            do {
                _ = try await FleetAdmin.check(settings, machineID: "m1", logger: rig.logger)
                Issue.record("verify-full accepted a certificate of a CA nobody named")
            } catch let error as FleetError {
                #expect(error.kind == .tls, "\(error)")
            }
            let trusted = settings.trusting(certificates.caFile)
            #expect(try await FleetAdmin.check(trusted, machineID: "m1", logger: rig.logger).schemaVersion == FleetSchema.current)

            // A server named by IP address: no SNI, and the address is checked against the
            // certificate's IP names — 127.0.0.1 is one of them, 127.0.0.2 (the same server) is not.
            var byAddress = trusted
            byAddress.host = "127.0.0.1"
            #expect(try await FleetAdmin.check(byAddress, machineID: "m1", logger: rig.logger).schemaVersion == FleetSchema.current)
            byAddress.host = "127.0.0.2"
            do {
                _ = try await FleetAdmin.check(byAddress, machineID: "m1", logger: rig.logger)
                Issue.record("verify-full accepted a certificate that does not name 127.0.0.2")
            } catch let error as FleetError {
                #expect(error.kind == .tls, "\(error)")
            }
        } catch {
            await rig.destroy()
            throw error
        }
        await rig.destroy()
    }
}
