import EgumaAPI
import EgumaSimulator
import Foundation
import GateCore
@testable import GateDaemon
import GateStore
import Logging
import TestSupport
import Testing

/// The issue-14 config keys and the daemon's own reconciliation run.
@Suite struct ReconcileConfigTests {
    func parse(_ text: String) -> Result<GateConfig, ConfigErrors> {
        do { return .success(try GateConfig.parse(text: text, file: "test.toml")) } catch { return .failure(error) }
    }

    func with(gate: String = "", api: String = "", outlet: String = "") -> String {
        GateConfigTests.valid
            .replacingOccurrences(of: "database = \"/tmp/gate.db\"\n", with: "database = \"/tmp/gate.db\"\n\(gate)\n")
            .replacingOccurrences(of: "base_url = \"http://127.0.0.1:8080\"\n", with: "base_url = \"http://127.0.0.1:8080\"\n\(api)\n")
            .replacingOccurrences(of: "api_key_file = \"/etc/eguma-gate/keys/spa.key\"\n", with: "api_key_file = \"/etc/eguma-gate/keys/spa.key\"\n\(outlet)\n")
    }

    @Test func theDefaultsAreZurichEveryFourHoursAndNoUser() throws {
        let config = try parse(GateConfigTests.valid).get()
        #expect(config.api.timeZone.identifier == "Europe/Zurich")
        #expect(config.gate.reconcileEveryHours == 4)
        #expect(config.outlets["spa"]?.userID == nil)
    }

    @Test func theKeysAreReadAndBadValuesNamed() throws {
        let config = try parse(with(gate: "reconcile_every_h = 0", api: "timezone = \"Europe/Berlin\"", outlet: "user_id = 4711")).get()
        #expect(config.gate.reconcileEveryHours == 0)
        #expect(config.api.timeZone.identifier == "Europe/Berlin")
        #expect(config.outlets["spa"]?.userID == 4711)

        guard case .failure(let errors) = parse(with(gate: "reconcile_every_h = 25", api: "timezone = \"Zurich\"", outlet: "user_id = true")) else {
            Issue.record("bad values passed"); return
        }
        let text = errors.errors.map(\.description).joined(separator: "\n")
        #expect(text.contains("api.timezone: \"Zurich\" is not a time zone name"), "\(text)")
        #expect(text.contains("gate.reconcile_every_h: 25 is out of range"), "\(text)")
        #expect(text.contains("outlets.spa.user_id: expected an integer or a string, found"), "\(text)")
    }

    /// e-guma sends user ids as numbers in some accounts and as text in others (issue 25): the
    /// key takes either and compares canonical text, so `"4711"` is user 4711.
    @Test func userIDIsANumberOrText() throws {
        #expect(try parse(with(outlet: "user_id = \"u-4711\"")).get().outlets["spa"]?.userID?.text == "u-4711")
        let quoted = try #require(try parse(with(outlet: "user_id = \" 4711 \"")).get().outlets["spa"]?.userID)
        #expect(quoted == 4711)
        #expect(!quoted.isNumber, "written back as the text it was")
        guard case .failure(let errors) = parse(with(outlet: "user_id = \"  \"")) else { Issue.record("an empty user_id passed"); return }
        #expect(errors.errors.map(\.description).joined().contains("outlets.spa.user_id: \"  \" is empty"), "\(errors)")
    }

    /// A clean outlet records `reconciled`; one with a redemption outside the gate records
    /// `reconcile_mismatch`, a warning-level operator event counted in the metrics.
    @Test func theDaemonsRunJournalsItsVerdictPerOutlet() async throws {
        let spa = SimulatedOutlet(name: "spa", key: "spa-run-key", userID: 701)
        let shop = SimulatedOutlet(name: "shop", key: "shop-run-key", userID: 702)
        let server = try await SimulatorServer.start(.init(
            outlets: [spa, shop], vouchers: SimulatedVoucherFile(vouchers: [SimulatedVoucher(code: "RUNAAAAA0001", kind: .value, balanceInCents: 10_000)]),
            logger: Logger(label: "sim", factory: { _ in SwiftLogNoOpLogHandler() })))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("reconcile-run-\(UUID().uuidString).db").path
        let database = try await GateDatabase.open(path: path)
        let client = try EgumaClient(configuration: .init(baseURL: server.baseURL), logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try await client.redeem(code: "RUNAAAAA0001", amount: 1000, reference: nil, key: APIKey(spa.key))  // spa's till
            let metrics = GateMetrics()
            let logger = Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() })
            let journal = ObservedJournal(database: database, file: path, events: Broadcast<GateEvent>(), metrics: metrics, logger: logger,
                                         health: JournalHealth())
            let service = ReconcileService(
                reconciler: Reconciler(database: database, client: client),
                outlets: [.init(name: "shop", key: APIKey(shop.key), userID: shop.userID), .init(name: "spa", key: APIKey(spa.key), userID: spa.userID)],
                plan: ReconcilePlan(everyHours: 4, local: EgumaLocalTime()), journal: journal, logger: logger, now: { Date() })
            let results = await service.runOnce(window: DateInterval(start: Date().addingTimeInterval(-600), end: Date().addingTimeInterval(600)))
            #expect(results.map(\.result.isClean) == [true, false])
            let events = try await database.events().map { ($0.event.type, $0.event.lane) }
            #expect(events.map(\.0) == [.reconciled, .reconcileMismatch])
            #expect(events.map(\.1) == ["outlet:shop", "outlet:spa"])
            #expect(metrics.render().contains("eguma_gate_reconcile_mismatches_total{outlet=\"spa\"} 1"), "\(metrics.render())")
        } catch {
            try? await client.shutdown(); try? database.close(); await server.stop()
            throw error
        }
        try? await client.shutdown(); try? database.close(); await server.stop()
    }

    /// Review item 6: with `reconcile_every_h = 0` the reconcile part is not started at all (it
    /// used to return at once and be restarted by its supervisor forever); on, it is.
    @Test(arguments: [0, 4])
    func theReconcilePartRunsOnlyWhenOn(everyHours: Int) async throws {
        let gate = try await GateUnderTest.start(lanes: LaneSupervisionTests.lanes, laneNames: ["main", "side"],
                                                 gate: "reconcile_every_h = \(everyHours)")
        do {
            let runtime = gate.runtime
            let parts = try await withDeadline(.seconds(10), "the gate's parts to start") {
                while runtime.runningParts.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
                return runtime.runningParts
            }
            #expect(parts.contains("outbox"))
            #expect(parts.contains("reconcile") == (everyHours > 0), "\(parts)")
            #expect(!runtime.metrics.render().contains("part=\"reconcile\""))
        } catch {
            await gate.stop()
            throw error
        }
        await gate.stop()
    }

    /// Review item 7: at the start the service closes the previous day first unless a run
    /// already journalled its verdict (one whose message names that day's span).
    @Test func theServiceClosesThePreviousDayAtStartUnlessAlreadyClosed() async throws {
        let local = EgumaLocalTime()
        let start = try #require(local.parse("2026-06-11T00:05:00"))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("reconcile-catchup-\(UUID().uuidString).db").path
        let database = try await GateDatabase.open(path: path)
        let client = try EgumaClient(configuration: .init(baseURL: "http://127.0.0.1:9"), logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
        defer { try? database.close(); try? FileManager.default.removeItem(atPath: path) }
        do {
            try await catchUpCases(local: local, start: start, database: database, client: client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try? await client.shutdown()
    }

    private func catchUpCases(local: EgumaLocalTime, start: Date, database: GateDatabase, client: EgumaClient) async throws {
        func service(_ messages: [String], ranBefore: Bool = true) -> ReconcileService {
            ReconcileService(reconciler: Reconciler(database: database, client: client), outlets: [],
                             plan: ReconcilePlan(everyHours: 4, local: local), journal: database,
                             logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }), now: { start },
                             closingMessages: { _ in messages }, ranBefore: { _ in ranBefore })
        }
        #expect(await service([], ranBefore: false).catchUp() == nil)  // a fresh install closes no day it never ran
        let open = try #require(await service([]).catchUp())
        #expect(open.window == local.day("2026-06-10"))
        #expect(open.at == (try #require(local.parse("2026-06-11T00:10:00"))))
        let closed = "2026-06-10T00:00:00…2026-06-11T00:00:00: 3 redemptions, all matched"
        #expect(await service([closed]).catchUp() == nil)
        let today = "2026-06-11T00:00:00…2026-06-11T04:00:00: 0 redemptions"
        #expect(await service([today]).catchUp() != nil)  // a run of another span closes nothing
    }
}
