import AsyncHTTPClient
import EgumaSimulator
import Foundation
import GateCore
import GateDaemon
import NIOCore
import Testing
import TestSupport

/// The guest keypad on the kiosk page (`keypad = true`): typed in a real headless Chromium by
/// mouse and by touch, redeemed against the simulator over HTTP exactly like a scan; and refused
/// (403) to anyone without the lane's secret, who cannot trip the lane's guess guard either.
@Suite("Kiosk keypad", .serialized, .deviceAccess)
struct KeypadTests {
    static let lanes = """
        [lanes.main]
        outlet = "demo"
        price = "25.00"
        keypad = true
        screen_hold_ms = 3000
        guard_max_failures = 2
        passage_timeout_ms = 60000
        scanner = { kind = "stdin" }
        relay = { chip = "sim", line = 0, pulse_ms = 100 }
        sensor = { chip = "sim", line = 1, edge = "falling", bias = "pull-up" }

        [lanes.side]
        outlet = "demo"
        price = "25.00"
        scanner = { kind = "stdin" }
        relay = { chip = "sim", line = 4, pulse_ms = 100 }
        """

    /// Screenshots go to test-artifacts/kiosk; with EGUMA_UPDATE_SCREENSHOTS=1 also to docs/
    /// (the ones docs/display.md shows — review them before committing).
    static func screenshot(_ browser: ChromiumSession, _ name: String) async throws {
        try await browser.screenshot(to: KioskPageTests.artifacts + "/" + name)
        guard ProcessInfo.processInfo.environment["EGUMA_UPDATE_SCREENSHOTS"] == "1" else { return }
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs").path
        try await browser.screenshot(to: docs + "/" + name)
    }

    static func secret(_ gate: GateUnderTest, lane: String = "main") throws -> String {
        let text = try String(contentsOfFile: KeypadKeys.file(lane: lane, besideDatabase: gate.directory + "/gate.db"), encoding: .utf8)
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test(.enabled(if: ChromiumSession.executable != nil, "needs Debian's chromium (scripts/test installs it)"),
          arguments: [false, true])
    func aCodeTypedOnTheKeypadIsRedeemedLikeAScan(touch: Bool) async throws {
        let gate = try await GateUnderTest.start(lanes: Self.lanes, laneNames: ["main", "side"])
        let base = try await gate.kioskURL()
        let browser = try ChromiumSession(url: base + "/lanes/main?key=" + (try Self.secret(gate)),
                                          profile: gate.directory + "/chromium")
        do {
            try await browser.attachToPage()
            if touch { _ = try await browser.call("Emulation.setTouchEmulationEnabled", ["enabled": true, "maxTouchPoints": 5]) }
            try await browser.waitFor("connected", in: "document.body.className")
            #expect(try await browser.evaluate("String(document.querySelectorAll('#kp button').length)") == "41")
            let events = gate.runtime.events.subscribe()
            let states = gate.runtime.guestStates.subscribe()

            // Typo, back, then the code; the entry is masked but for its last two characters.
            try await browser.type("K7X", touch: touch)
            try await (touch ? browser.tap("#kp button[data-k=back]") : browser.click("#kp button[data-k=back]"))
            try await browser.type(String(DemoVouchers.plenty.dropFirst(2)), touch: touch)
            let shown = try await browser.waitFor("TD", in: "document.getElementById('entry').textContent")
            #expect(shown == String(repeating: "•", count: DemoVouchers.plenty.count - 2) + "TD")
            #expect(!(try await browser.evaluate("document.body.innerText")).contains("K7QM"))
            if !touch {  // from inside the browser too: a wrong secret is 403
                let status = try await browser.call("Runtime.evaluate", [
                    "expression": "fetch(location.pathname + '/keypad', {method: 'POST', headers: {'X-Keypad-Key': 'wrong'}, body: 'X'}).then(r => String(r.status))",
                    "awaitPromise": true, "returnByValue": true])
                #expect((status["result"] as? [String: Any])?["value"] as? String == "403")
            }
            if !touch { try await Self.screenshot(browser, "kiosk-keypad.png") }

            try await (touch ? browser.tap("#kp button[data-k=ok]") : browser.click("#kp button[data-k=ok]"))
            _ = try await Broadcast.first(in: states, lane: "main") { $0 == .walkThrough }
            let text = try await browser.waitFor("Bitte eintreten")
            #expect(text.contains("CHF 75.00"))
            #expect(try await browser.evaluate("document.getElementById('entry').dataset.length") == "0", "cleared on submit")
            let redeemed = try await withDeadline(.seconds(20), "the keypad redemption's event") {
                for await event in events where event.type == .redeemed { return event }
                throw CancellationError()
            }
            #expect(redeemed.source == .keypad)
            #expect(await gate.simulator.balance(of: DemoVouchers.plenty) == 7_500)
            try gate.runtime.simulatedChip.simulatePassage(line: .offset(1))
            try await browser.waitFor("Willkommen")
        } catch {
            await browser.close(); await gate.stop()
            throw error
        }
        await browser.close()
        await gate.stop()
    }

    /// A split payment typed on the keypad: the screen lists both vouchers, each with its amount
    /// and new balance (the lane has a passage sensor, so the screen stays until the guest passes).
    @Test(.enabled(if: ChromiumSession.executable != nil, "needs Debian's chromium (scripts/test installs it)"))
    func aSplitPaymentTypedOnTheKeypadListsBothVouchers() async throws {
        let gate = try await GateUnderTest.start(lanes: Self.lanes, laneNames: ["main", "side"])
        let base = try await gate.kioskURL()
        let browser = try ChromiumSession(url: base + "/lanes/main?key=" + (try Self.secret(gate)),
                                          profile: gate.directory + "/chromium")
        do {
            try await browser.attachToPage()
            try await browser.waitFor("connected", in: "document.body.className")
            try await browser.type(DemoVouchers.tooLittle, touch: false)
            try await browser.click("#kp button[data-k=ok]")
            try await browser.waitFor("Noch CHF 15.00")
            try await browser.type(DemoVouchers.plenty, touch: false)
            try await browser.click("#kp button[data-k=ok]")
            let text = try await browser.waitFor("Bitte eintreten")
            #expect(text.contains("••••-••••-5JQL: CHF 10.00 · Guthaben CHF 0.00"), "\(text)")
            #expect(text.contains("••••-••••-9HTD: CHF 15.00 · Guthaben CHF 85.00"), "\(text)")
            #expect(!text.contains("B3NV") && !text.contains("K7QM"))
            #expect(try await browser.evaluate("getComputedStyle(document.getElementById('kp')).display") == "none")
            try await browser.waitFor("rgb(21, 128, 61)", in: "getComputedStyle(document.body).backgroundColor")  // green, faded in
            try await Self.screenshot(browser, "kiosk-split-payment.png")
            try gate.runtime.simulatedChip.simulatePassage(line: .offset(1))
            try await browser.waitFor("Willkommen")
            #expect(try await browser.evaluate("getComputedStyle(document.getElementById('kp')).display") != "none")

            // A half-typed code left behind is cleared after 20 s without a key (nothing is sent).
            try await browser.type("AB1", touch: false)
            try await browser.waitFor("3", in: "document.getElementById('entry').dataset.length")
            try await browser.waitFor("0", in: "document.getElementById('entry').dataset.length", timeout: .seconds(40))
            #expect(try await browser.evaluate("document.getElementById('entry').textContent") == "")
        } catch {
            await browser.close(); await gate.stop()
            throw error
        }
        await browser.close()
        await gate.stop()
    }

    @Test func withoutTheLanesSecretTheKeypadIsRefusedAndTheGuardUntouched() async throws {
        let gate = try await GateUnderTest.start(lanes: Self.lanes, laneNames: ["main", "side"])
        let base = try await gate.kioskURL()
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        func post(_ lane: String, key: String?, code: String) async throws -> UInt {
            var request = HTTPClientRequest(url: base + "/lanes/\(lane)/keypad")
            request.method = .POST
            if let key { request.headers.add(name: "X-Keypad-Key", value: key) }
            request.body = .bytes(ByteBuffer(string: code))
            return try await client.execute(request, timeout: .seconds(10)).status.code
        }
        func page(_ path: String) async throws -> String {
            let response = try await client.execute(HTTPClientRequest(url: base + path), timeout: .seconds(10))
            return String(buffer: try await response.body.collect(upTo: 1 << 20))
        }
        do {
            let secret = try Self.secret(gate)
            #expect(secret.count == 32)
            // Guard: 2 failures pause the lane. Forty refused guesses must not count.
            for _ in 0..<20 {
                #expect(try await post("main", key: nil, code: DemoVouchers.unknown) == 403)
                #expect(try await post("main", key: String(repeating: "0", count: 32), code: DemoVouchers.unknown) == 403)
            }
            #expect(try await post("side", key: secret, code: DemoVouchers.unknown) == 403, "side has no keypad")
            #expect(try await post("main", key: secret, code: "") == 400)
            #expect(try await post("main", key: secret, code: String(repeating: "A", count: 65)) == 400)
            #expect(await gate.simulator.account.requestLog().filter { $0.endpoint == .balance }.isEmpty, "nothing reached e-guma")

            // The page shows the keypad only with the secret.
            #expect(!(try await page("/lanes/main")).contains("id=\"kp\""))
            #expect(!(try await page("/lanes/main?key=wrong")).contains("id=\"kp\""))
            #expect(try await page("/lanes/main?key=\(secret)").contains("id=\"kp\""))

            // The right secret: handled as a scan (an unknown code is denied by e-guma's message).
            let states = gate.runtime.guestStates.subscribe()
            #expect(try await post("main", key: secret, code: DemoVouchers.unknown) == 202)
            let denied = try await Broadcast.first(in: states, lane: "main") { if case .denied = $0 { true } else { false } }
            if case .denied(.eguma) = denied {} else { Issue.record("expected e-guma's denial, got \(denied)") }

            // A reload that turns the keypad off says it applies after a restart (the hub was built at start).
            let file = gate.directory + "/eguma-gate.toml"
            let text = try String(contentsOfFile: file, encoding: .utf8)
            try text.replacingOccurrences(of: "keypad = true", with: "keypad = false").write(toFile: file, atomically: true, encoding: .utf8)
            let reloaded = await gate.runtime.reload()
            #expect(reloaded.ok && reloaded.message?.contains("lane main: keypad/receipt/printer changes apply after a restart") == true,
                    "\(reloaded)")
        } catch {
            try? await client.shutdown(); await gate.stop()
            throw error
        }
        try? await client.shutdown()
        await gate.stop()
    }

    /// A one-lane config with `keypad = true`; `gate` and `lane` add keys to those tables.
    static func config(gate: String, lane: String) -> String {
        """
        [gate]
        name = "t"
        \(gate)
        [outlets.demo]
        api_key_env = "K"
        [lanes.main]
        outlet = "demo"
        price = "25.00"
        keypad = true
        \(lane)
        scanner = { kind = "stdin" }
        relay = { chip = "sim", line = 0 }
        """
    }

    @Test func keypadKeysAreCheckedInTheConfig() throws {
        let errors = #expect(throws: ConfigErrors.self) {
            _ = try GateConfig.parse(text: Self.config(gate: "", lane: "receipt = \"always\""), file: "t.toml")
        }
        let text = errors.map { "\($0)" } ?? ""
        #expect(text.contains("lanes.main.keypad") && text.contains("[gate] display"), "\(text)")
        #expect(text.contains("printer") && text.contains("/dev/usb/lp0"), "\(text)")

        // A balance-check lane never admits: no keypad, no receipts.
        let balance = #expect(throws: ConfigErrors.self) {
            _ = try GateConfig.parse(text: Self.config(gate: "display = \"127.0.0.1:8080\"", lane: """
                mode = "balance"
                receipt = "always"
                printer = { kind = "usblp", path = "/dev/usb/lp0" }
                """), file: "t.toml")
        }
        let balanceText = balance.map { "\($0)" } ?? ""
        #expect(balanceText.contains("lanes.main.keypad") && balanceText.contains("gate lane"), "\(balanceText)")
        #expect(balanceText.contains("lanes.main.receipt") && balanceText.contains("balance-check lane"), "\(balanceText)")

        // `config show` writes the keys back, and what it writes reads the same.
        let valid = Self.config(gate: "display = \"127.0.0.1:8080\"", lane: """
            receipt = "ask"
            printer = { kind = "serial", path = "/dev/ttyUSB2", baud = 19200 }
            """)
        let config = try GateConfig.parse(text: valid, file: "t.toml")
        let shown = config.effectiveTOML(keyState: { _ in "ok" })
        #expect(shown.contains("keypad = true\nreceipt = \"ask\"\nprinter = { kind = \"serial\", path = \"/dev/ttyUSB2\", baud = 19200 }"), "\(shown)")
        #expect(try GateConfig.parse(text: shown, file: "shown.toml").lane("main")?.guestInput == config.lane("main")?.guestInput)
    }
}
