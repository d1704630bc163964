import AsyncHTTPClient
import EgumaSimulator
import Foundation
import GateCore
import GateDaemon
import GateHardware
import Glibc
import NIOCore
import Testing
import TestSupport

/// Receipts on a PTY "printer" (termios, exclusive open, as a serial ESC/POS printer): the bytes
/// are decoded back into commands and text; paper out (the PTY answers `DLE EOT 4`) and an offline
/// printer (missing node, closed PTY) raise `printer_failed` while the guest is admitted.
@Suite("Receipt printer", .serialized, .deviceAccess)
struct ReceiptTests {
    static func lanes(printer: String, receipt: String = "always") -> String {
        """
        [lanes.main]
        outlet = "demo"
        price = "25.00"
        receipt = "\(receipt)"
        printer = \(printer)
        scanner = { kind = "stdin" }
        relay = { chip = "sim", line = 0, pulse_ms = 100 }
        """
    }

    /// What an ESC/POS byte stream says: the commands in order and the printed text lines.
    struct Decoded {
        var commands: [String] = []
        var lines: [String] = []
    }

    static func decode(_ bytes: [UInt8]) throws -> Decoded {
        var out = Decoded()
        var line: [UInt8] = []
        var i = 0
        func need(_ n: Int) throws {
            guard i + n <= bytes.count else { throw ChromiumSession.Failure(description: "truncated command at byte \(i)") }
        }
        while i < bytes.count {
            switch bytes[i] {
            case 0x1B:
                try need(2)
                switch bytes[i + 1] {
                case 0x40: out.commands.append("init"); i += 2
                case 0x74: try need(3); out.commands.append("codepage \(bytes[i + 2])"); i += 3
                case 0x61: try need(3); out.commands.append("align \(bytes[i + 2])"); i += 3
                case 0x21: try need(3); out.commands.append("mode \(bytes[i + 2])"); i += 3
                default: throw ChromiumSession.Failure(description: "unknown ESC \(bytes[i + 1])")
                }
            case 0x1D:
                try need(4)
                #expect(bytes[i + 1] == 0x56 && bytes[i + 2] == 0x42)
                out.commands.append("cut"); i += 4
            case 0x10:
                try need(3); out.commands.append("status \(bytes[i + 2])"); i += 3
            case 0x0A:
                out.lines.append(String(decoding: line, as: UTF8.self)); line = []; i += 1
            default:
                line.append(bytes[i]); i += 1
            }
        }
        return out
    }

    @Test func aReceiptListsEveryVoucherAndIsCut() async throws {
        let capture = try PTYCapture()
        let gate = try await GateUnderTest.start(lanes: Self.lanes(printer: "{ kind = \"serial\", path = \"\(capture.path)\" }"),
                                                 laneNames: ["main"])
        do {
            let states = gate.runtime.guestStates.subscribe()
            // A split payment: 10.00 from one voucher, 15.00 from the other.
            gate.scanners["main"]?.scan(DemoVouchers.tooLittle)
            _ = try await Broadcast.first(in: states, lane: "main") { if case .awaitingMore = $0 { true } else { false } }
            gate.scanners["main"]?.scan(DemoVouchers.plenty)
            #expect(try await capture.take(3) == ReceiptLayout.paperStatusQuery)  // asked first; the PTY does not answer
            let bytes = try await capture.waitFor(ReceiptLayout.cut)
            let receipt = try Self.decode(Array(bytes.dropFirst(3)))
            #expect(receipt.commands == ["init", "codepage 2", "align 1", "mode 48", "mode 0", "align 0", "cut"])
            #expect(receipt.lines.first == "test")  // the venue: [gate] name
            #expect(receipt.lines.contains { $0.hasPrefix("Datum ") })
            #expect(receipt.lines.contains("Eingang main"))
            let body = receipt.lines.joined(separator: "\n")
            #expect(body.contains("Gutschein ****-****-5JQL\n  Betrag CHF 10.00\n  Neues Guthaben CHF 0.00"), "\(body)")
            #expect(body.contains("Gutschein ****-****-9HTD\n  Betrag CHF 15.00\n  Neues Guthaben CHF 85.00"), "\(body)")
            #expect(!body.contains("B3NV") && !body.contains("K7QM"), "codes are masked")
        } catch {
            await gate.stop(); capture.stop()
            throw error
        }
        await gate.stop()
        capture.stop()
    }

    /// A `usblp` printer is a plain node written as it is: here a file stands in for /dev/usb/lp0.
    @Test func aUsbPrinterNodeGetsTheSameReceipt() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("printer-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let node = dir + "/lp0"
        #expect(FileManager.default.createFile(atPath: node, contents: nil))
        let gate = try await GateUnderTest.start(lanes: Self.lanes(printer: "{ kind = \"usblp\", path = \"\(node)\" }"), laneNames: ["main"])
        do {
            let events = gate.runtime.events.subscribe()
            gate.scanners["main"]?.scan(DemoVouchers.plenty)
            _ = try await Self.wait(for: .entered, in: events)
            let written = try await withDeadline(.seconds(20), "the receipt in \(node)") {
                while true {
                    let bytes = [UInt8](FileManager.default.contents(atPath: node) ?? Data())
                    if bytes.suffix(4).elementsEqual(ReceiptLayout.cut) { return bytes }
                    try await Task.sleep(for: .milliseconds(50))  // polling a file the printer service writes, bounded by the deadline
                }
            }
            #expect(Array(written.prefix(3)) == ReceiptLayout.paperStatusQuery)
            let receipt = try Self.decode(Array(written.dropFirst(3)))
            #expect(receipt.lines.contains("Gutschein ****-****-9HTD") && receipt.lines.contains("  Betrag CHF 25.00"), "\(receipt.lines)")
        } catch {
            await gate.stop()
            throw error
        }
        await gate.stop()
    }

    @Test func paperOutIsAPrinterFailedEventAndTheGuestIsIn() async throws {
        let capture = try PTYCapture()
        let gate = try await GateUnderTest.start(lanes: Self.lanes(printer: "{ kind = \"serial\", path = \"\(capture.path)\" }"),
                                                 laneNames: ["main"])
        do {
            let events = gate.runtime.events.subscribe()
            gate.scanners["main"]?.scan(DemoVouchers.plenty)
            #expect(try await capture.take(3) == ReceiptLayout.paperStatusQuery)
            var answer: UInt8 = 0x12 | 0x60  // paper end
            #expect(Glibc.write(capture.terminal.master, &answer, 1) == 1)
            let failed = try await Self.wait(for: .printerFailed, in: events)
            #expect(failed.message?.contains("paper out") == true, "\(failed.message ?? "")")
            #expect(await gate.simulator.balance(of: DemoVouchers.plenty) == 7_500, "the guest paid and is in")
            #expect(capture.unread.isEmpty, "nothing printed after the status answer")
            #expect(gate.runtime.metrics.render().contains("reason=\"paper_out\"} 1"))
        } catch {
            await gate.stop(); capture.stop()
            throw error
        }
        await gate.stop()
        capture.stop()
    }

    @Test(arguments: ["missing usblp node", "closed PTY"])
    func anOfflinePrinterIsAPrinterFailedEventAndTheGuestIsIn(_ kind: String) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("printer-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let printer: String
        if kind == "closed PTY" {
            let link = dir + "/printer"
            do {
                let terminal = try TestPTY.open()
                try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: terminal.slavePath)
            }  // the master is closed here: the slave is gone
            printer = "{ kind = \"serial\", path = \"\(link)\" }"
        } else {
            printer = "{ kind = \"usblp\", path = \"\(dir)/lp0\" }"
        }
        let gate = try await GateUnderTest.start(lanes: Self.lanes(printer: printer), laneNames: ["main"])
        do {
            let events = gate.runtime.events.subscribe()
            gate.scanners["main"]?.scan(DemoVouchers.plenty)
            let failed = try await Self.wait(for: .printerFailed, in: events)
            #expect(failed.lane == "main")
            #expect(failed.message?.contains("is the printer switched on") == true, "\(failed.message ?? "")")
            #expect(await gate.simulator.balance(of: DemoVouchers.plenty) == 7_500)
            let entered = try await gate.runtime.database.latestEvents(.init(types: [.entered]), limit: 5)
            #expect(entered.count == 1, "the guest was admitted")
        } catch {
            await gate.stop()
            throw error
        }
        await gate.stop()
    }

    /// `receipt = "ask"`: after the admission entered, the lane's own screen is offered a receipt
    /// (the event stream says `"receipt":true`); pressing the button (a POST with the lane
    /// secret) prints it; without the secret it is 403 and nothing prints.
    @Test func askOffersTheReceiptOnTheLanesOwnScreenAndPrintsItWhenPressed() async throws {
        let capture = try PTYCapture()
        let gate = try await GateUnderTest.start(
            lanes: Self.lanes(printer: "{ kind = \"serial\", path = \"\(capture.path)\" }", receipt: "ask"), laneNames: ["main"])
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let base = try await gate.kioskURL()
            let secret = try KeypadTests.secret(gate)
            let hub = try #require(gate.runtime.kiosk)
            // The page's own event stream, followed from before the scan until it offers the receipt.
            let stream = try await client.execute(HTTPClientRequest(url: base + "/lanes/main/events"), timeout: .seconds(30))
            gate.scanners["main"]?.scan(DemoVouchers.plenty)
            let offered = try await withDeadline(.seconds(20), "the receipt offer on the event stream") {
                var received = ""
                for try await chunk in stream.body {
                    received += String(buffer: chunk)
                    if received.contains(#""receipt":true"#) { return received }
                }
                return received
            }
            #expect(offered.contains(#""receipt":true"#) && offered.contains(#""state":"idle""#))
            #expect(hub.screen(lane: "main")?.receipt == true)
            #expect(capture.unread.isEmpty, "ask: nothing printed before the guest asks")
            func press(_ key: String) async throws -> UInt {
                var request = HTTPClientRequest(url: base + "/lanes/main/receipt")
                request.method = .POST
                request.headers.add(name: "X-Keypad-Key", value: key)
                return try await client.execute(request, timeout: .seconds(10)).status.code
            }
            #expect(try await press("wrong") == 403)
            let page = try await client.execute(HTTPClientRequest(url: base + "/lanes/main?key=\(secret)"), timeout: .seconds(10))
            #expect(String(buffer: try await page.body.collect(upTo: 1 << 20)).contains("id=\"receipt\""))
            #expect(try await press(secret) == 202)
            #expect(try await press(secret) == 409, "one receipt per admission")
            #expect(try await capture.take(3) == ReceiptLayout.paperStatusQuery)
            let receipt = try Self.decode(Array(try await capture.waitFor(ReceiptLayout.cut).dropFirst(3)))
            #expect(receipt.lines.contains("  Neues Guthaben CHF 75.00"), "\(receipt.lines)")
            #expect(hub.screen(lane: "main")?.receipt == nil, "the button is gone once pressed")
        } catch {
            try? await client.shutdown(); await gate.stop(); capture.stop()
            throw error
        }
        try? await client.shutdown()
        await gate.stop()
        capture.stop()
    }

    /// The receipt button in real Chromium: shown once the admission entered, touched, printed.
    @Test(.enabled(if: ChromiumSession.executable != nil, "needs Debian's chromium (scripts/test installs it)"))
    func theReceiptButtonOnTheKioskPrintsWhenTouched() async throws {
        let capture = try PTYCapture()
        let gate = try await GateUnderTest.start(
            lanes: Self.lanes(printer: "{ kind = \"serial\", path = \"\(capture.path)\" }", receipt: "ask"), laneNames: ["main"])
        let base = try await gate.kioskURL()
        let browser = try ChromiumSession(url: base + "/lanes/main?key=" + (try KeypadTests.secret(gate)),
                                          profile: gate.directory + "/chromium")
        do {
            try await browser.attachToPage()
            _ = try await browser.call("Emulation.setTouchEmulationEnabled", ["enabled": true, "maxTouchPoints": 5])
            try await browser.waitFor("connected", in: "document.body.className")
            let hidden = "getComputedStyle(document.getElementById('receipt')).display"
            #expect(try await browser.evaluate(hidden) == "none")
            gate.scanners["main"]?.scan(DemoVouchers.plenty)
            try await browser.waitFor("block", in: hidden)
            #expect(try await browser.evaluate("document.getElementById('receipt').textContent").contains("Beleg drucken"))
            try await browser.tap("#receipt")
            #expect(try await capture.take(3) == ReceiptLayout.paperStatusQuery)
            let receipt = try Self.decode(Array(try await capture.waitFor(ReceiptLayout.cut).dropFirst(3)))
            #expect(receipt.lines.contains("Gutschein ****-****-9HTD"), "\(receipt.lines)")
            try await browser.waitFor("none", in: hidden)
        } catch {
            await browser.close(); await gate.stop(); capture.stop()
            throw error
        }
        await browser.close()
        await gate.stop()
        capture.stop()
    }

    /// `config check --hardware` looks the printer up: a missing node says how to bring it.
    @Test func theHardwareCheckFindsAMissingPrinter() throws {
        let capture = try PTYCapture()
        defer { capture.stop() }
        for (path, ok) in [(capture.path, true), ("/nonexistent/usb/lp7", false)] {
            let config = try GateConfig.parse(text: """
                [gate]
                name = "t"
                [outlets.demo]
                api_key_env = "K"
                \(Self.lanes(printer: "{ kind = \"usblp\", path = \"\(path)\" }"))
                """, file: "t.toml")
            let finding = try #require(HardwareCheck.run(config, devices: { [] }).first { $0.key == "lanes.main.printer" })
            #expect(finding.ok == ok, "\(finding)")
            if !ok { #expect(finding.detail.contains("missing") && finding.detail.contains("usblp"), "\(finding)") }
        }
    }

    static func wait(for type: GateEventType, in events: AsyncStream<GateEvent>) async throws -> GateEvent {
        try await withDeadline(.seconds(20), "a \(type.rawValue) event") {
            for await event in events where event.type == type { return event }
            throw CancellationError()
        }
    }
}
