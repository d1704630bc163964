import EgumaAPI
import Foundation
import GateCore
import GateHardware
import GateStore
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

// The control socket's requests (status, open, unlock, reload, outbox_retry, outbox_drop and the
// simulator's sim_passage), each answered here with the calling user (SO_PEERCRED) where it acts.
extension GateRuntime {
    func handle(_ request: ControlRequest, peer: PeerCredentials) async -> ControlResponse {
        switch request.command {
        case "status":
            return ControlResponse(ok: true, status: await status())
        case "open":
            guard let name = request.lane, let lane = lane(name) else { return .failure(unknownLane(request.lane)) }
            guard lane.config.mode == .gate else { return .failure("lane \(name) is a balance-check lane: it has no relay") }
            lane.manualOpen(by: peer.userName, reason: request.reason)
            return ControlResponse(ok: true, message: "lane \(name) opened by \(peer.userName)")
        case "sim_passage":
            guard let name = request.lane, let lane = lane(name) else { return .failure(unknownLane(request.lane)) }
            guard let sensor = lane.config.sensor, sensor.isSimulated else {
                return .failure("lane \(name) has no simulated sensor — sim passage needs sensor = { chip = \"sim\", … }")
            }
            do {
                try simulatedChip.simulatePassage(line: sensor.line)
            } catch {
                return .failure(error.description)
            }
            return ControlResponse(ok: true, message: "passage on lane \(name)")
        case "reload":
            return await reload()
        case "unlock":
            guard let name = request.lane, let lane = lane(name) else { return .failure(unknownLane(request.lane)) }
            let paused = await lane.unlock(by: peer.userName)
            return ControlResponse(ok: true, message: paused ? "lane \(name) unlocked by \(peer.userName)"
                                                             : "lane \(name) was not paused")
        case "outbox_retry":
            guard let id = request.id else { return .failure("outbox_retry needs an id") }
            return await retryOutboxEntry(id)
        case "outbox_drop":
            guard let id = request.id else { return .failure("outbox_drop needs an id") }
            return await dropOutboxEntry(id, reason: request.reason, user: peer.userName)
        case "desk_redeem":
            return await deskRedeem(request, user: peer.userName)
        default:
            return .failure("unknown command \"\(request.command)\" — status, open, unlock, sim_passage, reload, outbox_retry, outbox_drop or desk_redeem")
        }
    }

    private func unknownLane(_ name: String?) -> String {
        NameSuggestion.unknownLane(name ?? "\"\"", among: lanes.map(\.config.name))
    }

    /// `outbox retry ID`: due now, and the worker is woken so it tries the entry at once.
    private func retryOutboxEntry(_ id: Int64) async -> ControlResponse {
        do {
            guard try await database.retry(id) else { return .failure("no open outbox entry #\(id) — see eguma-gate outbox list") }
        } catch {
            return .failure("cannot make outbox entry #\(id) due: \(error) — check the database \(config.gate.database)")
        }
        outbox.kick()
        logger.notice("outbox entry #\(id) made due by an operator; trying it now")
        return ControlResponse(ok: true, message: "outbox entry #\(id) is being tried now")
    }

    /// `outbox drop ID --reason TEXT`: dropped for good, with an `outbox_dropped` event naming who and why.
    private func dropOutboxEntry(_ id: Int64, reason: String?, user: String) async -> ControlResponse {
        guard let reason = reason?.trimmingCharacters(in: .whitespacesAndNewlines), !reason.isEmpty else {
            return .failure("outbox drop needs a reason (--reason TEXT): it is kept in the journal")
        }
        do {
            guard let event = try await database.dropRecorded(id, user: user, reason: reason) else {
                return .failure("no open outbox entry #\(id) — see eguma-gate outbox list")
            }
            await journalObserved(event)
            return ControlResponse(ok: true, message: "outbox entry #\(id) dropped by \(user)")
        } catch {
            return .failure("cannot drop outbox entry #\(id): \(error) — check the database \(config.gate.database)")
        }
    }

    /// `voucher redeem CODE --amount A --outlet O` while the daemon runs: here, where admission ids
    /// are handed out (`DeskRedemption`), recorded with the calling user.
    private func deskRedeem(_ request: ControlRequest, user: String) async -> ControlResponse {
        guard let code = request.code, let cents = request.amountCents, cents > 0, let name = request.outlet else {
            return .failure("desk_redeem needs code, amount_cents (> 0) and outlet")
        }
        guard let outlet = config.outlets[name] else { return .failure("no outlet \(name) in \(config.file)") }
        let key: APIKey
        do { key = try outlet.loadKey(environment: options.environment, configFile: config.file) } catch {
            return .failure("\(error)")
        }
        var desk = DeskRedemption(database: database, service: EgumaVoucherService(client: client, key: key),
                                  gateName: config.gate.name, outlet: name)
        desk.observe = { [self] event in await journalObserved(event) }
        do {
            let outcome = try await desk.run(code: code, amount: Money(cents: cents), user: user)
            outbox.kick()  // a settle entry, when the answer was lost
            return ControlResponse(ok: true, outcome: outcome)
        } catch {
            return .failure("desk redemption failed before the Redeem: \(error) — nothing was redeemed; check the database \(config.gate.database)")
        }
    }

    /// An event the store already wrote: logged, counted and broadcast like any other.
    private func journalObserved(_ event: GateEvent) async {
        ObservedJournal(database: database, file: config.gate.database, events: events, metrics: metrics, logger: logger,
                       health: journalHealth).observe(event)
    }
}
