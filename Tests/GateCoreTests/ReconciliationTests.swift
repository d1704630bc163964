import Foundation
import GateCore
import Testing

/// The pure matching behind `reconcile` and the counting behind `report`, without I/O.
@Suite struct ReconciliationTests {
    static let t0 = Date(timeIntervalSince1970: 1_790_000_000)

    static func journal(_ id: Int64, _ code: String, _ cents: Int64, _ state: RedemptionState, admission: Int64? = nil,
                        lane: String = "main", after: Int64? = nil, at: Date = t0) -> JournalRedemptionRow {
        JournalRedemptionRow(id: id, admission: admission ?? id, lane: lane, outlet: "spa", code: code, amountCents: cents,
                             state: state, at: at, balanceAfterCents: after)
    }

    static func listed(_ code: String, _ cents: Int64, derecognized: Bool = false, at: Date = t0) -> PlatformRedemptionRow {
        PlatformRedemptionRow(code: code, at: at, amountCents: cents, derecognized: derecognized, userID: "7")
    }

    @Test func aCleanDayMatchesEveryVoucherWhateverTheCancelModel() {
        let journal = [Self.journal(1, "A", 2500, .redeemed), Self.journal(2, "B", 2500, .cancelled),
                       Self.journal(3, "C", 1000, .redeemed, admission: 3), Self.journal(4, "D", 1500, .redeemed, admission: 3),
                       Self.journal(5, "E", 2500, .notRedeemed)]
        // Model 1: a cancel flags the row; model 2: a cancelled row is absent.
        for list in [[Self.listed("A", 2500), Self.listed("B", 2500, derecognized: true), Self.listed("C", 1000), Self.listed("D", 1500)],
                     [Self.listed("A", 2500), Self.listed("C", 1000), Self.listed("D", 1500)]] {
            let r = Reconciliation(journal: journal, platform: list)
            #expect(r.isClean)
            #expect(Set(r.matched.map(\.code)).isSuperset(of: ["A", "C", "D"]))
            #expect(!r.matched.map(\.code).contains("E"), "a denied voucher is nothing to reconcile")
        }
    }

    @Test func eachKindOfDisagreementIsNamed() {
        let journal = [Self.journal(1, "NEVER", 2500, .redeemed), Self.journal(2, "LATE", 2500, .notRedeemed),
                       Self.journal(3, "PART", 2500, .redeemed)]
        let list = [Self.listed("LATE", 2500), Self.listed("OUTSIDE", 4000), Self.listed("PART", 2000)]
        let r = Reconciliation(journal: journal, platform: list)
        #expect(r.missingAtEguma.map(\.code) == ["NEVER"])
        #expect(r.unknownToGate.map(\.code) == ["LATE", "OUTSIDE"])
        #expect(r.amountDifferences.map(\.code) == ["PART"])
        #expect(r.amountDifferences.first.map { ($0.gateCents, $0.egumaCents) } ?? (0, 0) == (2500, 2000))
        #expect(!r.isClean)
    }

    @Test func aRowJustAcrossTheWindowEdgeCompletesTheJournalsCodeButNeverCountsAlone() {
        let journal = [Self.journal(1, "EDGE", 2500, .redeemed)]
        let nearby = [Self.listed("EDGE", 2500, at: Self.t0.addingTimeInterval(30)), Self.listed("OTHER", 900)]
        let r = Reconciliation(journal: journal, platform: [], platformNearby: nearby)
        #expect(r.isClean)
        #expect(r.matched.map(\.code) == ["EDGE"])
    }

    /// A list that does not show cancels at all makes a cancelled journal row look unknown:
    /// Balance decides, and only the balance the gate recorded after its cancel accepts it.
    @Test func aCancelTheListDoesNotShowIsAcceptedOnlyWhenBalanceAgrees() {
        let journal = [Self.journal(1, "X", 2500, .cancelled, after: 10_000)]
        var r = Reconciliation(journal: journal, platform: [Self.listed("X", 2500)])
        let finding = r.unknownToGate[0]
        #expect(finding.needsBalance)
        #expect(!finding.balanceExplains(7500))
        #expect(finding.balanceExplains(10_000))
        r.accept(code: "X", note: "confirmed by Balance")
        #expect(r.isClean)
        #expect(r.matched.first?.note == "confirmed by Balance")
        // A plain missing redeem never asks Balance.
        #expect(!Reconciliation(journal: [Self.journal(2, "Y", 2500, .redeemed)], platform: []).missingAtEguma[0].needsBalance)
    }

    /// A scripted day: the report counts exactly what the journal holds.
    @Test func theReportCountsAScriptedDay() {
        let admissions = [
            ReportAdmission(id: 1, lane: "main", outcome: .entered),        // one voucher
            ReportAdmission(id: 2, lane: "main", outcome: .entered),        // split: two vouchers
            ReportAdmission(id: 3, lane: "main", outcome: .denied),
            ReportAdmission(id: 4, lane: "main", outcome: .cancelled),      // no passage, cancelled at once
            ReportAdmission(id: 5, lane: "side", outcome: .cancelled),      // cancel via the outbox
            ReportAdmission(id: 6, lane: "side", outcome: .offlineEntered), // replay paid
            ReportAdmission(id: 7, lane: "side", outcome: .offlineEntered), // replay failed
            ReportAdmission(id: 8, lane: "side", outcome: .denied),         // token_unknown
        ]
        let redemptions = [
            Self.journal(1, "A", 2500, .redeemed, admission: 1), Self.journal(2, "B", 1000, .redeemed, admission: 2),
            Self.journal(3, "C", 1500, .redeemed, admission: 2), Self.journal(4, "D", 2500, .cancelled, admission: 4),
            Self.journal(5, "E", 2500, .cancelled, admission: 5, lane: "side"), Self.journal(6, "F", 2500, .redeemed, admission: 6, lane: "side"),
            Self.journal(7, "G", 2500, .notRedeemed, admission: 7, lane: "side"), Self.journal(8, "A", 2500, .tokenUnknown, admission: 8, lane: "side"),
        ]
        let events = [
            ReportEvent(type: .denied, lane: "main", admission: 3, message: "Gutschein wurde bereits eingelöst"),
            ReportEvent(type: .cancelled, lane: "main", admission: 4, message: nil),
            ReportEvent(type: .cancelQueued, lane: "side", admission: 5, message: nil),
            ReportEvent(type: .cancelled, lane: "side", admission: 5, message: nil),
            ReportEvent(type: .offlineAdmitted, lane: "side", admission: 6, message: nil),
            ReportEvent(type: .offlineAdmitted, lane: "side", admission: 7,
                        message: "\(DayReport.unclaimedMark) fleet unreachable (offline_without_fleet = local)"),
            ReportEvent(type: .offlineRedeemFailed, lane: "side", admission: 7, message: nil),
            ReportEvent(type: .denied, lane: "side", admission: 8, message: "e-guma error"),
            ReportEvent(type: .tokenUnknown, lane: "side", admission: 8, message: nil),
            ReportEvent(type: .manualOpen, lane: "main", admission: nil, message: "opened by alice"),
        ]
        let report = DayReport(admissions: admissions, redemptions: redemptions, events: events, lanes: ["main", "side", "idle"])
        let main = report.lanes["main"], side = report.lanes["side"], t = report.total
        #expect(main?.entries == 2 && side?.entries == 2 && t.entries == 4)
        #expect(main?.revenueCents == 5000 && side?.revenueCents == 5000 && t.revenueCents == 10_000)
        #expect(main?.splitPayments == 1 && t.splitPayments == 1)
        #expect(main?.vouchersUsed == 3 && side?.vouchersUsed == 2 && t.vouchersUsed == 4, "A on both lanes is one voucher")
        #expect(t.denied == 2 && main?.deniedByReason == ["Gutschein wurde bereits eingelöst": 1])
        #expect(t.cancels == 2 && t.cancelsImmediate == 1 && t.cancelsFromOutbox == 1 && side?.cancelsFromOutbox == 1)
        #expect(t.offlineAdmissions == 2 && t.offlineReplaysPaid == 1 && t.offlineReplaysFailed == 1 && t.offlineReplaysPending == 0)
        #expect(t.tokenUnknown == 1 && t.manualOpens == 1 && t.emergencyOpens == 0)
        #expect(side?.offlineUnclaimed == 1 && t.offlineUnclaimed == 1, "an offline admission no fleet claim backs")
        #expect(t.columns.last?.0 == "offline_unclaimed", "added at the end: an accountant's sheet keeps its columns")
        #expect(report.lanes["idle"] == DayReport.Figures())
        #expect(report.only(lane: "side").total == side)
    }
}
