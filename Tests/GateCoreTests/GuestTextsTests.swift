import Foundation
import GateCore
import Testing
import TestSupport

/// Every guest state in every language, compared with a reviewed golden file
/// (`Golden/guest-texts.golden`; rewrite it with EGUMA_UPDATE_GOLDEN=1 and review the diff).
@Suite struct GuestTextsTests {
    static let egumaMessage = "Dieser Gutschein wurde bereits eingelöst."

    /// One sample of every state and deny reason, with a name for the golden file.
    static let samples: [(String, GuestState)] = [
        ("idle", .idle),
        ("checking", .checking),
        ("accepted(75.00)", .accepted(newBalance: Money(cents: 7_500))),
        ("accepted(nil)", .accepted(newBalance: nil)),
        ("accepted(split)", .accepted(newBalance: Money(cents: 3_500), vouchers: [
            VoucherPaid(code: "••••-••••-AAAA", amount: Money(cents: 1_000), newBalance: .zero),
            VoucherPaid(code: "••••-••••-BBBB", amount: Money(cents: 1_500), newBalance: Money(cents: 3_500))])),
        ("denied(eguma)", .denied(.eguma(message: egumaMessage))),
        ("denied(emptyCode)", .denied(.emptyCode)),
        ("denied(unreadableCode)", .denied(.unreadableCode)),
        ("denied(notValidHere)", .denied(.notValidHere)),
        ("denied(noBalance)", .denied(.noBalance)),
        ("denied(insufficientBalance(10.00))", .denied(.insufficientBalance(balance: Money(cents: 1_000)))),
        ("denied(splitTimeout)", .denied(.splitTimeout)),
        ("denied(redeemFailed)", .denied(.redeemFailed)),
        ("denied(relayFailure)", .denied(.relayFailure)),
        ("denied(offlineNotPossible)", .denied(.offlineNotPossible)),
        ("denied(outOfOrder)", .denied(.outOfOrder)),
        ("denied(paymentUnconfirmed)", .denied(.paymentUnconfirmed)),
        ("denied(voucherBeingChecked)", .denied(.voucherBeingChecked)),
        ("denied(egumaError)", .denied(.egumaError)),
        ("denied(lanePaused)", .denied(.lanePaused)),
        ("denied(shortCodeNotAccepted)", .denied(.shortCodeNotAccepted)),
        ("awaitingMore(12.50)", .awaitingMore(remaining: Money(cents: 1_250))),
        ("walkThrough", .walkThrough),
        ("cancelled", .cancelled),
        ("offline", .offline),
        ("emergency", .emergency),
        ("balance(redeemable)", .balance(BalanceCheck(isRedeemable: true, balance: Money(cents: 7_500),
                                                       total: Money(cents: 10_000), message: nil))),
        ("balance(not redeemable)", .balance(BalanceCheck(isRedeemable: false, balance: .zero, total: Money(cents: 5_000),
                                                           message: egumaMessage))),
    ]

    static func render() -> String {
        var out = ""
        for language in DisplayLanguage.allCases {
            for balanceLane in [false, true] {
                let texts = GuestTexts(language: language, balanceLane: balanceLane, currency: "CHF")
                let states = balanceLane ? samples.filter { $0.0 == "idle" } : samples
                var rendered = states.map { ($0.0, texts.text(for: $0.1)) }
                if !balanceLane {  // a gate lane's idle screen shows the entry price
                    let priced = GuestTexts(language: language, price: { Money(cents: 2_500) }, currency: "CHF")
                    rendered.insert(("idle(price 25.00)", priced.text(for: .idle)), at: 1)
                }
                for (name, text) in rendered {
                    out += "\(language.rawValue)\(balanceLane ? " balance-lane" : "") \(name) [\(text.outcome.rawValue)]\n"
                    out += "  \(text.title)\n"
                    for line in text.lines { out += "  | \(line)\n" }
                }
            }
        }
        return out
    }

    static let goldenPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Golden/guest-texts.golden").path

    @Test func everyStateInEveryLanguageMatchesTheGoldenFile() throws {
        let rendered = Self.render()
        if ProcessInfo.processInfo.environment["EGUMA_UPDATE_GOLDEN"] == "1" {
            try rendered.write(toFile: Self.goldenPath, atomically: true, encoding: .utf8)
        }
        let golden = try String(contentsOfFile: Self.goldenPath, encoding: .utf8)
        let expected = golden.split(separator: "\n", omittingEmptySubsequences: false)
        let actual = rendered.split(separator: "\n", omittingEmptySubsequences: false)
        for (i, (e, a)) in zip(expected, actual).enumerated() where e != a {
            Issue.record("line \(i + 1): expected \"\(e)\", got \"\(a)\"")
        }
        #expect(expected.count == actual.count)
    }

    @Test func egumasMessageIsShownVerbatimInEveryLanguage() {
        let message = "Gutschein ungültig — «bereits eingelöst» <b>&</b>"
        for language in DisplayLanguage.allCases {
            let text = GuestTexts(language: language, currency: "CHF").text(for: .denied(.eguma(message: message)))
            #expect(text.lines == [message])
            #expect(text.outcome == .failure)
        }
    }

    /// Without a message from e-guma (null or blank) the guest reads the lane language's own text.
    @Test(arguments: DisplayLanguage.allCases)
    func aRefusalWithoutEgumasMessageIsInTheLanesLanguage(_ language: DisplayLanguage) {
        let own = ["de": "Dieser Gutschein ist nicht einlösbar", "fr": "Ce bon ne peut pas être utilisé",
                   "it": "Questo buono non può essere utilizzato", "en": "This voucher cannot be redeemed"]
        let texts = GuestTexts(language: language, currency: "CHF")
        for message in [nil, "", "  \n"] as [String?] {
            let text = texts.text(for: .denied(.eguma(message: message)))
            #expect(text.lines.first == own[language.rawValue], "\(language) \(String(describing: message))")
            #expect(text.title == texts.text(for: .denied(.eguma(message: "x"))).title)
            #expect(text.outcome == .failure)
        }
    }

    @Test func amountsReadTheAccountsCurrencyWithTwoDecimals() {
        #expect(GuestTexts.amount(Money(cents: 1_250), currency: "CHF") == "CHF 12.50")
        #expect(GuestTexts.amount(Money(cents: 5), currency: "EUR") == "EUR 0.05")
        #expect(GuestTexts(language: .de, currency: "CHF").text(for: .awaitingMore(remaining: Money(cents: 1_250))).title == "Noch CHF 12.50")
    }

    /// An EUR account (Germany, Austria) shows EUR in every text with an amount, in every
    /// language; the currency is asked at each rendering, so an answer that names it takes effect.
    @Test(arguments: DisplayLanguage.allCases)
    func everyAmountIsInTheCurrencyAskedAtRendering(_ language: DisplayLanguage) {
        let currency = Recorder<String>()
        currency.append("CHF")
        let texts = GuestTexts(language: language, price: { Money(cents: 2_500) }, currency: { currency.values.last ?? "?" })
        #expect(texts.text(for: .idle).lines.last?.hasSuffix("CHF 25.00") == true)
        currency.append("EUR")
        let withAmounts: [GuestState] = [
            .idle, .accepted(newBalance: Money(cents: 7_500)), .denied(.insufficientBalance(balance: Money(cents: 1_000))),
            .awaitingMore(remaining: Money(cents: 1_250)),
            .balance(BalanceCheck(isRedeemable: true, balance: Money(cents: 7_500), total: Money(cents: 10_000), message: nil)),
        ]
        for state in withAmounts {
            let text = texts.text(for: state)
            let all = ([text.title] + text.lines).joined(separator: " | ")
            #expect(all.contains("EUR "), "\(state): \(all)")
            #expect(!all.contains("CHF"), "\(state): \(all)")
        }
    }

    @Test func everyStateHasItsOwnTextInEachLanguage() {
        for language in DisplayLanguage.allCases {
            let texts = GuestTexts(language: language, currency: "CHF")
            let rendered = Self.samples.map { texts.text(for: $0.1) }
            // Different states may share a title (offline), never title and lines.
            #expect(Set(rendered.map { "\($0.title)|\($0.lines)" }).count >= rendered.count - 2)
        }
    }

    @Test func theWalkThroughScreenKeepsTheBalanceOfTheAcceptedVoucher() {
        var screen = GuestScreen(texts: GuestTexts(language: .de, currency: "CHF"))
        _ = screen.show(.accepted(newBalance: Money(cents: 7_500)))
        let walk = screen.show(.walkThrough)
        #expect(walk.title == "Bitte eintreten")
        #expect(walk.lines == ["Guthaben CHF 75.00"])
        _ = screen.show(.idle)
        #expect(screen.show(.walkThrough).lines.isEmpty)  // a manual open shows no stale balance
    }

    @Test func theWalkThroughScreenListsEveryVoucherOfASplitPayment() {
        var screen = GuestScreen(texts: GuestTexts(language: .en, currency: "EUR"))
        _ = screen.show(.accepted(newBalance: Money(cents: 3_500), vouchers: [
            VoucherPaid(code: "••••-••••-AAAA", amount: Money(cents: 1_000), newBalance: .zero),
            VoucherPaid(code: "••••-••••-BBBB", amount: Money(cents: 1_500), newBalance: Money(cents: 3_500))]))
        let walk = screen.show(.walkThrough)
        #expect(walk.lines == ["••••-••••-AAAA: EUR 10.00 · Balance EUR 0.00", "••••-••••-BBBB: EUR 15.00 · Balance EUR 35.00"])
        #expect(screen.vouchers.count == 2)
        _ = screen.show(.idle)
        #expect(screen.vouchers.isEmpty)
    }

    @Test func unknownLanguageCodesFallBackToGerman() {
        #expect(DisplayLanguage(code: "rm") == .de)
        #expect(DisplayLanguage(code: "fr") == .fr)
    }
}
