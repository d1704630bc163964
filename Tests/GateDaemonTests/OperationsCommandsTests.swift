import AsyncHTTPClient
import EgumaSimulator
import Foundation
import GateCore
import GateDaemon
@testable import GateStore
import Glibc
import GRDB
import NIOCore
import Testing
import TestSupport

/// The operator's commands of issue 11 against the real `eguma-gate` binary: the journal read
/// newest first, the outbox woken and dropped through the running daemon, snake_case status,
/// unknown lanes, amounts and `balance --outlet`. The daemon runs against the simulator over real
/// HTTP, its lane waiting for a scanner that is never plugged into the umockdev testbed.
@Suite("operations commands against the binary", .serialized, .deviceAccess, .enabled(if: UmockdevEnvironment.shouldRun))
struct OperationsCommandsTests {
    static let plenty = SimulatedVoucher.canonical(DemoVouchers.plenty)

    static var userName: String {
        guard let pw = getpwuid(getuid()), let name = pw.pointee.pw_name else { return "uid \(getuid())" }
        return String(cString: name)
    }

    /// A configuration (simulated relay and sensor) and, when `daemon`, a running gate.
    struct Rig {
        let simulator: SimulatorServer
        let config: GateTestConfig
        /// Made before the daemon starts: the child inherits `UMOCKDEV_DIR` and sees no scanner.
        let testbed: UmockdevTestbed
        let gate: RunningGate?

        /// `before` runs on the journal before the daemon starts.
        static func with(daemon: Bool = true, _ adjust: (inout GateTestConfig) -> Void = { _ in },
                         before: (GateDatabase) async throws -> Void = { _ in },
                         _ body: (Rig) async throws -> Void) async throws {
            try UmockdevEnvironment.require()
            let testbed = try UmockdevTestbed()
            let simulator = try await SimulatorServer.start()
            var config = try GateTestConfig(baseURL: simulator.baseURL)
            adjust(&config)
            try config.write()
            var gate: RunningGate?
            do {
                let journal = try await GateDatabase.open(path: config.databasePath)
                try await before(journal)
                try journal.close()
                if daemon { gate = try await RunningGate.start(config: config.configPath, directory: config.directory) }
                try await body(Rig(simulator: simulator, config: config, testbed: testbed, gate: gate))
            } catch {
                if let gate { Issue.record("daemon log:\n\(gate.child.stderr)") }
                gate?.kill(); await simulator.stop(); config.remove()
                throw error
            }
            gate?.kill(); await simulator.stop(); config.remove()
        }

        func cli(_ arguments: String...) async throws -> GateBinary.Result {
            try await GateBinary.run(arguments + ["--config", config.configPath])
        }

        func database() async throws -> GateDatabase { try await GateDatabase.open(path: config.databasePath) }
    }

    static func cancel(admission: Int64) -> OutboxOperation {
        .cancel(CancelOrder(lane: "main", outlet: "demo", admission: admission, redemption: nil, code: plenty,
                            token: "no-such-token", reference: "e2e/main/\(admission)", amountCents: 2_500))
    }

    // MARK: outbox

    static func offlineRedeem(admission: Int64) -> OutboxOperation {
        .offlineRedeem(OfflineRedeemOrder(lane: "main", outlet: "demo", admission: admission, code: plenty,
                                          reference: "e2e/main/\(admission)", amountCents: 2_500))
    }

    /// The worker sleeps while nothing is due; `outbox retry` must wake it (issue 11 item 2).
    @Test func outboxRetryIsTriedByTheIdleDaemonWithinTwoSeconds() async throws {
        // An entry queued before the start: once it is replayed, the worker has read the outbox
        // and sleeps until something wakes it.
        try await Rig.with(before: { try await $0.enqueue(Self.offlineRedeem(admission: 899)) }) { rig in
            let events = try EventFollower(config: rig.config.configPath)
            defer { events.stop() }
            try await events.waitFor("redeemed") { $0.admission == 899 }
            // Written behind the daemon's back, as an entry waiting out a long back-off would be:
            // nothing but the retry command wakes the worker for it.
            let db = try await rig.database()
            let id = try await db.enqueue(Self.offlineRedeem(admission: 900))
            let retry = try await rig.cli("outbox", "retry", "\(id)")
            #expect(retry.status == 0, "\(retry)")
            #expect(retry.stdout.contains("being tried now"))
            let replayed = try await events.waitFor("redeemed", timeout: .seconds(2)) { $0.admission == 900 }
            #expect(replayed.message == "offline redeem replayed")
            #expect(try await !db.isPending(id))
        }
    }

    @Test func outboxDropNeedsAReasonAndRecordsWhoAndWhyThroughTheDaemon() async throws {
        try await Rig.with { rig in
            let db = try await rig.database()
            let id = try await db.enqueue(Self.cancel(admission: 901))
            try await db.markDead(id, error: "Gutschein gesperrt")
            let events = try EventFollower(config: rig.config.configPath)
            defer { events.stop() }

            let bare = try await rig.cli("outbox", "drop", "\(id)")
            #expect(bare.status == 2, "\(bare)")
            #expect(bare.stderr.contains("--reason"))
            #expect(try await db.openEntries().map(\.id) == [id], "nothing dropped without a reason")

            let drop = try await rig.cli("outbox", "drop", "\(id)", "--reason", "refunded at the desk")
            #expect(drop.status == 0, "\(drop)")
            let dropped = try await events.waitFor("outbox_dropped")
            #expect(dropped.admission == 901)
            #expect(dropped.message?.contains("dropped by \(Self.userName): refunded at the desk") == true)
            #expect(try await db.openEntries().isEmpty)
            let gate = try #require(rig.gate)
            try await gate.child.stderrLines.waitFor("the warning log line") { $0.contains("WARNING") && $0.contains("outbox_dropped") }

            let again = try await rig.cli("outbox", "drop", "\(id)", "--reason", "twice")
            #expect(again.status == 1, "\(again)")
        }
    }

    @Test func outboxDropWithoutADaemonWritesTheEventItself() async throws {
        try await Rig.with(daemon: false) { rig in
            let db = try await rig.database()
            let id = try await db.enqueue(Self.cancel(admission: 902))
            let drop = try await rig.cli("outbox", "drop", "\(id)", "--reason", "settled in the back office")
            #expect(drop.status == 0, "\(drop)")
            let event = try #require(try await db.latestEvents(.init(types: [.outboxDropped]), limit: 1).first)
            #expect(event.event.message?.contains("dropped by \(Self.userName): settled in the back office") == true)
        }
    }

    // MARK: status, open, metrics

    @Test func statusIsSnakeCaseCountsDeadApartAndListsTheNewestAdmissionFirst() async throws {
        let metricsPort = try GateTestConfig.freePort()
        // The dead entry is written before the daemon starts: queued while it runs, its worker
        // could try the cancel first and count a real cancel_failed (seen on a slow machine).
        try await Rig.with({ $0.metricsPort = metricsPort }, before: { db in
            let dead = try await db.enqueue(Self.cancel(admission: 903))
            try await db.markDead(dead, error: "refused")
        }) { rig in
            let db = try await rig.database()
            try await db.append(GateEvent(.entered, lane: "main", admission: 1, code: Self.plenty, amountCents: 2_500))
            try await db.append(GateEvent(.denied, lane: "main", admission: 2, code: Self.plenty, message: "Gutschein abgelaufen"))

            let run = try await rig.cli("status", "--json")
            #expect(run.status == 0, "\(run)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            #expect(object["outbox_pending"] as? Int == 0)
            #expect(object["outbox_dead"] as? Int == 1)
            let lane = try #require((object["lanes"] as? [[String: Any]])?.first)
            #expect(Set(lane.keys) == ["name", "mode", "state", "scanner_present", "scanner_device", "entries_today", "last_admissions"]
                    || Set(lane.keys) == ["name", "mode", "state", "scanner_present", "entries_today", "last_admissions"], "\(lane.keys)")
            #expect(lane["entries_today"] as? Int == 1)
            let last = try #require(lane["last_admissions"] as? [String])
            #expect(last.count == 2)
            #expect(last.first?.contains("denied") == true, "newest first: \(last)")
            #expect(!run.stdout.contains("Today") && !run.stdout.contains("Depth"), "no camelCase key: \(run.stdout)")

            let text = try await rig.cli("status")
            #expect(text.stdout.contains("0 pending, 1 DEAD"), "\(text)")

            // Every counter is there at 0 from the start, before anything failed.
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(metricsPort)/metrics"), timeout: .seconds(10))
            let metrics = String(buffer: try await response.body.collect(upTo: 1 << 20))
            #expect(metrics.contains(#"eguma_gate_offline_redeem_failed_total{lane="main"} 0"#), "\(metrics)")
            #expect(metrics.contains(#"eguma_gate_cancel_failed_total{lane="main"} 0"#))
            #expect(!metrics.contains("eguma_gate_up "))
        }
    }

    @Test func openTakesAReasonIntoTheManualOpenEvent() async throws {
        try await Rig.with { rig in
            let events = try EventFollower(config: rig.config.configPath)
            defer { events.stop() }
            let open = try await rig.cli("open", "main", "--reason", "wheelchair")
            #expect(open.status == 0, "\(open)")
            let manual = try await events.waitFor("manual_open")
            #expect(manual.message == "opened by \(Self.userName): wheelchair")
        }
    }

    @Test func anUnknownLaneExitsTwoNamingTheLanes() async throws {
        try await Rig.with(daemon: false) { rig in
            for arguments in [["events", "--lane", "nosuch"], ["open", "nosuch"]] {
                let run = try await GateBinary.run(arguments + ["--config", rig.config.configPath])
                #expect(run.status == 2, "\(arguments): \(run)")
                #expect(run.stderr.contains("no lane nosuch (lanes: main)"), "\(arguments): \(run.stderr)")
            }
            let type = try await rig.cli("events", "--type", "nosuch")
            #expect(type.status == 2, "\(type)")
            #expect(type.stderr.contains("entered"), "the valid types are listed: \(type.stderr)")
        }
    }

    // MARK: events

    @Test func eventsShowTheNewestRowsFilterByTypeAndFollowFromTheEnd() async throws {
        try await Rig.with(daemon: false) { rig in
            let db = try await rig.database()
            try await db.writer.write { db in
                for i in 1...12_000 {
                    try db.execute(sql: "INSERT INTO event (ts, lane, type, message) VALUES (?, 'main', ?, ?)",
                                   arguments: [Date(), i % 100 == 0 ? "entered" : "scanned", "n\(i)"])
                }
            }
            let last = try await rig.cli("events", "--last", "2", "--json")
            #expect(last.status == 0, "\(last)")
            #expect(last.stdout.split(separator: "\n").compactMap { JournalLine(String($0))?.message } == ["n11999", "n12000"])
            let entered = try await rig.cli("events", "--type", "entered", "--last", "3", "--json")
            #expect(entered.stdout.split(separator: "\n").compactMap { JournalLine(String($0))?.message } == ["n11800", "n11900", "n12000"])

            // -f prints the latest 50, then only what is new: never the backlog again.
            let follow = try GateBinary.start(["events", "-f", "--json", "--config", rig.config.configPath])
            defer { follow.killIfRunning() }
            try await follow.stdoutLines.waitFor("the latest 50", timeout: .seconds(10)) { $0.contains("\"n12000\"") }
            try await db.append(GateEvent(.scanned, lane: "main", message: "fresh"))
            try await follow.stdoutLines.waitFor("the new event", timeout: .seconds(10)) { $0.contains("\"fresh\"") }
            let messages = follow.stdoutLines.values.compactMap { JournalLine($0)?.message }
            #expect(messages.count == 51, "\(messages.count) lines")
            #expect(messages.first == "n11951" && messages.last == "fresh")
        }
    }

    // MARK: amounts, balance --outlet

    @Test func anAmountWithNonASCIIDigitsIsAUsageErrorNotACrash() async throws {
        for amount in ["1.½", "١٢.٠٠", "12.5x", "-3", "1.005"] {
            let run = try await GateBinary.run(["voucher", "redeem", DemoVouchers.plenty, "--amount=\(amount)", "--base-url", "http://127.0.0.1:9"])
            #expect(run.status == 2, "\(amount): \(run)")
            #expect(run.stderr.contains("not an amount"), "\(amount): \(run.stderr)")
        }
    }

    @Test func balanceAsAConfiguredOutletUsesItsKeyAndTheConfiguredBaseURL() async throws {
        try await Rig.with(daemon: false) { rig in
            let run = try await GateBinary.run(["balance", DemoVouchers.plenty, "--outlet", "demo", "--config", rig.config.configPath],
                                               remove: ["EGUMA_API_KEY"])
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout.contains("redeemable:  yes"), "\(run.stdout)")
            let unknown = try await GateBinary.run(["balance", DemoVouchers.plenty, "--outlet", "nosuch", "--config", rig.config.configPath])
            #expect(unknown.status == 2, "\(unknown)")
            #expect(unknown.stderr.contains("no outlet nosuch (outlets: demo)"), "\(unknown.stderr)")
        }
    }
}
