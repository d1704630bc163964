import Foundation
import GateCore
import Logging
import PostgresNIO

/// A gate's place in its site: `gate_id` held by one machine-id. A second machine with the same
/// `gate_id` — typically a cloned SD card — is refused, so two doors never ship into one journal.
public enum FleetRegistration {
    /// `/etc/machine-id`, trimmed; nil when the file is missing or empty.
    public static func localMachineID(path: String = "/etc/machine-id") -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let id = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return id.isEmpty ? nil : id
    }

    /// Registers the gate or confirms it is this machine's. `register: false` only looks.
    /// Returns false when the gate is not registered yet (and `register` was false).
    @discardableResult
    public static func claimGateID(_ settings: FleetSettings, machineID: String, register: Bool,
                                   on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        if register {
            try await connection.query("""
                INSERT INTO fleet_gate (site, gate_id, machine_id) VALUES (\(settings.site), \(settings.gateID), \(machineID))
                ON CONFLICT (site, gate_id) DO NOTHING
                """, logger: logger)
        }
        let rows = try await connection.query(
            "SELECT machine_id FROM fleet_gate WHERE site = \(settings.site) AND gate_id = \(settings.gateID)", logger: logger).collect()
        guard let holder = try rows.first?.decode(String.self) else { return false }
        guard holder == machineID else {
            throw FleetError(.gateConflict, operation: "fleet gate_id \"\(settings.gateID)\" of site \"\(settings.site)\"",
                             reason: "held by another machine (machine-id \(holder.prefix(8))…, this one is \(machineID.prefix(8))…)",
                             hint: "give this controller its own [fleet] gate_id; on a cloned SD card also run: rm /etc/machine-id && systemd-machine-id-setup")
        }
        return true
    }
}
