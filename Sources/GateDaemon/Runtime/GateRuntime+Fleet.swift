import GateCore
import GateFleet
import GateStore
import Logging

extension GateRuntime {
    /// The fleet part, when `[fleet]` is configured: its secrets are read now, so a missing
    /// password or code key file stops the start like a missing API key does. PostgreSQL itself
    /// is not needed to start — the gate admits without it.
    static func makeFleet(_ config: GateConfig, database: GateDatabase, journal: ObservedJournal, options: Options,
                          runtime: @escaping @Sendable () -> GateRuntime?, logger: Logger) throws -> FleetService? {
        guard let settings = config.fleet else { return nil }
        // EGUMA_GATE_MACHINE_ID: for containers without /etc/machine-id (and the tests' several gates).
        let given = options.machineID ?? options.environment["EGUMA_GATE_MACHINE_ID"].flatMap { $0.isEmpty ? nil : $0 }
        guard let machineID = given ?? FleetRegistration.localMachineID() else {
            throw FleetError(.configuration, operation: "read /etc/machine-id", reason: "missing or empty",
                             hint: "run: systemd-machine-id-setup (or set EGUMA_GATE_MACHINE_ID in the service environment)")
        }
        let hooks = FleetService.Hooks(
            record: { event in
                do { try await journal.append(event) } catch {
                    logger.warning("\(event.type.rawValue): \(event.message ?? "") — the journal did not take the event: \(error)")
                }
            },
            lanes: {
                guard let runtime = runtime() else { return [:] }
                return Dictionary(runtime.lanes.map { ($0.config.name, $0.feedback.state.summary) }, uniquingKeysWith: { a, _ in a })
            })
        return try FleetService(
            settings: settings, database: database, machineID: machineID,
            outletUsers: config.outlets.compactMapValues { $0.userID?.text },
            laneOutlets: Dictionary(config.lanes.map { ($0.name, $0.settings.outlet) }, uniquingKeysWith: { a, _ in a }),
            hooks: hooks, logger: Logger(label: "eguma-gate.fleet"))
    }
}
