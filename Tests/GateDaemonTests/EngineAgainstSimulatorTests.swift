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
                      requestTimeout: Duration = .seconds(30),
                      configure: (inout LaneSettings) -> Void = { _ in }) async throws -> SimulatedLane {
        let server = try await SimulatorServer.start(SimulatorConfiguration(
            vouchers: SimulatedVoucherFile(vouchers: vouchers, shortCodes: shortCodes)))
        let client = try EgumaClient(configuration: EgumaClientConfiguration(
            baseURL: server.baseURL, connectTimeout: TestPatience.liveConnectTimeout, requestTimeout: requestTimeout))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("engine-sim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let db = try await GateDatabase.open(path: directory.appendingPathComponent("gate.db").path)
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

    func scan(_ code: String) async {
        let engine = self.engine
        _ = await engine.whileFollowingRelay { await engine.handle(.scanner(.frame(Array(code.utf8)))) }
    }

    func eventTypes() async throws -> [GateEventType] { try await db.events().map(\.event.type) }

    /// Runs the outbox until nothing is pending, moving the test clock to each next retry.
    func drainOutbox() async throws {
        for _ in 0..<50 {
            guard try await !db.pendingEntries().isEmpty else { return }
            if let next = await worker.runOnce() { clock.advance(by: max(.zero, clock.now.duration(to: next))) }
        }
        Issue.record("the outbox did not drain in 50 rounds")
    }

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

    /// e-guma may answer Balance with `message: null` (issue 25): the guest reads the lane
    /// language's own text, never the English placeholder the journal keeps for operators.
    @Test(arguments: DisplayLanguage.allCases)
    func aRefusalWithoutMessageShowsTheLaneLanguagesOwnText(_ language: DisplayLanguage) async throws {
        let expected: [DisplayLanguage: String] = [
            .de: "Dieser Gutschein ist nicht einlösbar", .fr: "Ce bon ne peut pas être utilisé",
            .it: "Questo buono non può essere utilizzato", .en: "This voucher cannot be redeemed",
        ]
        let lane = try await SimulatedLane.start([value(Self.voucherA, 5_000)])
        await lane.server.setFault(.status(200, body: #"{"code":"AAAA1111AAAA","is_redeemable":false,"balance_in_cents":0,"total_amount_in_cents":5000,"currency":"CHF","product_id":null,"message":null,"extra":null}"#,
                                           count: 1), for: .balance)
        await lane.scan(Self.voucherA)
        let state = try #require(lane.feedback.states.values.last)
        #expect(state == .denied(.eguma(message: nil)))
        let text = GuestTexts(language: language, currency: "CHF").text(for: state)
        #expect(text.lines.first == expected[language], "\(text)")
        #expect(!text.lines.contains("not redeemable") || language == .en)
        #expect(try await lane.db.events().last?.event.message == "not redeemable")
        #expect(await lane.appliedRedeems().isEmpty)
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

    @Test func aRedeemDroppedBeforeProcessingIsDeniedAndClosedAsNotAppliedAfterTheChecks() async throws {
        let lane = try await SimulatedLane.start([value(Self.voucherA, 5_000)])
        await lane.server.setFault(.dropBeforeProcessing(count: 1), for: .redeem)
        await lane.scan(Self.voucherA)
        #expect(await lane.relay.pulses.isEmpty)
        #expect(lane.feedback.states.values.last == .denied(.paymentUnconfirmed))
        #expect(try #require(try await lane.db.redemptions().first).state == .uncertain)
        try await lane.drainOutbox()
        #expect(await lane.appliedRedeems().isEmpty)
        #expect(await lane.server.balance(of: Self.voucherA) == 5_000)
        #expect(try #require(try await lane.db.redemptions().first).state == .notRedeemed)
        #expect(try await !lane.eventTypes().contains(.tokenUnknown))
        await lane.stop()
    }

    /// Issue 12 item 1: e-guma applies the redeem after the client gave up. The Balance right
    /// after still shows the old balance; the guest is denied ("payment not confirmed"); the
    /// outbox's later check finds it applied and raises "charged without entry" once.
    @Test func aRedeemAppliedAfterTheClientGaveUpIsFoundByTheOutboxAndRaisedOnce() async throws {
        let lane = try await SimulatedLane.start([value(Self.voucherA, 5_000)], requestTimeout: .milliseconds(300))
        await lane.server.setFault(.applyLate(milliseconds: 900, count: 1), for: .redeem)
        await lane.scan(Self.voucherA)
        #expect(lane.feedback.states.values.last == .denied(.paymentUnconfirmed))
        #expect(await lane.relay.pulses.isEmpty)
        #expect(try #require(try await lane.db.redemptions().first).state == .uncertain)
        // e-guma finishes the slow request (real time: the simulator applies it 900 ms after it came).
        try await withDeadline(.seconds(10), "the late redeem to land") {
            while await lane.server.account.lateCallsInFlight > 0 { try await Task.sleep(for: .milliseconds(20)) }
        }
        try await lane.drainOutbox()
        #expect(try #require(try await lane.db.redemptions().first).state == .tokenUnknown)
        let raised = try await lane.db.events().filter { $0.event.type == .tokenUnknown }
        #expect(raised.count == 1)
        #expect(raised.first?.event.message?.contains("charged without entry — refund the guest") == true)
        #expect(await lane.server.ledger().filter { $0.endpoint == .redeem }.count == 1)  // never re-sent
        // A restart settles nothing twice.
        await lane.worker.recoverInterrupted()
        try await lane.drainOutbox()
        #expect(try await lane.db.events().filter { $0.event.type == .tokenUnknown }.count == 1)
        await lane.stop()
    }

    /// Issue 12 item 2: the cancel reached e-guma but its answer was lost; the retry is refused
    /// ("exceeds the redeemed amount"); the balance proves it cancelled: no `cancel_failed`.
    @Test func aCancelWhoseAnswerWasLostIsClosedAsCancelledNotCancelFailed() async throws {
        for fault in [SimulatorFault.dropAfterProcessing(count: 1), .status(200, body: "<html>", count: 1)] {
            let lane = try await SimulatedLane.start([value(Self.voucherA, 5_000)])
            await lane.server.setFault(fault, for: .cancelRedemption)
            await lane.sensor.push(false)
            let handling = Task { await lane.scan(Self.voucherA) }
            #expect(await lane.clock.waitForSleepers(1, timeout: .seconds(10)))
            lane.clock.advance(by: .milliseconds(10_000))
            await handling.value
            #expect(try await lane.eventTypes().contains(.cancelQueued))
            try await lane.drainOutbox()
            let types = try await lane.eventTypes()
            #expect(!types.contains(.cancelFailed))
            #expect(types.last == .cancelled)
            #expect(try await lane.db.openEntries().isEmpty)  // no dead entry
            #expect(try #require(try await lane.db.redemptions().first).state == .cancelled)
            #expect(await lane.server.netRedeemed(Self.voucherA) == 0)
            await lane.stop()
        }
    }

    /// Issue 12 item 4: a 500 or an HTML answer to Balance is e-guma answering: denied, never
    /// admitted offline, even with `offline = "admit"`.
    @Test func aBalanceAnsweredWith500OrGarbageIsDeniedNeverAdmittedOffline() async throws {
        for fault in [SimulatorFault.status(500, count: 1), .status(200, body: "<html>maintenance</html>", count: 1)] {
            let lane = try await SimulatedLane.start([value(Self.voucherA, 5_000)]) { $0.offline = .admit }
            await lane.server.setFault(fault, for: .balance)
            await lane.scan(Self.voucherA)
            #expect(lane.feedback.states.values.last == .denied(.egumaError))
            #expect(try await !lane.eventTypes().contains(.offlineAdmitted))
            #expect(try await lane.db.pendingEntries().isEmpty)
            #expect(await lane.relay.pulses.isEmpty)
            await lane.stop()
        }
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

    /// The guide's replay rule over HTTP (issue 25): a voucher admitted offline that was partly
    /// spent at another till meanwhile is replayed for what it still holds, and the missing part
    /// is an `offline_shortfall` operator event with the token, never a failed or refused replay.
    @Test func anOfflineReplayWithAShortfallTakesWhatTheVoucherHolds() async throws {
        let lane = try await SimulatedLane.start([value(Self.voucherA, 5_000)]) { $0.offline = .admit }
        await lane.server.setFault(.dropBeforeProcessing(), for: nil)
        await lane.scan(Self.voucherA)
        #expect(try await lane.eventTypes().contains(.offlineAdmitted))
        await lane.server.setFault(nil, for: nil)
        _ = try await lane.client.redeem(code: Self.voucherA, amount: 4_000, reference: "front-desk",
                                         key: APIKey(SimulatedOutlet.demo.key))
        try await lane.drainOutbox()
        let replayed = await lane.appliedRedeems().filter { $0.referenceNumber == "spa-north/main/1" }
        #expect(replayed.map(\.amountInCents) == [1_000])
        let shortfall = try #require(try await lane.db.events().map(\.event).first { $0.type == .offlineShortfall })
        #expect(shortfall.amountCents == 1_500 && shortfall.balanceCents == 0)
        #expect(try await lane.db.redemptions().first?.state == .redeemed)
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
