import EgumaAPI
import Foundation
import GateCore
import GateStore

/// `eguma-gate admission void ID --reason TEXT [--user U]` (issue 25, SPEC §10 "Counter").
///
/// **How it writes (the choice, since the issue leaves it open):** the command writes the void's
/// money step to the journal *directly* — SQLite in WAL mode takes a second writer process, and
/// the step is one transaction guarded by the states it reads, so it is the same whether or not
/// the daemon runs. Nothing of the void goes to e-guma from that step: it only queues cancels
/// with their stored tokens in the durable outbox (and withdraws an offline admission's queued
/// redeem). The cancels are then sent by exactly one outbox worker:
///
/// - **daemon running**: its worker. The command wakes it for each entry through the control
///   socket (`outbox_retry`, as `outbox retry` does) and waits up to `wait` for the entries to
///   leave the outbox — never sending a cancel itself, so no cancel goes out from two processes.
/// - **no daemon**: the command runs the same `OutboxWorker` once over its own entries (and no
///   other), with the configured outlets' keys.
///
/// The user recorded is `--user`, by default the login of the process that runs the command
/// (who may write the journal file is who may void: the database is 0640 root:eguma-gate).
///
/// Exit codes: 0 every cancel confirmed by e-guma (or only an offline redeem withdrawn: nothing
/// was taken), 3 a cancel still queued (e-guma unreachable: durable, the daemon's outbox finishes
/// it), 1 nothing left to cancel, a refusal (still open, not settled, token unknown) or a cancel
/// e-guma refused for good (dead-lettered with `cancel_failed`).
public struct AdmissionVoid: Sendable {
    public let config: GateConfig
    public let database: GateDatabase
    /// How long a running daemon is given to confirm the cancels.
    public var wait: Duration

    public init(config: GateConfig, database: GateDatabase, wait: Duration = .seconds(8)) {
        self.config = config; self.database = database; self.wait = wait
    }

    /// Voids admission `id` (with `redemption`: only that one of its redemptions).
    public func run(_ id: Int64, redemption: Int64? = nil, user: String, reason: String) async throws -> OperatorOutcome {
        switch try await database.voidAdmission(id, redemption: redemption, user: user, reason: reason) {
        case .refused(let refusal):
            return OperatorOutcome(lines: Self.explain(refusal, id: id), exitCode: 1)
        case .voided(let plan):
            var lines: [String] = plan.event == nil
                ? ["admission #\(id): nothing new to cancel — its cancels were queued before (a void or the lane) and still wait in the outbox"]
                : ["admission #\(id) voided by \(user): \(reason)"]
            if let entry = plan.withdrawn { lines.append("offline redeem (outbox entry #\(entry)) withdrawn: nothing was taken at e-guma") }
            lines += plan.tokenUnknown.map(Self.tokenUnknownHint)
            var notes: [String] = []
            let states = try await drive(plan.waiting, notes: &notes)
            lines += notes
            var exit: Int32 = 0
            for entry in plan.waiting {
                let state = states[entry]
                switch state?.state {
                case .done?:
                    lines.append("cancel (outbox entry #\(entry)) confirmed by e-guma")
                case .dead?:
                    exit = 1
                    lines.append("cancel (outbox entry #\(entry)) refused by e-guma: \(state?.lastError ?? "no reason given")"
                                 + " — see eguma-gate outbox list; refund by hand in e-guma's back office if the guest is still charged")
                default:
                    if exit == 0 { exit = 3 }
                    lines.append("cancel (outbox entry #\(entry)) queued durably, not yet confirmed"
                                 + (state?.lastError.map { " (\($0))" } ?? "")
                                 + " — the daemon's outbox sends it until e-guma confirms; see eguma-gate outbox list")
                }
            }
            return OperatorOutcome(lines: lines, exitCode: exit)
        }
    }

    /// Sends the cancel entries through the one worker that may send them, then reads where each stands.
    private func drive(_ entries: [Int64], notes: inout [String]) async throws -> [Int64: GateDatabase.EntryStanding] {
        guard !entries.isEmpty else { return [:] }
        let socket = config.gate.controlSocket
        if ControlClient.isAlive(path: socket) {
            for entry in entries {
                // Best effort: an entry the daemon's worker already finished is no longer open.
                _ = try? ControlClient(path: socket).send(ControlRequest(command: "outbox_retry", id: entry))
            }
            let deadline = ContinuousClock.now + wait
            while ContinuousClock.now < deadline {
                let states = try await database.entryStandings(entries)
                if !states.values.contains(where: { $0.state == .pending }) { return states }
                try await Task.sleep(for: .milliseconds(100))
            }
        } else {
            notes += try await runOwnWorker(entries)
        }
        return try await database.entryStandings(entries)
    }

    /// No daemon: this process's worker tries each entry once, then stops. An entry of an outlet
    /// whose key this user cannot read is not tried (the worker would dead-letter it for want of a
    /// service): it stays queued for the daemon, and the returned note says why.
    private func runOwnWorker(_ entries: [Int64]) async throws -> [String] {
        let client = try EgumaClient(configuration: config.api)
        var services: [String: any VoucherService] = [:]
        var notes: [String] = []
        for (name, outlet) in config.outlets {
            do { services[name] = EgumaVoucherService(client: client, key: try outlet.loadKey(configFile: config.file)) } catch {
                notes.append("outlet \(name): this user cannot read its key (\(error)) — its cancels stay queued for the daemon")
            }
        }
        let runnable = try await database.openEntries().filter { entry in
            guard entries.contains(entry.id), case .cancel(let order) = entry.operation else { return false }
            return services[order.outlet] != nil
        }
        let worker = OutboxWorker(store: database, journal: database, services: services, clock: ContinuousClock())
        await worker.runOnce(only: Set(runnable.map(\.id)))
        try? await client.shutdown()
        return notes
    }

    static func explain(_ refusal: VoidRefusal, id: Int64) -> [String] {
        switch refusal {
        case .noSuchAdmission:
            return ["no admission #\(id) in the journal — see eguma-gate admission list"]
        case .stillOpen(let lane):
            return ["admission #\(id) on lane \(lane) is still open (a guest at the lane now, or one the daemon's start-up recovery settles) — void it once it is closed"]
        case .unsettled(let ids):
            return ["admission #\(id): redemption " + ids.map { "#\($0)" }.joined(separator: ", ")
                    + " is still being settled (its redeem's outcome is not known yet) — nothing was voided; try again once it is settled (eguma-gate outbox list)"]
        case .nothingToCancel(let unknown):
            return ["admission #\(id): nothing left to cancel (no redemption of it is redeemed and not yet cancelled)"]
                + unknown.map(tokenUnknownHint)
        }
    }

    static func tokenUnknownHint(_ r: AdmissionRecord.Redemption) -> String {
        "redemption #\(r.id) (\(maskCode(r.code)), \(Money(cents: r.amountCents))) cannot be cancelled by the gate: its redeem token is unknown — "
            + "refund it by hand in e-guma's back office (voucher \(r.code), reference \(r.reference))"
    }
}
