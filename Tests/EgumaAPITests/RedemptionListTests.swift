import EgumaAPI
import EgumaSimulator
import Foundation
import Testing

/// `EgumaClient.redemptions` against the simulator over real HTTP: window edges in e-guma's
/// local time, the user and complimentary filters, the documented cancel model, bad answers.
@Suite struct RedemptionListTests {
    static let spa = SimulatedOutlet(name: "spa", key: "spa-list-key-1", userID: 501, userName: "Kasse Spa")
    static let shop = SimulatedOutlet(name: "shop", key: "shop-list-key-2", userID: 502, userName: "Shop")
    static let vouchers = SimulatedVoucherFile(vouchers: [
        SimulatedVoucher(code: "AAAA-BBBB-CC01", kind: .value, balanceInCents: 10_000),
        SimulatedVoucher(code: "AAAA-BBBB-CC02", kind: .value, balanceInCents: 10_000),
        { var v = SimulatedVoucher(code: "AAAA-BBBB-CC03", kind: .value, balanceInCents: 10_000); v.complimentary = true; return v }(),
    ])
    static let zurich = EgumaLocalTime()

    /// 2026-03-28 23:59:59 and 2026-03-29 00:00:00 local (CET, UTC+1) and 2026-03-29 03:00:00
    /// (CEST, after the spring change): the first is the 28th, the other two the 29th.
    @Test func redemptionsAroundMidnightAndTheSpringChangeLandInTheirLocalDay() async throws {
        let clock = ManualWallClock(try #require(Self.zurich.parse("2026-03-28T23:59:59")))
        try await SimulatorHarness.with(outlets: [Self.spa], vouchers: Self.vouchers, now: { clock.now }) { h in
            _ = try await h.client.redeem(code: "AAAABBBBCC01", amount: 1000, reference: nil, key: h.key)
            clock.advance(by: 1)
            _ = try await h.client.redeem(code: "AAAABBBBCC01", amount: 2000, reference: nil, key: h.key)
            clock.advance(by: 2 * 3600)  // 02:00 local would not exist: this is 03:00 CEST
            _ = try await h.client.redeem(code: "AAAABBBBCC01", amount: 3000, reference: nil, key: h.key)

            let day28 = try #require(Self.zurich.day("2026-03-28"))
            let day29 = try #require(Self.zurich.day("2026-03-29"))
            #expect(day29.duration == 23 * 3600)
            let on28 = try await h.client.redemptions(from: day28.start, to: day28.end.addingTimeInterval(-1), key: h.key)
            let on29 = try await h.client.redemptions(from: day29.start, to: day29.end.addingTimeInterval(-1), key: h.key)
            #expect(on28.map(\.item.redeemedAmountInCents.value) == [1000])
            #expect(on29.map(\.item.redeemedAmountInCents.value) == [2000, 3000])
            #expect(on29.map(\.item.redeemedAtLocal) == ["2026-03-29T00:00:00", "2026-03-29T03:00:00"])
            #expect(on28[0].item.code == "AAAA-BBBB-CC01")
            #expect(on28[0].item.user == .init(id: 501, name: "Kasse Spa"))
            #expect(on28[0].redeemedAt == clock.now.addingTimeInterval(-2 * 3600 - 1))
        }
    }

    /// 2026-10-25: 02:30 local happens twice; a day of 25 hours holds both hours.
    @Test func theAutumnDayHasTwentyFiveHoursAndKeepsItsLateRedemptions() async throws {
        let day = try #require(Self.zurich.day("2026-10-25"))
        #expect(day.duration == 25 * 3600)
        // 00:30 UTC is 02:30 CEST (first pass); 01:30 UTC is 02:30 CET (second pass).
        let firstPass = Date(timeIntervalSince1970: 1_792_888_200)  // 2026-10-25T00:30:00Z
        let clock = ManualWallClock(firstPass)
        try await SimulatorHarness.with(outlets: [Self.spa], vouchers: Self.vouchers, now: { clock.now }) { h in
            _ = try await h.client.redeem(code: "AAAABBBBCC02", amount: 500, reference: nil, key: h.key)
            clock.advance(by: 3600)
            _ = try await h.client.redeem(code: "AAAABBBBCC02", amount: 700, reference: nil, key: h.key)
            clock.advance(by: 21.5 * 3600)  // 2026-10-25T23:00:00Z = 2026-10-26 00:00 CET: the next day
            _ = try await h.client.redeem(code: "AAAABBBBCC02", amount: 900, reference: nil, key: h.key)
            let rows = try await h.client.redemptions(from: day.start, to: day.end.addingTimeInterval(-1), key: h.key)
            #expect(rows.map(\.item.redeemedAmountInCents.value) == [500, 700])
            #expect(rows.allSatisfy { $0.item.redeemedAtLocal.hasPrefix("2026-10-25T02:30") })
        }
    }

    @Test func theUserAndComplimentaryFiltersNarrowTheAccountsList() async throws {
        try await SimulatorHarness.with(outlets: [Self.spa, Self.shop], vouchers: Self.vouchers) { h in
            let shopKey = APIKey(Self.shop.key)
            _ = try await h.client.redeem(code: "AAAABBBBCC01", amount: 1000, reference: nil, key: h.key)
            _ = try await h.client.redeem(code: "AAAABBBBCC02", amount: 2000, reference: nil, key: shopKey)
            _ = try await h.client.redeem(code: "AAAABBBBCC03", amount: 3000, reference: nil, key: h.key)
            let from = Date().addingTimeInterval(-60), to = Date().addingTimeInterval(60)
            let all = try await h.client.redemptions(from: from, to: to, key: h.key)
            #expect(all.map(\.item.redeemedAmountInCents.value).sorted() == [1000, 2000, 3000])
            let spa = try await h.client.redemptions(from: from, to: to, userID: 501, key: h.key)
            #expect(spa.map(\.item.redeemedAmountInCents.value).sorted() == [1000, 3000])
            let shopSeenBySpaKey = try await h.client.redemptions(from: from, to: to, userID: 502, key: h.key)
            #expect(shopSeenBySpaKey.map(\.item.redeemedAmountInCents.value) == [2000])
            let free = try await h.client.redemptions(from: from, to: to, complimentary: .only, key: h.key)
            #expect(free.map(\.item.redeemedAmountInCents.value) == [3000])
            #expect(free[0].item.isComplimentary)
            let paid = try await h.client.redemptions(from: from, to: to, userID: 501, complimentary: .excluded, key: h.key)
            #expect(paid.map(\.item.redeemedAmountInCents.value) == [1000])
        }
    }

    /// e-guma documents `user` as `{id, name}` without a type (issue 25): an account sending text
    /// ids is read, filtered by its text id, and its ids compare with the same number as text.
    @Test func userIDsAreReadAsNumberOrTextAndComparedAsText() async throws {
        let spa = SimulatedOutlet(name: "spa", key: "spa-text-key", userID: "kasse-spa", userName: "Kasse Spa")
        try await SimulatorHarness.with(outlets: [spa, Self.shop], vouchers: Self.vouchers) { h in
            _ = try await h.client.redeem(code: "AAAABBBBCC01", amount: 1000, reference: nil, key: h.key)
            _ = try await h.client.redeem(code: "AAAABBBBCC02", amount: 2000, reference: nil, key: APIKey(Self.shop.key))
            let from = Date().addingTimeInterval(-60), to = Date().addingTimeInterval(60)
            let all = try await h.client.redemptions(from: from, to: to, key: h.key)
            #expect(Set(all.compactMap(\.item.user?.id)) == ["kasse-spa", 502])
            let mine = try await h.client.redemptions(from: from, to: to, userID: "kasse-spa", key: h.key)
            #expect(mine.map(\.item.redeemedAmountInCents.value) == [1000])
            #expect(mine.first?.item.user?.id.isNumber == false)
            // The shop's number, asked for as text with a leading zero, is the same user.
            let shop = try await h.client.redemptions(from: from, to: to, userID: EgumaID(text: " 0502"), key: h.key)
            #expect(shop.map(\.item.redeemedAmountInCents.value) == [2000])
            #expect(shop.first?.item.user?.id == EgumaID(text: "502"))
            #expect(shop.first?.item.user?.id.isNumber == true)
        }
    }

    /// An id that is neither a whole number nor text is an answer that cannot be read.
    @Test func aUserIDOfAnotherTypeMakesTheListUnreadable() async throws {
        try await SimulatorHarness.with(outlets: [Self.spa], vouchers: Self.vouchers) { h in
            let at = Self.zurich.format(Date())
            for id in ["true", "{\"nr\":1}", "\"  \"", "null"] {
                await h.server.setFault(.status(200, body: #"[{"code":"AAAA-BBBB-CC01","redeemed_at":"\#(at)","redeemed_amount_in_cents":100,"user":{"id":\#(id)}}]"#),
                                        for: .redemptions)
                let error = await expectEgumaError { try await h.client.redemptions(from: Date().addingTimeInterval(-60), to: Date(), key: h.key) }
                guard case .undecodable(let detail)? = error?.kind else { Issue.record("id \(id): expected undecodable, got \(String(describing: error))"); continue }
                #expect(detail.contains("user.id"), "id \(id): \(detail)")
            }
        }
    }

    /// The simulator's documented model: full cancel → listed, derecognized, original amount;
    /// partial cancel → listed with what is still redeemed.
    @Test func cancelledRedemptionsFollowTheDocumentedModel() async throws {
        try await SimulatorHarness.with(outlets: [Self.spa], vouchers: Self.vouchers) { h in
            let full = try await h.client.redeem(code: "AAAABBBBCC01", amount: 2500, reference: nil, key: h.key)
            _ = try await h.client.cancelRedemption(code: "AAAABBBBCC01", token: full.redeemToken, amount: 2500, key: h.key)
            let part = try await h.client.redeem(code: "AAAABBBBCC02", amount: 4000, reference: nil, key: h.key)
            _ = try await h.client.cancelRedemption(code: "AAAABBBBCC02", token: part.redeemToken, amount: 1500, key: h.key)
            let rows = try await h.client.redemptions(from: Date().addingTimeInterval(-60), to: Date().addingTimeInterval(60), key: h.key)
            let byCode = Dictionary(uniqueKeysWithValues: rows.map { ($0.item.code, $0.item) })
            #expect(byCode["AAAA-BBBB-CC01"]?.derecognized == true)
            #expect(byCode["AAAA-BBBB-CC01"]?.redeemedAmountInCents == 2500)
            #expect(byCode["AAAA-BBBB-CC02"]?.derecognized == false)
            #expect(byCode["AAAA-BBBB-CC02"]?.redeemedAmountInCents == 2500)
        }
    }

    @Test func badAnswersAreErrorsThatNameTheListAndNeverTheKey() async throws {
        try await SimulatorHarness.with(outlets: [Self.spa], vouchers: Self.vouchers) { h in
            let from = Date().addingTimeInterval(-60), to = Date()
            await h.server.setFault(SimulatorFault(action: .status, status: 503, body: "Wartung"), for: .redemptions)
            let down = await expectEgumaError { try await h.client.redemptions(from: from, to: to, key: h.key) }
            #expect(down?.kind == .httpStatus(code: 503, message: "Wartung"))
            #expect(down?.endpoint == .redemptions)

            await h.server.setFault(SimulatorFault(action: .status, status: 200, body: #"[{"code":"AAAA-BBBB-CC01","redeemed_at":"21.05.2025 16:28","redeemed_amount_in_cents":100}]"#), for: .redemptions)
            let badTime = await expectEgumaError { try await h.client.redemptions(from: from, to: to, key: h.key) }
            guard case .undecodable(let detail)? = badTime?.kind else { Issue.record("expected undecodable, got \(String(describing: badTime))"); return }
            #expect(detail.contains("redeemed_at"))

            await h.server.setFault(SimulatorFault(action: .status, status: 200, body: #"{"not":"a list"}"#), for: .redemptions)
            let notList = await expectEgumaError { try await h.client.redemptions(from: from, to: to, key: h.key) }
            #expect(notList.map { if case .undecodable = $0.kind { true } else { false } } == true)
            #expect(!(notList?.description.contains(Self.spa.key) ?? true))

            await h.server.setFault(nil, for: .redemptions)
            let wrongKey = await expectEgumaError { try await h.client.redemptions(from: from, to: to, key: APIKey("nope")) }
            #expect(wrongKey.map { if case .unauthorized = $0.kind { true } else { false } } == true)
        }
    }

    @Test func localTimesAreReadAndWrittenInTheConfiguredZone() throws {
        let z = Self.zurich
        // Winter: UTC+1; summer: UTC+2.
        #expect(z.parse("2026-01-15T12:00:00") == Date(timeIntervalSince1970: 1_768_474_800))
        #expect(z.parse("2026-07-15T12:00:00") == Date(timeIntervalSince1970: 1_784_109_600))
        #expect(z.format(Date(timeIntervalSince1970: 1_784_109_600)) == "2026-07-15T12:00:00")
        #expect(z.parse("2026-07-15T12:00:00.250") == Date(timeIntervalSince1970: 1_784_109_600.25))
        for bad in ["2026-07-15 12:00:00", "2026-07-15T12:00", "2026-02-30T00:00:00", "2026-07-15T24:00:00", "2026-07-15T12:00:00+02:00", ""] {
            #expect(z.parse(bad) == nil, "\(bad)")
        }
        // The spring-change day: 23 hours, from 2026-03-28T23:00Z to 2026-03-29T22:00Z.
        let spring = try #require(z.day("2026-03-29"))
        #expect(spring.start == Date(timeIntervalSince1970: 1_774_738_800))
        #expect(spring.end == Date(timeIntervalSince1970: 1_774_821_600))
        let utc = EgumaLocalTime(.gmt)
        #expect(utc.parse("2026-01-15T12:00:00") == Date(timeIntervalSince1970: 1_768_478_400))
    }
}
