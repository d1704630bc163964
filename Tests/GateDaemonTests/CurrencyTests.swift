import EgumaAPI
import EgumaSimulator
import Foundation
import GateCore
@testable import GateDaemon
import Testing
import TestSupport

/// The account's currency (issue 25): configured until e-guma answers, then taken from the
/// answers and remembered per outlet beside the journal.
@Suite struct OutletCurrencyTests {
    func temporaryFile() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("currencies-\(UUID().uuidString).json").path
    }

    @Test func theConfiguredCurrencyStandsInUntilAnAnswerNamesOneWhichIsRemembered() throws {
        let file = temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: file) }
        let first = OutletCurrencies(file: file, configured: ["spa": "CHF"])
        #expect(first.currency(of: "spa") == "CHF")
        #expect(first.currency(of: "unknown") == "CHF")
        first.learn(nil, outlet: "spa")
        #expect(first.currency(of: "spa") == "CHF", "an answer without a currency changes nothing")
        first.learn("EUR", outlet: "spa")
        #expect(first.currency(of: "spa") == "EUR")
        first.learn("euro", outlet: "spa")
        #expect(first.currency(of: "spa") == "EUR", "not a currency code: ignored")

        // After a restart, before any answer: what the account said last.
        let restarted = OutletCurrencies(file: file, configured: ["spa": "CHF", "shop": "EUR"])
        #expect(restarted.currency(of: "spa") == "EUR")
        #expect(restarted.currency(of: "shop") == "EUR")
        #expect(OutletCurrencies.load(file: file) == ["spa": "EUR"])
        #expect(OutletCurrencies.file(besideDatabase: "/var/lib/eguma-gate/gate.db") == "/var/lib/eguma-gate/outlet-currencies.json")
    }

    @Test func anUnreadableFileIsNothingLearnt() throws {
        let file = temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: file) }
        try "{not json".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(OutletCurrencies(file: file, configured: ["spa": "EUR"]).currency(of: "spa") == "EUR")
        try #"{"spa": "eur"}"#.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(OutletCurrencies(file: file, configured: [:]).currency(of: "spa") == "CHF")
    }

    @Test func theCurrencyKeyIsValidatedAndShown() throws {
        let valid = GateConfigTests.valid.replacingOccurrences(
            of: "api_key_file = \"/etc/eguma-gate/keys/spa.key\"\n", with: "api_key_file = \"/etc/eguma-gate/keys/spa.key\"\ncurrency = \"EUR\"\n")
        let config = try GateConfig.parse(text: valid, file: "test.toml")
        #expect(config.outlets["spa"]?.currency == "EUR")
        #expect(try GateConfig.parse(text: GateConfigTests.valid, file: "test.toml").outlets["spa"]?.currency == "CHF")
        #expect(config.effectiveTOML(keyState: { _ in "ok" }).contains("currency = \"EUR\""))

        for bad in ["eur", "EURO", "€", "12A"] {
            let text = valid.replacingOccurrences(of: "currency = \"EUR\"", with: "currency = \"\(bad)\"")
            do {
                _ = try GateConfig.parse(text: text, file: "test.toml")
                Issue.record("currency \(bad) passed")
            } catch {
                let text = error.errors.map(\.description).joined(separator: "\n")
                #expect(text.contains("outlets.spa.currency: \"\(bad)\" is not a currency code"), "\(text)")
                #expect(text.contains("\"CHF\" or \"EUR\""))
            }
        }
    }
}

/// An EUR account end to end: the daemon against a simulated EUR account over HTTP, its pole
/// display on a PTY, then `balance` and `report` as the real binary.
@Suite("EUR account end to end", .serialized, .deviceAccess)
struct EuroAccountTests {
    @Test func anEURAccountShowsEUREverywhere() async throws {
        let capture = try PTYCapture()
        let lanes = """
            [lanes.main]
            outlet = "demo"
            price = "25.00"
            scanner = { kind = "stdin" }
            relay = { chip = "sim", line = 0, pulse_ms = 50 }
            display = { kind = "serial", path = "\(capture.path)", baud = 9600, codepage = "cp437" }
            """
        let euro = SimulatedVoucherFile(currency: "EUR", vouchers: DemoVouchers.vouchers())
        let gate = try await GateUnderTest.start(lanes: lanes, laneNames: ["main"], vouchers: euro)
        do {
            let lane = try #require(gate.runtime.lanes.first)
            // Nothing answered yet: the configured default.
            #expect(lane.guestTexts.text(for: .idle).lines.last == "Eintritt CHF 25.00")

            let events = gate.runtime.events.subscribe()
            gate.scanners["main"]?.scan(DemoVouchers.plenty)
            _ = try await capture.waitFor(PoleDisplayTests.frame("Gutschein akzeptiert", "Guthaben EUR 75.00"))
            #expect(lane.guestTexts.text(for: .idle).lines.last == "Eintritt EUR 25.00", "the idle price screen follows the account")
            #expect(lane.guestTexts.text(for: .awaitingMore(remaining: Money(cents: 1_500))).title == "Noch EUR 15.00")
            let remembered = OutletCurrencies.file(besideDatabase: gate.runtime.config.gate.database)
            #expect(OutletCurrencies.load(file: remembered) == ["demo": "EUR"])

            let configPath = gate.directory + "/eguma-gate.toml"
            let balance = try await GateBinary.run(["balance", DemoVouchers.plenty, "--outlet", "demo", "--config", configPath])
            #expect(balance.status == 0, "\(balance)")
            #expect(balance.stdout.contains("balance:     EUR 75.00"), "\(balance)")
            #expect(!balance.stdout.contains("CHF"), "\(balance)")

            let local = EgumaLocalTime()
            let window = ["--from", local.format(Date().addingTimeInterval(-3600)), "--to", local.format(Date().addingTimeInterval(3600))]
            try await withDeadline(.seconds(20), "the entry to be journalled") {
                for await event in events where event.type == .entered { return }
                throw CancellationError()
            }
            let report = try await GateBinary.run(["report", "--config", configPath] + window)
            #expect(report.status == 0, "\(report)")
            #expect(report.stdout.contains("revenue EUR 25.00"), "\(report)")
            #expect(!report.stdout.contains("CHF"), "\(report)")
            let json = try await GateBinary.run(["report", "--config", configPath, "--json"] + window)
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            #expect((doc["total"] as? [String: Any])?["currency"] as? String == "EUR", "\(json)")
            let csv = try await GateBinary.run(["report", "--config", configPath, "--csv"] + window)
            #expect(csv.stdout.split(separator: "\n").last?.contains(",25.00,EUR,") == true, "\(csv)")
        } catch {
            await gate.stop()
            capture.stop()
            throw error
        }
        await gate.stop()
        capture.stop()
    }
}
