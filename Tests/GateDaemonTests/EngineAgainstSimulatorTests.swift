import EgumaAPI
import EgumaSimulator
import Foundation
import GateCore
import GateDaemon
import GateStore
import Testing
import TestSupport

/// One lane wired to a real simulator over loopback HTTP and a real database file on disk.
/// Only the relay and passage sensor are scripted (their real adapters are GateHardware's).
struct SimulatedLane {
    let server: SimulatorServer
    let client: EgumaClient
    let service: EgumaVoucherService
    let db: GateDatabase
    let directory: URL
    let clock = TestClock()
    let relay = ScriptedRelay()
    let sensor: ScriptedPassageSensor<TestClock>
    let feedback = RecordingGuestFeedback()
    let online: OnlineMonitor<TestClock>
    let engine: LaneEngine<TestClock>
    let worker: OutboxWorker<TestClock>

    static func start(_ vouchers: [SimulatedVoucher], shortCodes: [SimulatedVoucherFile.ShortCode] = [],
                      configure: (inout LaneSettings) -> Void = { _ in }) async throws -> SimulatedLane {
        let server = try await SimulatorServer.start(SimulatorConfiguration(
            vouchers: SimulatedVoucherFile(vouchers: vouchers, shortCodes: shortCodes)))
        let client = try EgumaClient(configuration: EgumaClientConfiguration(
            baseURL: server.baseURL, connectTimeout: .seconds(2), requestTimeout: .seconds(3)))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("engine-sim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let db = try GateDatabase.open(path: directory.appendingPathComponent("gate.db").path)
        var settings = LaneSettings(name: "main", gateName: "spa-north", outlet: "spa", price: Money(cents: 2_500))
        configure(&settings)
        return SimulatedLane(server: server, client: client, db: db, directory: directory, settings: settings)
    }

    private init(server: SimulatorServer, client: EgumaClient, db: GateDatabase, directory: URL, settings: LaneSettings) {
        self.server = server; self.client = client; self.db = db; self.directory = directory
        service = EgumaVoucherService(client: client, key: APIKey(SimulatedOutlet.demo.key))
        sensor = ScriptedPassageSensor(clock: clock)
        online = OnlineMonitor(clock: clock)
        engine = LaneEngine(settings: settings, service: service, relay: relay, sensor: sensor, feedback: feedback,
                            journal: db, outbox: db, online: online, clock: clock)
        worker = OutboxWorker(store: db, journal: db, services: ["spa": service],
                              policy: RetryPolicy(base: .seconds(2), cap: .seconds(60), jitter: 0), clock: clock,
                              online: online, unitRandom: { 0 })
    }

    func scan(_ code: String) async { _ = await engine.handle(.scanner(.frame(Array(code.utf8)))) }

    func eventTypes() async throws -> [GateEventType] { try await db.events().map(\.event.type) }

    func appliedRedeems() async -> [LedgerEntry] {
        await server.ledger().filter { $0.endpoint == .redeem && $0.applied }
    }

    func stop() async {
        try? await client.shutdown()
        await server.stop()
        try? FileManager.default.removeItem(at: directory)
    }
}

@Suite("Admission engine against the e-guma simulator over real HTTP", .serialized)
struct EngineAgainstSimulatorTests {
    static let voucherA = "AAAA1111AAAA"
    static let voucherB = "BBBB2222BBBB"
    static let voucherC = "CCCC3333CCCC"

    func value(_ code: String, _ cents: Int64, product: String? = nil) -> SimulatedVoucher {
        SimulatedVoucher(code: code, kind: .value, balanceInCents: cents, productId: product)
    }

    @Test func aValueVoucherIsRedeemedWithTheLaneReferenceAndItsTokenJournalled() async throws {
        let lane = try await SimulatedLane.start([value(Self.voucherA, 10_000)])
        await lane.scan("AAAA-1111-AAAA")
        let redeems = await lane.appliedRedeems()
        #expect(redeems.count == 1)
        #expect(redeems.first?.amountInCents == 2_500)
        #expect(redeems.first?.referenceNumber == "spa-north/main/1")
        let stored = try #require(try await lane.db.redemptions().first)
        #expect(stored.token == redeems.first?.token)
        #expect(await lane.server.balance(of: Self.voucherA) == 7_500)
        #expect(try await lane.eventTypes() == [.scanned, .redeemed, .opened, .entered])
        await lane.stop()
    }

    @Test func noPassageCancelsAtEgumaAndTheBalanceIsAsBefore() async throws {
        let lane = try await SimulatedLane.start([value(Self.voucherA, 5_000)])
        await lane.sensor.push(false)
        let handling = Task { await lane.scan(Self.voucherA) }
        #expect(await lane.clock.waitForSleepers(1, timeout: .seconds(10)))
        lane.clock.advance(by: .milliseconds(10_000))
        await handling.value
        #expect(await lane.server.balance(of: Self.voucherA) == 5_000)
        #expect(await lane.server.netRedeemed(Self.voucherA) == 0)
        #expect(try await lane.eventTypes().suffix(2) == [.noPassage, .cancelled])
        await lane.stop()
    }

    @Test func aRedeemWhoseAnswerIsLostIsSettledByBalanceAsTokenUnknown() async throws {
        let lane = try await SimulatedLane.start([value(Self.voucherA, 5_000)])
        await lane.server.setFault(.dropAfterProcessing(count: 1), for: .redeem)
        await lane.scan(Self.voucherA)
        #expect(await lane.server.ledger().filter { $0.endpoint == .redeem }.count == 1)  // never re-sent
        #expect(try #require(try await lane.db.redemptions().first).state == .tokenUnknown)
        let types = try await lane.eventTypes()
        #expect(types.contains(.tokenUnknown) && types.last == .entered)
        await lane.stop()
    }

    @Test func aRedeemDroppedBeforeProcessingIsDeniedAndNothingIsTaken() async throws {
        let lane = try await SimulatedLane.start([value(Self.voucherA, 5_000)])
        await lane.server.setFault(.dropBeforeProcessing(count: 1), for: .redeem)
        await lane.scan(Self.voucherA)
        #expect(await lane.appliedRedeems().isEmpty)
        #expect(await lane.server.balance(of: Self.voucherA) == 5_000)
        #expect(await lane.relay.pulses.isEmpty)
        #expect(try #require(try await lane.db.redemptions().first).state == .notRedeemed)
        await lane.stop()
    }

    @Test func aShortCodeIsRedeemedAndJournalledUnderTheRealCode() async throws {
        let lane = try await SimulatedLane.start([value(Self.voucherA, 5_000)],
                                                 shortCodes: [.init(shortCode: "42", code: Self.voucherA)])
        await lane.scan("42")
        #expect(await lane.appliedRedeems().map(\.code) == [Self.voucherA])
        #expect(try await lane.db.redemptions().map(\.intent.code.text) == [Self.voucherA])
        await lane.stop()
    }

    @Test func twoVouchersPayOneEntryWithOneReference() async throws {
        let lane = try await SimulatedLane.start([value(Self.voucherA, 1_000), value(Self.voucherB, 5_000)])
        await lane.scan(Self.voucherA)
        #expect(await lane.appliedRedeems().isEmpty)
        await lane.scan(Self.voucherB)
        let redeems = await lane.appliedRedeems()
        #expect(redeems.map(\.amountInCents) == [1_000, 1_500])
        #expect(Set(redeems.compactMap(\.referenceNumber)) == ["spa-north/main/1"])
        await lane.stop()
    }

    /// Outage test: e-guma unreachable for a while with offline = "admit", then back. Every queued
    /// redeem lands exactly once; a voucher spent elsewhere meanwhile ends as offline_redeem_failed.
    @Test func outageWithOfflineAdmitReplaysEveryRedeemExactlyOnce() async throws {
        let lane = try await SimulatedLane.start([value(Self.voucherA, 5_000), value(Self.voucherB, 5_000),
                                                  value(Self.voucherC, 2_500)]) { $0.offline = .admit }
        // Unreachable: every call's connection is closed before e-guma processes anything.
        await lane.server.setFault(.dropBeforeProcessing(), for: nil)
        for code in [Self.voucherA, Self.voucherB, Self.voucherC] {
            await lane.scan(code)
            lane.clock.advance(by: .seconds(3))
        }
        #expect(try await lane.eventTypes().filter { $0 == .offlineAdmitted }.count == 3)
        #expect(try await lane.db.pendingEntries().count == 3)

        // C is spent at another till meanwhile (that till still reaches e-guma).
        await lane.server.setFault(nil, for: nil)
        _ = try await lane.client.redeem(code: Self.voucherC, amount: 2_500, reference: "front-desk",
                                         key: APIKey(SimulatedOutlet.demo.key))
        await lane.server.setFault(.dropBeforeProcessing(), for: nil)
        // Still down: the worker retries and nothing lands.
        await lane.worker.runOnce()
        #expect(await lane.appliedRedeems().count == 1)
        // Back online.
        #expect(try await lane.db.pendingEntries().allSatisfy { $0.attempts == 1 })
        await lane.server.setFault(nil, for: nil)
        lane.clock.advance(by: .seconds(60))
        await lane.worker.runOnce()
        await lane.worker.runOnce()
        let redeems = await lane.appliedRedeems().filter { $0.referenceNumber != "front-desk" }
        #expect(redeems.map(\.code).sorted() == [Self.voucherA, Self.voucherB])
        #expect(try await lane.db.pendingEntries().isEmpty)
        let dead = try await lane.db.openEntries()
        #expect(dead.count == 1 && dead.first?.state == .dead)
        #expect(try await lane.eventTypes().contains(.offlineRedeemFailed))
        // A second pass changes nothing: exactly once.
        lane.clock.advance(by: .seconds(600))
        await lane.worker.runOnce()
        #expect(await lane.appliedRedeems().count == 3)
        await lane.stop()
    }
}
