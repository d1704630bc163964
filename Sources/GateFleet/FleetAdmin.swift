import GateCore
import Logging
import PostgresNIO

/// What `eguma-gate fleet check` and `fleet migrate` do, so tests can run them without the
/// executable. Every failure is a `FleetError` whose kind gives the exit code.
public enum FleetAdmin {
    /// What `fleet check` found when nothing was wrong.
    public struct CheckReport: Sendable, Equatable {
        public var server: String
        public var schemaVersion: Int
        /// False: the gate is not registered yet (the daemon registers it at start).
        public var registered: Bool
    }

    /// Connects, checks the schema version and that `gate_id` is this machine's (or still free).
    public static func check(_ settings: FleetSettings, machineID: String, logger: Logger) async throws -> CheckReport {
        let endpoint = try FleetEndpoint(settings: settings)
        _ = try FleetSecrets.codeKey(settings)
        return try await endpoint.withConnection(logger: logger) { connection in
            do {
                let version = try await FleetSchema.check(on: connection, server: endpoint.server, logger: logger)
                let registered = try await FleetRegistration.claimGateID(settings, machineID: machineID, register: false,
                                                                         on: connection, logger: logger)
                return CheckReport(server: endpoint.server, schemaVersion: version, registered: registered)
            } catch {
                throw endpoint.classify(error, operation: "check the fleet schema on \(endpoint.server)")
            }
        }
    }

    /// Applies the missing migrations; returns their names (empty: the schema was current).
    public static func migrate(_ settings: FleetSettings, logger: Logger) async throws -> [String] {
        let endpoint = try FleetEndpoint(settings: settings)
        return try await endpoint.withConnection(logger: logger) { connection in
            do {
                return try await FleetSchema.migrate(on: connection, logger: logger)
            } catch {
                throw endpoint.classify(error, operation: "migrate the fleet schema on \(endpoint.server)")
            }
        }
    }
}
