import EgumaAPI
import Foundation
import GateCore
import GateHardware
import GateStore
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

// `eguma-gate status`: the lanes, the outbox and the journal's health in one snapshot.
extension GateRuntime {
    public func status() async -> GateStatus {
        var laneStatus: [GateStatus.Lane] = []
        let entries: [String: Int]
        do { entries = try await database.entryCounts(since: Calendar.current.startOfDay(for: Date())) } catch {
            logger.error("status: cannot count today's entries: \(error)")
            entries = [:]
        }
        let admissions: [GateEventType] = [.entered, .cancelled, .denied, .offlineAdmitted, .manualOpen]
        for lane in lanes {
            let name = lane.config.name
            let recent: [JournalEvent]
            do { recent = try await database.latestEvents(.init(lane: name, types: admissions), limit: 5) } catch {
                logger.error("status: cannot read the last admissions of lane \(name): \(error) — check the database \(config.gate.database)")
                recent = []
            }
            let last = recent.reversed().map { e in  // newest first
                "\(e.timestamp.formatted(.iso8601.time(includingFractionalSeconds: false))) \(e.event.type.rawValue)"
                    + (e.event.code.map { " " + VoucherCode.mask($0) } ?? "")
                    + (e.event.message.map { " — " + $0 } ?? "")
            }
            laneStatus.append(GateStatus.Lane(
                name: name, mode: lane.config.mode.rawValue, scannerPresent: lane.scannerPresent,
                scannerDevice: lane.scannerDevice,
                state: journalHealth.problem("lane \(name)").map { "out of order — the journal cannot be written: \($0)" }
                    ?? lane.feedback.state.summary,
                entriesToday: entries[name] ?? 0, lastAdmissions: last))
        }
        let outbox: GateDatabase.OutboxSummary
        do { outbox = try await database.outboxSummary() } catch {
            logger.error("status: cannot read the outbox: \(error) — check the database \(config.gate.database)")
            outbox = GateDatabase.OutboxSummary(pending: -1, dead: -1)  // shown as unknown, never as empty
        }
        return GateStatus(gate: config.gate.name, online: !(await online.isOffline), emergency: emergencySignal.isOpen,
                          outboxPending: outbox.pending, outboxDead: outbox.dead, lanes: laneStatus)
    }
}
