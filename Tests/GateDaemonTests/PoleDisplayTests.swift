import Foundation
import GateCore
@testable import GateDaemon
import GateHardware
import Testing
import TestSupport

/// The pole display through a real PTY (termios raw, exclusive open): the exact bytes of every
/// guest state in German (CP437), scrolling of a long e-guma message, and the ASCII fallback.
@Suite("Serial pole display", .serialized, .deviceAccess)
struct PoleDisplayTests {
    static let start437: [UInt8] = [0x1B, 0x40, 0x1F, 0x01, 0x1B, 0x74, 0x00]
    static let clear: [UInt8] = [0x0C]
    static let row1: [UInt8] = [0x1F, 0x24, 0x01, 0x01]
    static let row2: [UInt8] = [0x1F, 0x24, 0x01, 0x02]

    /// 20 cells from `text`, written out independently of PoleCodepage: ä ö ü as CP437 bytes.
    static func cells(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        for ch in text {
            switch ch {
            case "ä": out.append(0x84)
            case "ö": out.append(0x94)
            case "ü": out.append(0x81)
            default: out.append(ch.asciiValue!)
            }
        }
        precondition(out.count <= 20, "\(text) is longer than 20 cells")
        return out + Array(repeating: 0x20, count: 20 - out.count)
    }

    static func frame(_ top: String, _ bottom: String) -> [UInt8] {
        clear + row1 + cells(top) + row2 + cells(bottom)
    }

    struct Rig {
        let capture: PTYCapture
        let display: SerialPoleDisplay
        let clock = TestClock()
        let states: AsyncStream<GuestState>
        let feed: AsyncStream<GuestState>.Continuation
        let running: Task<Void, Never>

        init(codepage: PoleCodepage, initial: GuestState = .idle) throws {
            capture = try PTYCapture()
            display = try SerialPoleDisplay(path: capture.path, baud: 9600)
            (states, feed) = AsyncStream.makeStream()
            let driver = PoleDisplayDriver(texts: GuestTexts(language: .de, currency: "CHF"), codepage: codepage, scroll: .milliseconds(350),
                                           clock: clock, write: { [display] in try? await display.write($0) })
            let states = self.states
            running = Task { await driver.run(initial: initial, states: states) }
        }

        /// Ends the state stream (the daemon stopping) and waits for the driver to return.
        func stop() async {
            feed.finish()
            await running.value
        }
    }

    @Test func everyGuestStateIsWrittenByteExactly() async throws {
        let rig = try Rig(codepage: .cp437)
        #expect(try await rig.capture.take(7) == Self.start437)
        #expect(try await rig.capture.take(49) == Self.frame("Willkommen", "Bitte Gutschein scan"))
        let expectations: [(GuestState, [UInt8])] = [
            (.checking, Self.frame("Einen Moment ...", "Gutschein wird geprü")),
            (.accepted(newBalance: Money(cents: 7_500)), Self.frame("Gutschein akzeptiert", "Guthaben CHF 75.00")),
            (.walkThrough, Self.frame("Bitte eintreten", "Guthaben CHF 75.00")),
            (.denied(.eguma(message: "Gutschein nicht gefunden")), Self.frame("Nicht einlösbar", "Gutschein nicht gefu")),
            (.denied(.emptyCode), Self.frame("Bitte erneut scannen", "")),
            (.denied(.unreadableCode), Self.frame("Code nicht lesbar", "Bitte erneut scannen")),
            (.denied(.notValidHere), Self.frame("Hier nicht gültig", "Gilt nicht für diese")),
            (.denied(.noBalance), Self.frame("Kein Guthaben", "Der Gutschein ist au")),
            (.denied(.insufficientBalance(balance: Money(cents: 1_000))), Self.frame("Zu wenig Guthaben", "Guthaben CHF 10.00")),
            (.denied(.splitTimeout), Self.frame("Zeit abgelaufen", "Nichts wurde abgebuc")),
            (.denied(.redeemFailed), Self.frame("Fehler", "Einlösung fehlgeschl")),
            (.denied(.relayFailure), Self.frame("Drehkreuz gestört", "Zahlung storniert")),
            (.denied(.offlineNotPossible), Self.frame("Keine Verbindung", "Bitte Personal rufen")),
            (.denied(.outOfOrder), Self.frame("Ausser Betrieb", "Bitte Personal rufen")),
            (.awaitingMore(remaining: Money(cents: 1_250)), Self.frame("Noch CHF 12.50", "Nächsten Gutschein s")),
            (.cancelled, Self.frame("Kein Durchgang", "Zahlung storniert")),  // no balance was shown: none "restored"
            (.offline, Self.frame("Keine Verbindung", "Bitte Personal rufen")),
            (.emergency, Self.frame("Notöffnung", "Durchgang offen Kein")),
            (.balance(BalanceCheck(isRedeemable: true, balance: Money(cents: 7_500), total: Money(cents: 10_000), message: nil)),
             Self.frame("Gutschein gültig", "Guthaben CHF 75.00 G")),
            (.idle, Self.frame("Willkommen", "Bitte Gutschein scan")),
        ]
        for (state, bytes) in expectations {
            rig.feed.yield(state)
            let written = try await rig.capture.take(bytes.count)
            #expect(written == bytes, "\(state)")
        }
        await rig.stop()
        // Stopping leaves the display saying so, not inviting guests.
        #expect(try await rig.capture.take(49) == Self.frame("Ausser Betrieb", "Bitte Personal rufen"))
        #expect(rig.capture.unread.isEmpty)
        rig.capture.stop()
    }

    @Test func aLongGermanMessageWithUmlautsScrollsOneCellPerStep() async throws {
        let message = "Gutschein wurde bereits eingelöst – bitte wenden Sie sich an die Kasse"
        let rig = try Rig(codepage: .cp437, initial: .denied(.eguma(message: message)))
        #expect(try await rig.capture.take(7) == Self.start437)
        #expect(try await rig.capture.take(49) == Self.frame("Nicht einlösbar", "Gutschein wurde bere"))
        for (step, window) in [(1, "utschein wurde berei"), (2, "tschein wurde bereit"), (3, "schein wurde bereits")] {
            #expect(await rig.clock.waitForSleepers(1, timeout: .seconds(10)))
            rig.clock.advance(by: .milliseconds(350))
            #expect(try await rig.capture.take(24) == Self.row2 + Self.cells(window), "step \(step)")
        }
        // Further on, the umlaut and the dash (not in CP437: "-") come by.
        for _ in 4...23 {
            #expect(await rig.clock.waitForSleepers(1, timeout: .seconds(10)))
            rig.clock.advance(by: .milliseconds(350))
            _ = try await rig.capture.take(24)
        }
        #expect(await rig.clock.waitForSleepers(1, timeout: .seconds(10)))
        rig.clock.advance(by: .milliseconds(350))
        #expect(try await rig.capture.take(24) == Self.row2 + Self.cells("eingelöst - bitte we"))
        await rig.stop()
        rig.capture.stop()
    }

    /// After a split payment the display pages through the screen and each voucher: masked code
    /// and amount taken on row 1, its new balance on row 2.
    @Test func aSplitPaymentPagesThroughBothVouchers() async throws {
        let rig = try Rig(codepage: .cp437)
        #expect(try await rig.capture.take(7 + 49).count == 56)
        rig.feed.yield(.accepted(newBalance: Money(cents: 3_500), vouchers: [
            VoucherPaid(code: "••••-••••-AAAA", amount: Money(cents: 1_000), newBalance: .zero),
            VoucherPaid(code: "••••-••••-BBBB", amount: Money(cents: 1_500), newBalance: Money(cents: 3_500))]))
        #expect(try await rig.capture.take(49) == Self.frame("Gutschein akzeptiert", ""))
        for page in [Self.frame("****-****-AAAA 10.00", "Guthaben CHF 0.00"), Self.frame("****-****-BBBB 15.00", "Guthaben CHF 35.00"),
                     Self.frame("Gutschein akzeptiert", "")] {
            #expect(await rig.clock.waitForSleepers(1, timeout: .seconds(10)))
            rig.clock.advance(by: .seconds(2))
            #expect(try await rig.capture.take(49) == page)
        }
        // The walk-through screen keeps paging the same vouchers.
        rig.feed.yield(.walkThrough)
        #expect(try await rig.capture.take(49) == Self.frame("Bitte eintreten", ""))
        #expect(await rig.clock.waitForSleepers(1, timeout: .seconds(10)))
        rig.clock.advance(by: .seconds(2))
        #expect(try await rig.capture.take(49) == Self.frame("****-****-AAAA 10.00", "Guthaben CHF 0.00"))
        await rig.stop()
        rig.capture.stop()
    }

    @Test func asciiDisplaysGetTransliteratedTextAndNoCodePageCommand() async throws {
        let rig = try Rig(codepage: .ascii, initial: .denied(.eguma(message: "Gültig für Grüße")))
        #expect(try await rig.capture.take(4) == [0x1B, 0x40, 0x1F, 0x01])
        #expect(try await rig.capture.take(49) == Self.clear + Self.row1 + Array("Nicht einloesbar    ".utf8)
            + Self.row2 + Array("Gueltig fuer Gruesse".utf8))
        await rig.stop()
        rig.capture.stop()
    }

    @Test func theDaemonShowsABalanceCheckOnTheConfiguredPoleDisplay() async throws {
        let capture = try PTYCapture()
        let lanes = """
            [lanes.lobby]
            mode = "balance"
            outlet = "demo"
            scanner = { kind = "stdin" }
            display = { kind = "serial", path = "\(capture.path)", baud = 9600, codepage = "cp850" }
            """
        let gate = try await GateUnderTest.start(lanes: lanes, laneNames: ["lobby"])
        do {
            let start850: [UInt8] = [0x1B, 0x40, 0x1F, 0x01, 0x1B, 0x74, 0x02]
            #expect(try await capture.waitFor(start850 + Self.frame("Guthaben abfragen", "Bitte Gutschein scan")).starts(with: start850))
            gate.scanners["lobby"]?.scan("K7QM-2XPA-9HTD")
            _ = try await capture.waitFor(Self.frame("Gutschein gültig", "Guthaben CHF 100.00 "))
        } catch {
            await gate.stop()
            capture.stop()
            throw error
        }
        await gate.stop()
        _ = try await capture.waitFor(Self.frame("Ausser Betrieb", "Bitte Personal rufen"))
        capture.stop()
    }
}
