import Foundation
import GateCore
import GateStore

/// One run of a write-cut test (issues 24, 25): a fresh journal on disk whose writes the test cuts
/// by number (`WriteFaults`, as a full disk refuses a commit), a fake e-guma holding one voucher,
/// and a test clock; `heal` then lets the disk take writes again and works the outbox as the
/// running gate would — in the same process, or after a restart (start-up recovery first) —
/// until nothing is left to do.
public struct WriteCutJournal: Sendable {
    public let directory: URL
    public let database: GateDatabase
    public let faults = WriteFaults()
    public let eguma = FakeVoucherService()
    public let clock = TestClock()
    /// The outlet the fake e-guma serves.
    public let outlet: String

    public init(code: String, balance: Int64, outlet: String) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("write-cut-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var database = try await GateDatabase.open(path: directory.appendingPathComponent("gate.db").path)
        database.faults = faults
        self.database = database
        self.outlet = outlet
        await eguma.add(code, balance: balance)
    }

    /// An outbox worker on this journal and e-guma; forgotten intents are swept at once.
    public func worker() -> OutboxWorker<TestClock> {
        OutboxWorker(store: database, journal: database, services: [outlet: eguma], clock: clock,
                     unitRandom: { 0.5 }, forgottenAfter: .zero)
    }

    public func remove() {
        try? database.close()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Works the outbox as the running gate would (sweeps included) until nothing is pending and
    /// no redemption is `intent` or `uncertain`; `restart` first runs a new process's recovery.
    public func heal(_ worker: OutboxWorker<TestClock>, restart: Bool) async throws {
        faults.failing(at: nil)
        if restart { await worker.recoverInterrupted() }
        for _ in 0..<200 {
            await worker.settleForgottenIntents()
            let next = await worker.runOnce()
            let pending = try await database.pendingEntries()
            let open = try await database.redemptions().filter { $0.state == .intent || $0.state == .uncertain }
            if pending.isEmpty, open.isEmpty { return }
            clock.advance(by: max(.seconds(1), next.map { clock.now.duration(to: $0) } ?? .seconds(60)))
        }
    }
}
