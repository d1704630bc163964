import AsyncHTTPClient
import EgumaSimulator
import Foundation
import GateCore
import GateDaemon
import NIOCore
import Testing
import TestSupport

/// The guest kiosk page in a real headless Chromium, following a running gate live.
@Suite("Guest kiosk page", .serialized)
struct KioskPageTests {
    static let mainLane = """
        [lanes.main]
        outlet = "demo"
        price = "25.00"
        passage_timeout_ms = 60000
        screen_hold_ms = 3000
        scanner = { kind = "stdin" }
        relay = { chip = "sim", line = 0, pulse_ms = 100 }
        sensor = { chip = "sim", line = 1, edge = "falling", bias = "pull-up" }

        [lanes.side]
        outlet = "demo"
        price = "25.00"
        language = "fr"
        scanner = { kind = "stdin" }
        relay = { chip = "sim", line = 4, pulse_ms = 100 }
        """

    static var artifacts: String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dir = root.appendingPathComponent("test-artifacts/kiosk").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test(.enabled(if: ChromiumSession.executable != nil, "needs Debian's chromium (scripts/test installs it)"))
    func chromiumFollowsAnAcceptedAndADeniedScanLive() async throws {
        let gate = try await GateUnderTest.start(lanes: Self.mainLane, laneNames: ["main", "side"])
        let base = try await gate.kioskURL()
        let profile = gate.directory + "/chromium"
        let browser = try ChromiumSession(url: base + "/lanes/main", profile: profile)
        do {
            try await browser.attachToPage()
            // Idle, and connected: the "connected" class is set only by a Server-Sent Event.
            let idle = try await browser.waitFor("Willkommen")
            #expect(idle.contains("Eintritt CHF 25.00"), "the idle screen shows the entry price: \(idle)")
            try await browser.waitFor("connected", in: "document.body.className")
            #expect(gate.runtime.kiosk?.connections.value == 1)

            let states = gate.runtime.guestStates.subscribe()
            gate.scanners["main"]?.scan(DemoVouchers.plenty)
            _ = try await Broadcast.first(in: states, lane: "main") { $0 == .walkThrough }
            let accepted = try await browser.waitFor("Bitte eintreten")
            #expect(accepted.contains("Guthaben CHF 75.00"))
            // The lane has a sensor: the page counts the 60 s passage time down.
            let seconds = Int(try await browser.evaluate("document.getElementById('countdown').textContent")) ?? 0
            #expect((50...60).contains(seconds))
            #expect(try await browser.evaluate("document.body.className") == "success connected")
            try await browser.screenshot(to: Self.artifacts + "/accepted.png")

            try gate.runtime.simulatedChip.simulatePassage(line: .offset(1))
            _ = try await Broadcast.first(in: states, lane: "main") { $0 == .idle }
            try await browser.waitFor("Willkommen")
            #expect(try await browser.evaluate("document.getElementById('countdown').textContent") == "")

            gate.scanners["main"]?.scan(DemoVouchers.redeemed)
            let denied = try await Broadcast.first(in: states, lane: "main") { if case .denied = $0 { true } else { false } }
            #expect(denied == .denied(.eguma(message: "Gutschein wurde bereits eingelöst")))
            let text = try await browser.waitFor("Gutschein wurde bereits eingelöst")
            #expect(text.contains("Nicht einlösbar"))
            #expect(try await browser.evaluate("document.body.className") == "failure connected")
            try await browser.screenshot(to: Self.artifacts + "/denied.png")

            // After the lane's screen_hold_ms (3 s) the page invites the next guest again.
            _ = try await Broadcast.first(in: states, lane: "main") { $0 == .idle }
            let back = try await browser.waitFor("Willkommen")
            #expect(!back.contains("Gutschein wurde bereits eingelöst"))
            #expect(try await browser.evaluate("document.body.className") == "idle connected")
        } catch {
            await browser.close()
            await gate.stop()
            throw error
        }
        await browser.close()
        await gate.stop()
    }

    @Test func theEventStreamSendsRetryAndTheCurrentScreenOnConnect() async throws {
        let gate = try await GateUnderTest.start(lanes: Self.mainLane, laneNames: ["main", "side"])
        let base = try await gate.kioskURL()
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let received = try await withDeadline(.seconds(10), "the first event") {
                let response = try await client.execute(HTTPClientRequest(url: base + "/lanes/side/events"), timeout: .seconds(10))
                #expect(response.status == .ok)
                #expect(response.headers.first(name: "content-type")?.hasPrefix("text/event-stream") == true)
                var received = ""
                for try await chunk in response.body {
                    received += String(buffer: chunk)
                    if received.contains("\n\nevent: state\ndata: {") && received.hasSuffix("\n\n") { break }
                }
                return received
            }
            #expect(received.hasPrefix("retry: 2000\n\n"))
            // The side lane speaks French.
            #expect(received.contains(#""title":"Bienvenue""#))
            #expect(received.contains(#""outcome":"idle""#))

            let index = try await client.execute(HTTPClientRequest(url: base + "/"), timeout: .seconds(10))
            let html = String(buffer: try await index.body.collect(upTo: 1 << 20))
            #expect(html.contains("href=\"/lanes/main\"") && html.contains("href=\"/lanes/side\""))

            let page = try await client.execute(HTTPClientRequest(url: base + "/lanes/side"), timeout: .seconds(10))
            let pageHTML = String(buffer: try await page.body.collect(upTo: 1 << 20))
            #expect(pageHTML.contains("<html lang=\"fr\">"))
            #expect(!pageHTML.contains("http://") && !pageHTML.contains("https://"))  // no external assets

            let missing = try await client.execute(HTTPClientRequest(url: base + "/lanes/nope"), timeout: .seconds(10))
            #expect(missing.status == .notFound)
        } catch {
            try? await client.shutdown()
            await gate.stop()
            throw error
        }
        try? await client.shutdown()
        await gate.stop()
    }
}
