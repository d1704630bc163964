import EgumaAPI
import EgumaSimulator
import Foundation
import Glibc
import GateCore
import GateDaemon
import GateStore
import Logging
import TestSupport
import Testing

/// `admission list|show|void` and the desk's journalled `voucher redeem --outlet` (issue 25) as
/// the real binary, without a daemon, against the simulator over HTTP and a journal on disk.
/// Admissions of lane `main` are written through the store's own steps with real Redeems at the
/// simulator, so every token a void sends is one e-guma handed out.
@Suite struct DeskAdmissionTests {
    static let plenty = DemoVouchers.plenty          // CHF 100.00
    static let tooLittle = DemoVouchers.tooLittle    // CHF 10.00

    struct Counter {
        let server: SimulatorServer
        let config: GateTestConfig
        let database: GateDatabase
        let service: EgumaVoucherService
        let client: EgumaClient

        func cli(_ arguments: [String]) async throws -> GateBinary.Result {
            try await GateBinary.run(arguments + ["--config", config.configPath])
        }

        /// A guest pays with `vouchers` at lane `main` (a split when more than one): each intent
        /// journalled, redeemed at the simulator, its token stored; the admission closed `entered`.
        func admit(_ vouchers: [(String, Int64)]) async throws -> (admission: Int64, redemptions: [Int64]) {
            let admission = database.reserveAdmission(lane: "main")
            var ids: [Int64] = []
            for (index, (code, cents)) in vouchers.enumerated() {
                let before = try await service.balance(of: VoucherCode(unchecked: code)).balance
                let intent = RedemptionIntent(admission: admission, lane: "main", outlet: "demo", code: VoucherCode(unchecked: code),
                                              amount: Money(cents: cents), reference: "e2e/main/\(admission)", balanceBefore: before)
                let scanned = index == 0 ? GateEvent(.scanned, lane: "main", admission: admission, code: code) : nil
                let redemption = try await database.beginRedemption(intent, scanned: scanned)
                let answer = try await service.redeem(VoucherCode(unchecked: code), amount: Money(cents: cents), reference: intent.reference)
                try await database.recordRedeemed(redemption, token: answer.token, balanceAfter: answer.newBalance,
                                                  event: GateEvent(.redeemed, lane: "main", admission: admission, code: code, amountCents: cents))
                ids.append(redemption)
            }
            try await database.closeAdmission(admission, outcome: .entered, events: [])
            return (admission, ids)
        }

        func state(_ redemption: Int64) async throws -> RedemptionState? { try await database.redemption(id: redemption)?.state }
        func balance(_ code: String) async -> Int64? { await server.balance(of: code) }
        func events(_ type: GateEventType) async throws -> [GateEvent] {
            try await database.latestEvents(.init(types: [type]), limit: 50).map(\.event)
        }
    }

    static func withCounter(_ body: (Counter) async throws -> Void) async throws {
        let server = try await SimulatorServer.start(.init(logger: Logger(label: "sim", factory: { _ in SwiftLogNoOpLogHandler() })))
        let config: GateTestConfig
        do { config = try GateTestConfig(baseURL: server.baseURL) } catch { await server.stop(); throw error }
        let userID = SimulatedOutlet.demo.userID
        let line = "user_id = \(userID.isNumber ? userID.text : "\"\(userID.text)\"")"
        try config.write(config.text.replacingOccurrences(of: "[outlets.demo]\n", with: "[outlets.demo]\n\(line)\n"))
        let database = try await GateDatabase.open(path: config.databasePath)
        let client = try EgumaClient(configuration: .init(baseURL: server.baseURL, requestTimeout: .seconds(30)),
                                     logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let counter = Counter(server: server, config: config, database: database,
                              service: EgumaVoucherService(client: client, key: APIKey(SimulatedOutlet.demo.key)), client: client)
        do {
            try await body(counter)
        } catch {
            try? await client.shutdown(); try? database.close(); await server.stop(); config.remove()
            throw error
        }
        try? await client.shutdown(); try? database.close(); await server.stop(); config.remove()
    }

    // MARK: void

    @Test func voidOfASingleAdmissionCancelsItAtEgumaRecordsWhoAndWhyAndASecondVoidFindsNothing() async throws {
        try await Self.withCounter { c in
            let (admission, redemptions) = try await c.admit([(Self.plenty, 2_500)])
            #expect(await c.balance(Self.plenty) == 7_500)

            let void = try await c.cli(["admission", "void", "\(admission)", "--reason", "turned back after passing", "--user", "anna"])
            #expect(void.status == 0, "\(void)")
            #expect(void.stdout.contains("confirmed by e-guma"), "\(void)")
            #expect(await c.balance(Self.plenty) == 10_000, "the money is back at e-guma")
            #expect(try await c.state(redemptions[0]) == .cancelled)
            let voided = try #require(try await c.events(.admissionVoided).first)
            #expect(voided.admission == admission)
            #expect(voided.message?.contains("voided by anna: turned back after passing") == true, "\(voided)")

            let show = try await c.cli(["admission", "show", "\(admission)", "--json"])
            #expect(show.status == 0, "\(show)")
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
            let rows = try #require(doc["redemptions"] as? [[String: Any]])
            #expect(rows.first?["state"] as? String == "cancelled", "\(show)")
            #expect(rows.first?["token"] is String, "show gives the token a refund by hand needs")

            let again = try await c.cli(["admission", "void", "\(admission)", "--reason", "twice"])
            #expect(again.status == 1, "\(again)")
            #expect(again.stderr.contains("nothing left to cancel"), "\(again)")
            #expect(await c.server.ledger().filter { $0.endpoint == .cancelRedemption && $0.applied }.count == 1)
        }
    }

    @Test func voidOfASplitAdmissionCancelsEveryVoucherAndListShowsBoth() async throws {
        try await Self.withCounter { c in
            let (admission, redemptions) = try await c.admit([(Self.tooLittle, 1_000), (Self.plenty, 1_500)])
            let list = try await c.cli(["admission", "list", "--date", "today"])
            #expect(list.status == 0, "\(list)")
            #expect(list.stdout.contains("#\(admission)") && list.stdout.contains(Self.tooLittle) && list.stdout.contains(Self.plenty), "\(list)")
            #expect(list.stdout.contains("charged 25.00"), "\(list)")

            let void = try await c.cli(["admission", "void", "\(admission)", "--reason", "wrong lane price"])
            #expect(void.status == 0, "\(void)")
            #expect(await c.balance(Self.tooLittle) == 1_000)
            #expect(await c.balance(Self.plenty) == 10_000)
            for r in redemptions { #expect(try await c.state(r) == .cancelled) }
        }
    }

    @Test func voidWithEgumaUnreachableQueuesTheCancelDurablyAndTheOutboxFinishesIt() async throws {
        try await Self.withCounter { c in
            let (admission, redemptions) = try await c.admit([(Self.plenty, 2_500)])
            await c.server.setFault(.dropBeforeProcessing(), for: .cancelRedemption)
            let void = try await c.cli(["admission", "void", "\(admission)", "--reason", "guest complained"])
            #expect(void.status == 3, "\(void)")
            #expect(void.stderr.contains("queued durably"), "\(void)")
            #expect(try await c.state(redemptions[0]) == .cancelQueued)
            #expect(await c.balance(Self.plenty) == 7_500)
            let pending = try await c.database.pendingEntries()
            #expect(pending.count == 1)
            // Voided again while still unreachable: nothing new is queued or recorded.
            let again = try await c.cli(["admission", "void", "\(admission)", "--reason", "still waiting"])
            #expect(again.status == 3, "\(again)")
            #expect(again.stderr.contains("nothing new to cancel"), "\(again)")
            #expect(try await c.database.pendingEntries().map(\.id) == pending.map(\.id))
            #expect(try await c.events(.admissionVoided).count == 1)

            // e-guma is back: the outbox worker (as the daemon runs it) sends the queued cancel.
            await c.server.setFault(nil, for: .cancelRedemption)
            let worker = OutboxWorker(store: c.database, journal: c.database, services: ["demo": c.service], clock: ContinuousClock())
            await worker.runOnce()
            #expect(try await c.state(redemptions[0]) == .cancelled)
            #expect(await c.balance(Self.plenty) == 10_000)
            #expect(try await c.database.pendingEntries().isEmpty)
        }
    }

    @Test func voidByAUserWhoCannotReadTheOutletKeyLeavesTheCancelQueuedNeverDead() async throws {
        try await Self.withCounter { c in
            let (admission, redemptions) = try await c.admit([(Self.plenty, 2_500)])
            // A key file others may read is refused (as for the daemon): no service for the outlet.
            #expect(chmod(c.config.keyPath, 0o644) == 0)
            let void = try await c.cli(["admission", "void", "\(admission)", "--reason", "refund"])
            #expect(void.status == 3, "\(void)")
            #expect(void.stderr.contains("cannot read its key"), "\(void)")
            #expect(!void.stderr.contains(SimulatedOutlet.demo.key))
            #expect(try await c.database.pendingEntries().count == 1, "queued for the daemon, not dead-lettered")
            #expect(try await c.events(.cancelFailed).isEmpty)

            #expect(chmod(c.config.keyPath, 0o600) == 0)
            let again = try await c.cli(["admission", "void", "\(admission)", "--reason", "refund"])
            #expect(again.status == 0, "\(again)")
            #expect(try await c.state(redemptions[0]) == .cancelled)
            #expect(await c.balance(Self.plenty) == 10_000)
        }
    }

    @Test func voidOfAnOfflineAdmissionNotYetReplayedWithdrawsItsRedeemAndKeepsTheOfflineMemory() async throws {
        try await Self.withCounter { c in
            let admission = c.database.reserveAdmission(lane: "main")
            try await c.database.openAdmission(admission, lane: "main", scanned: GateEvent(.scanned, lane: "main", admission: admission))
            let entry = try await c.database.queueOfflineRedeem(OfflineRedeemOrder(
                lane: "main", outlet: "demo", admission: admission, code: Self.plenty, reference: "e2e/main/\(admission)", amountCents: 2_500))
            try await c.database.closeAdmission(admission, outcome: .offlineEntered, events: [])

            let void = try await c.cli(["admission", "void", "\(admission)", "--reason", "let in by mistake"])
            #expect(void.status == 0, "\(void)")
            #expect(void.stdout.contains("withdrawn"), "\(void)")
            #expect(try await !c.database.isPending(entry))
            #expect(try await c.database.wasOfflineAdmitted(VoucherCode(unchecked: Self.plenty)), "SPEC §3: never admitted offline twice")
            #expect(await c.server.ledger().filter { $0.endpoint == .redeem }.isEmpty, "nothing was taken at e-guma")
            #expect(await c.balance(Self.plenty) == 10_000)
        }
    }

    @Test func aTokenUnknownRedemptionIsRefusedWithHowToRefundByHandAndAnUnsettledOneUntilSettled() async throws {
        try await Self.withCounter { c in
            func journalled(_ code: String) async throws -> (Int64, Int64) {
                let admission = c.database.reserveAdmission(lane: "main")
                let redemption = try await c.database.beginRedemption(RedemptionIntent(
                    admission: admission, lane: "main", outlet: "demo", code: VoucherCode(unchecked: code), amount: Money(cents: 2_500),
                    reference: "e2e/main/\(admission)", balanceBefore: Money(cents: 10_000)), scanned: GateEvent(.scanned, lane: "main", admission: admission))
                return (admission, redemption)
            }
            let (lost, lostRedemption) = try await journalled(Self.plenty)
            _ = try await c.database.settleApplied(entry: nil, redemption: lostRedemption, balanceAfter: Money(cents: 7_500),
                                                   event: GateEvent(.tokenUnknown, lane: "main", admission: lost))
            try await c.database.closeAdmission(lost, outcome: .entered, events: [])
            let refused = try await c.cli(["admission", "void", "\(lost)", "--reason", "refund"])
            #expect(refused.status == 1, "\(refused)")
            #expect(refused.stderr.contains("cannot be cancelled by the gate") && refused.stderr.contains("refund it by hand"), "\(refused)")
            #expect(refused.stderr.contains("e2e/main/\(lost)"), "the hint names the reference to find it in e-guma")

            let (open, openRedemption) = try await journalled(Self.tooLittle)
            _ = try await c.database.deferToSettle(SettleOrder(lane: "main", outlet: "demo", admission: open, redemption: openRedemption,
                                                               code: Self.tooLittle, amountCents: 2_500, balanceBeforeCents: 10_000), closing: nil)
            try await c.database.closeAdmission(open, outcome: .denied, events: [])
            let unsettled = try await c.cli(["admission", "void", "\(open)", "--reason", "refund"])
            #expect(unsettled.status == 1, "\(unsettled)")
            #expect(unsettled.stderr.contains("still being settled"), "\(unsettled)")
            #expect(try await c.state(openRedemption) == .uncertain, "nothing written")
            #expect(try await c.events(.admissionVoided).isEmpty)
        }
    }

    // MARK: desk

    @Test func aDeskRedemptionOfAShortCodeRedeemsTheRealCodeAndReconcilesClean() async throws {
        try await Self.withCounter { c in
            // CHF 50.00 on the voucher, CHF 60.00 asked: min(amount, balance) is taken.
            let desk = try await c.cli(["voucher", "redeem", DemoVouchers.shortCode, "--amount", "60.00", "--outlet", "demo"])
            #expect(desk.status == 0, "\(desk)")
            let target = VoucherCode(unchecked: DemoVouchers.shortCodeTarget).undashed
            #expect(desk.stdout.contains("redeemed 50.00 from \(target)"), "\(desk)")
            #expect(await c.balance(DemoVouchers.shortCodeTarget) == 0)
            let records = try await c.database.admissionRecords(from: Date().addingTimeInterval(-3600), to: Date().addingTimeInterval(60), lane: "desk")
            let record = try #require(records.first)
            #expect(record.outcome == "entered", "closed with its token, in one step")
            #expect(record.redemptions.map { VoucherCode(unchecked: $0.code).undashed } == [target], "the real code, not the ShortCode")
            #expect(record.redemptions.first?.state == .redeemed && record.redemptions.first?.token != nil)
            #expect(record.redemptions.first?.reference == "e2e/desk/\(record.id)")
            let listed = try await c.cli(["admission", "list", "--lane", "desk", "--json"])
            #expect(listed.status == 0, "\(listed)")
            let line = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any], "\(listed)")
            #expect(line["lane"] as? String == "desk" && line["charged_cents"] as? Int == 5_000, "\(listed)")
            #expect((line["redemptions"] as? [[String: Any]])?.first?["token"] == nil, "list leaves the tokens to show")
            let redeemed = try #require(try await c.events(.redeemed).first)
            #expect(redeemed.source == .desk && redeemed.lane == "desk", "\(redeemed)")

            let local = EgumaLocalTime()
            let reconcile = try await c.cli(["reconcile", "--from", local.format(Date().addingTimeInterval(-3600)),
                                             "--to", local.format(Date().addingTimeInterval(3600))])
            #expect(reconcile.status == 0, "the desk's own redemption is no longer unknown to the gate: \(reconcile)")
            let report = try await c.cli(["report", "--date", "today", "--lane", "desk", "--json"])
            #expect(report.status == 0, "\(report)")
            let figures = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
            let deskFigures = try #require((figures["lanes"] as? [String: Any])?["desk"] as? [String: Any], "\(report)")
            #expect(deskFigures["revenue_cents"] as? Int == 5_000, "the report counts the desk's redemption: \(report)")

            // `voucher cancel` by the redemption's id: the stored token, through the outbox.
            let redemption = try #require(record.redemptions.first?.id)
            let cancel = try await c.cli(["voucher", "cancel", "--redemption", "\(redemption)", "--reason", "sold by mistake"])
            #expect(cancel.status == 0, "\(cancel)")
            #expect(await c.balance(DemoVouchers.shortCodeTarget) == 5_000)
        }
    }

    @Test func aDeskRedeemWhoseAnswerIsLostIsSettledByEvidenceAndNeverSentAgain() async throws {
        try await Self.withCounter { c in
            await c.server.setFault(.dropAfterProcessing(count: 1), for: .redeem)
            let desk = try await c.cli(["voucher", "redeem", Self.plenty, "--amount", "20.00", "--outlet", "demo"])
            #expect(desk.status == 0, "\(desk)")
            #expect(desk.stdout.contains("answer was lost"), "\(desk)")
            #expect(await c.server.ledger().filter { $0.endpoint == .redeem }.count == 1, "never re-sent")
            #expect(await c.balance(Self.plenty) == 8_000)
            let record = try #require(try await c.database.admissionRecords(from: .distantPast, to: .distantFuture, lane: "desk").first)
            #expect(record.redemptions.first?.state == .tokenUnknown)
            #expect(record.outcome == "entered")
            #expect(try await c.events(.tokenUnknown).count == 1, "an uncancellable charge is an operator event")
        }
    }

    @Test func aDeskRedeemOfAnUnknownVoucherTakesNothingAndWritesNoAdmission() async throws {
        try await Self.withCounter { c in
            let desk = try await c.cli(["voucher", "redeem", DemoVouchers.unknown, "--amount", "20.00", "--outlet", "demo"])
            #expect(desk.status == 1, "\(desk)")
            #expect(await c.server.ledger().filter { $0.endpoint == .redeem }.isEmpty, "Balance first: no Redeem")
            #expect(try await c.database.admissionRecords(from: .distantPast, to: .distantFuture).isEmpty)
        }
    }

    @Test func aLaneNamedDeskIsRefusedByTheConfiguration() throws {
        let config = try GateTestConfig(baseURL: "http://127.0.0.1:9")
        defer { config.remove() }
        try config.write(config.text.replacingOccurrences(of: "[lanes.main]", with: "[lanes.desk]"))
        do {
            _ = try GateConfig.load(path: config.configPath)
            Issue.record("a lane named desk was accepted")
        } catch {
            #expect(error.errors.contains { $0.description.contains("reserved for desk redemptions") }, "\(error)")
        }
    }
}
