import EgumaAPI
import EgumaSimulator
import Foundation
import GateCore
import GateDaemon
import GateHardware
@testable import GateStore
import GRDB
import Testing
import TestSupport

/// A relay that, when the engine energises it, notes how many commits were made since the scan
/// and what the journal on disk holds at that moment.
actor JournalSnapshotRelay: Relay {
    let counter: CommitCounter
    let db: GateDatabase
    var baseline = 0
    private(set) var commitsBeforePulse: [Int] = []
    private(set) var redemptionsAtPulse: [StoredRedemption] = []
    private(set) var eventsAtPulse: [GateEventType] = []

    init(counter: CommitCounter, db: GateDatabase) { self.counter = counter; self.db = db }
    func scanStarts() { baseline = counter.commits }
    /// Commits since the last `scanStarts`.
    func commitsSinceScan() -> Int { counter.commits - baseline }
    private nonisolated let published = Broadcast<RelayChange>()
    func pulse(for duration: Duration) async throws {
        commitsBeforePulse.append(counter.commits - baseline)
        redemptionsAtPulse = try await db.redemptions()
        eventsAtPulse = try await db.events().map(\.event.type)
        published.send(.energised(.pulse))
        published.send(.released)
    }
    func forceInactive() async {}
    nonisolated func changes() -> AsyncStream<RelayChange> { published.subscribe() }
}

/// Issue 13: a paying scan makes at most two durable commits before the relay opens — the
/// admission with its "scanned" event and the redeem intent, then the token with its "redeemed"
/// event — and everything else after. Real SQLite file, real simulator over HTTP.
@Suite("Commits on the path from scan to relay", .serialized)
struct CriticalPathCommitTests {
    struct Lane {
        let server: SimulatorServer
        let client: EgumaClient
        let db: GateDatabase
        let directory: URL
        let relay: JournalSnapshotRelay
        let engine: LaneEngine<TestClock>

        static func start(_ vouchers: [SimulatedVoucher], configure: (inout LaneSettings) -> Void = { _ in }) async throws -> Lane {
            let server = try await SimulatorServer.start(SimulatorConfiguration(vouchers: SimulatedVoucherFile(vouchers: vouchers)))
            let client = try EgumaClient(configuration: EgumaClientConfiguration(
                baseURL: server.baseURL, connectTimeout: TestPatience.liveConnectTimeout, requestTimeout: .seconds(30)))
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("commits-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let db = try await GateDatabase.open(path: directory.appendingPathComponent("gate.db").path)
            let counter = CommitCounter()
            try await db.writer.writeWithoutTransaction { $0.add(transactionObserver: counter, extent: .databaseLifetime) }
            let relay = JournalSnapshotRelay(counter: counter, db: db)
            var settings = LaneSettings(name: "main", gateName: "spa-north", outlet: "spa", price: Money(cents: 2_500))
            configure(&settings)
            let clock = TestClock()
            let engine = LaneEngine(settings: settings, service: EgumaVoucherService(client: client, key: APIKey(SimulatedOutlet.demo.key)),
                                    relay: relay, sensor: nil, feedback: RecordingGuestFeedback(),
                                    journal: db, outbox: db, online: OnlineMonitor(clock: clock), clock: clock)
            return Lane(server: server, client: client, db: db, directory: directory, relay: relay, engine: engine)
        }

        func scan(_ code: String) async {
            await relay.scanStarts()
            let engine = self.engine
            _ = await engine.whileFollowingRelay { await engine.handle(.scanner(.frame(Array(code.utf8)))) }
        }

        func stop() async {
            try? await client.shutdown()
            await server.stop()
            try? db.close()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    @Test func aPayingScanCommitsAtMostTwiceBeforeTheRelayAndTheTokenIsOnDiskWhenItOpens() async throws {
        let lane = try await Lane.start([SimulatedVoucher(code: "AAAA1111AAAA", kind: .value, balanceInCents: 10_000)])
        await lane.scan("AAAA1111AAAA")
        let commits = try #require(await lane.relay.commitsBeforePulse.first)
        #expect(commits <= 2, "\(commits) durable commits between scan and relay; at most 2 allowed")
        let atPulse = try #require(await lane.relay.redemptionsAtPulse.first)
        #expect(atPulse.state == .redeemed)
        #expect(atPulse.token != nil)
        #expect(await lane.relay.eventsAtPulse == [.scanned, .redeemed])
        // The rest of the admission is written after the relay, batched: without a sensor the
        // guest is in once the pulse ended, so "opened" goes with the closing and "entered".
        #expect(try await lane.db.events().map(\.event.type) == [.scanned, .redeemed, .opened, .entered])
        #expect(await lane.relay.commitsSinceScan() == commits + 1, "after the relay: one commit (opened, outcome, entered)")
        #expect(try await lane.db.outcome(ofAdmission: atPulse.intent.admission) == .entered)
        #expect(atPulse.intent.reference == "spa-north/main/\(atPulse.intent.admission)")
        await lane.stop()
    }

    @Test func theSecondAdmissionAlsoCommitsAtMostTwiceAndGetsTheNextID() async throws {
        let lane = try await Lane.start([SimulatedVoucher(code: "AAAA1111AAAA", kind: .value, balanceInCents: 10_000),
                                         SimulatedVoucher(code: "BBBB2222BBBB", kind: .value, balanceInCents: 10_000)])
        await lane.scan("AAAA1111AAAA")
        await lane.scan("BBBB2222BBBB")
        #expect(await lane.relay.commitsBeforePulse.count == 2)
        #expect(await lane.relay.commitsBeforePulse.allSatisfy { $0 <= 2 })
        #expect(try await lane.db.redemptions().map(\.intent.admission) == [1, 2])
        await lane.stop()
    }

    /// Issue 24: a split payment's token of voucher 1 and intent of voucher 2 share one commit.
    /// Between the second scan and the relay: its "scanned" event, intent 1, token 1 with intent
    /// 2, token 2 — four commits, where writing the token and the next intent apart made five.
    @Test func aSplitPaymentsTokenAndTheNextVouchersIntentShareOneCommit() async throws {
        let lane = try await Lane.start([SimulatedVoucher(code: "AAAA1111AAAA", kind: .value, balanceInCents: 1_000),
                                         SimulatedVoucher(code: "BBBB2222BBBB", kind: .value, balanceInCents: 10_000)])
        await lane.scan("AAAA1111AAAA")  // 10.00 of the 25.00 price: waiting for a second voucher
        #expect(await lane.relay.commitsBeforePulse.isEmpty)
        await lane.scan("BBBB2222BBBB")
        let commits = try #require(await lane.relay.commitsBeforePulse.first)
        #expect(commits == 4, "\(commits) commits between the second scan and the relay")
        let atPulse = await lane.relay.redemptionsAtPulse
        #expect(atPulse.map(\.intent.amount) == [Money(cents: 1_000), Money(cents: 1_500)])
        #expect(atPulse.allSatisfy { $0.state == .redeemed && $0.token != nil }, "both tokens durable before the relay")
        let events = await lane.relay.eventsAtPulse
        #expect(events.filter { $0 == .redeemed }.count == 2, "\(events)")
        await lane.stop()
    }

    @Test func aRefusedScanWritesItsAdmissionAndScannedEventBeforeTheDenial() async throws {
        let lane = try await Lane.start([SimulatedVoucher(code: "BBBB2222BBBB", kind: .value, balanceInCents: 1_000)]) {
            $0.splitPayment = false
        }
        await lane.scan("BBBB2222BBBB")  // 10.00 below the 25.00 price, no split payment
        let events = try await lane.db.events()
        #expect(events.map(\.event.type) == [.scanned, .denied])
        let admission = try #require(events.first?.event.admission)
        #expect(events.last?.event.admission == admission)
        #expect(try await lane.db.outcome(ofAdmission: admission) == .denied)
        #expect(await lane.relay.commitsBeforePulse.isEmpty)
        await lane.stop()
    }

    /// The turnstile is released before the guest is told to walk: on the real relay adapter over
    /// the simulated chip, the line is already active when "accepted" and "walk through" are
    /// shown, and inactive again once the pulse ended.
    @Test func theRelayIsEnergisedBeforeTheGuestIsToldToWalk() async throws {
        let server = try await SimulatorServer.start(SimulatorConfiguration(vouchers: SimulatedVoucherFile(vouchers: [
            SimulatedVoucher(code: "AAAA1111AAAA", kind: .value, balanceInCents: 10_000)])))
        let client = try EgumaClient(configuration: EgumaClientConfiguration(
            baseURL: server.baseURL, connectTimeout: TestPatience.liveConnectTimeout, requestTimeout: .seconds(30)))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("relay-first-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let db = try await GateDatabase.open(path: directory.appendingPathComponent("gate.db").path)
        let chip = SimulatedGPIOChip(lineCount: 4)
        let relay = try GPIORelay(line: chip.requestOutput(.offset(2), activeLow: false, consumer: "test"), pulse: .milliseconds(30))
        let screens = ChipSnapshotFeedback(chip: chip, line: 2)
        let clock = TestClock()
        let engine = LaneEngine(settings: LaneSettings(name: "main", gateName: "spa-north", outlet: "spa", price: Money(cents: 2_500)),
                                service: EgumaVoucherService(client: client, key: APIKey(SimulatedOutlet.demo.key)),
                                relay: relay, sensor: nil, feedback: screens, journal: db, outbox: db,
                                online: OnlineMonitor(clock: clock), clock: clock)
        // As the daemon's lane does: the engine follows the relay's changes while it handles the scan.
        _ = await engine.whileFollowingRelay { await engine.handle(.scanner(.frame(Array("AAAA1111AAAA".utf8)))) }

        let shown = screens.shown.values
        let accepted = try #require(shown.first { if case .accepted = $0.state { true } else { false } })
        let walk = try #require(shown.first { $0.state == .walkThrough })
        #expect(accepted.relayActive, "\"accepted\" was shown before the relay was energised")
        #expect(walk.relayActive, "\"walk through\" was shown before the relay was energised")
        #expect(shown.first { $0.state == .checking }?.relayActive == false)
        #expect(chip.isActive(line: 2) == false, "the pulse ended")
        #expect(try await db.events().map(\.event.type) == [.scanned, .redeemed, .opened, .entered])

        try? await client.shutdown()
        await server.stop()
        try? db.close()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Guest feedback that notes, with each screen, whether the relay line was active then.
struct ChipSnapshotFeedback: GuestFeedback {
    struct Shown: Sendable { let state: GuestState; let relayActive: Bool }
    let chip: SimulatedGPIOChip
    let line: Int
    let shown = Recorder<Shown>()
    func show(_ state: GuestState) async { shown.append(Shown(state: state, relayActive: chip.isActive(line: line) == true)) }
}

