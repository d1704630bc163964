import Foundation
import GateCore
import GateFleet
import Testing
import TestSupport

/// `fleet migrate` and `fleet check` against a real PostgreSQL server: versioned schema, the
/// classes of failure (`fleet check` exit 2 or 3), and a gate_id held by one machine.
@Suite("Fleet schema and check", .enabled(if: PostgresServer.shouldRun))
struct FleetSchemaTests {
    private func failure(_ body: () async throws -> Void) async -> FleetError? {
        do { try await body(); return nil } catch { return error as? FleetError }
    }

    @Test func beforeMigrateTheCheckNamesTheCommandToRun() async throws {
        let rig = try await FleetRig.start(migrate: false)
        defer { Task { await rig.destroy() } }
        let error = await failure { _ = try await FleetAdmin.check(rig.settings(gateID: "door-1"), machineID: "m1", logger: rig.logger) }
        #expect(error?.kind == .schema)
        #expect(error?.description.contains("eguma-gate fleet migrate") == true, "\(String(describing: error))")
    }

    @Test func migrateIsVersionedAndASecondRunAppliesNothing() async throws {
        let rig = try await FleetRig.start(migrate: false)
        defer { Task { await rig.destroy() } }
        // Two gates migrating at once: each step is applied once.
        async let first = FleetAdmin.migrate(rig.settings(gateID: "a"), logger: rig.logger)
        async let second = FleetAdmin.migrate(rig.settings(gateID: "b"), logger: rig.logger)
        let applied = try await first + second
        #expect(applied.count == FleetSchema.current)
        #expect(try await FleetAdmin.migrate(rig.settings(gateID: "a"), logger: rig.logger).isEmpty)
        #expect(try await rig.scalar("SELECT COUNT(*) FROM fleet_schema") == Int64(FleetSchema.current))
        let report = try await FleetAdmin.check(rig.settings(gateID: "door-1"), machineID: "m1", logger: rig.logger)
        #expect(report.schemaVersion == FleetSchema.current && !report.registered)
    }

    @Test func aSchemaNewerThanThisBuildKnowsIsASchemaError() async throws {
        let rig = try await FleetRig.start()
        defer { Task { await rig.destroy() } }
        try await rig.execute("INSERT INTO fleet_schema (version, name) VALUES (\(FleetSchema.current + 1), 'from-the-future')")
        let error = await failure { _ = try await FleetAdmin.check(rig.settings(gateID: "door-1"), machineID: "m1", logger: rig.logger) }
        #expect(error?.kind == .schema && error?.description.contains("upgrade eguma-gate") == true, "\(String(describing: error))")
    }

    @Test func aWrongPasswordIsAnAuthenticationProblemThatNeverShowsThePassword() async throws {
        let rig = try await FleetRig.start()
        defer { Task { await rig.destroy() } }
        try rig.writeSecret("password", "not-the-password")
        let error = await failure { _ = try await FleetAdmin.check(rig.settings(gateID: "door-1"), machineID: "m1", logger: rig.logger) }
        #expect(error?.kind == .authentication, "\(String(describing: error))")
        #expect(error?.description.contains("not-the-password") == false)
    }

    @Test func nothingListeningIsUnreachable() async throws {
        let rig = try await FleetRig.start(migrate: false)
        defer { Task { await rig.destroy() } }
        let port = try GateTestConfig.freePort()
        let error = await failure { _ = try await FleetAdmin.check(rig.settings(gateID: "door-1", port: port), machineID: "m1", logger: rig.logger) }
        #expect(error?.kind == .unreachable, "\(String(describing: error))")
    }

    @Test func aGateIDHeldByAnotherMachineIsRefused() async throws {
        let rig = try await FleetRig.start()
        defer { Task { await rig.destroy() } }
        let settings = rig.settings(gateID: "door-1")
        let connection = try await FleetEndpoint(settings: settings).connect(logger: rig.logger)
        defer { Task { try? await connection.close() } }
        #expect(try await FleetRegistration.claimGateID(settings, machineID: "machine-a", register: true, on: connection, logger: rig.logger))
        #expect(try await FleetRegistration.claimGateID(settings, machineID: "machine-a", register: true, on: connection, logger: rig.logger),
                "the same machine again (a restart) is fine")
        let error = await failure { _ = try await FleetAdmin.check(settings, machineID: "machine-b", logger: rig.logger) }
        #expect(error?.kind == .gateConflict && error?.description.contains("door-1") == true, "\(String(describing: error))")
    }

    @Test func theCommandExitsWithTheCodesOfSPEC() async throws {
        let rig = try await FleetRig.start(migrate: false)
        defer { Task { await rig.destroy() } }
        let config = try GateTestConfig(baseURL: "http://127.0.0.1:9")
        defer { config.remove() }
        let gate = config.text.replacingOccurrences(of: "api_key_file = \"\(config.keyPath)\"",
                                                    with: "api_key_file = \"\(config.keyPath)\"\nuser_id = 4711")
        try config.write(gate + "\n" + rig.toml(gateID: "door-1"))
        let before = try await GateBinary.run(["fleet", "check", "--config", config.configPath])
        #expect(before.status == 2 && before.stderr.contains("eguma-gate fleet migrate"), "\(before)")
        let migrated = try await GateBinary.run(["fleet", "migrate", "--config", config.configPath])
        #expect(migrated.status == 0, "\(migrated)")
        let ok = try await GateBinary.run(["fleet", "check", "--config", config.configPath])
        #expect(ok.status == 0 && ok.stdout.contains("ok"), "\(ok)")
        let away = rig.toml(gateID: "door-1").replacingOccurrences(of: ":\(rig.server.port)/", with: ":\(try GateTestConfig.freePort())/")
        try config.write(gate + "\n" + away)
        let unreachable = try await GateBinary.run(["fleet", "check", "--config", config.configPath])
        #expect(unreachable.status == 3, "\(unreachable)")
        let shown = try await GateBinary.run(["config", "show", "--config", config.configPath])
        #expect(shown.stdout.contains("[fleet]") && !shown.stdout.contains(rig.server.password), "\(shown)")

        // config check reads the fleet's secret files too: one others may read is refused.
        #expect(try await GateBinary.run(["config", "check", "--config", config.configPath]).status == 0)
        chmod(rig.directory + "/code.key", 0o644)
        let loose = try await GateBinary.run(["config", "check", "--config", config.configPath])
        #expect(loose.status == 2 && loose.stderr.contains("fleet.code_key_file") && loose.stderr.contains("chmod 0640"), "\(loose)")
        #expect(!loose.stderr.contains("site-secret"), "the key itself is never shown")
    }
}
