import EgumaAPI
import Foundation
import GateCore
import Logging
import ServiceLifecycle

/// The daemon's own reconciliation (issue 14): on `ReconcilePlan`'s schedule, every outlet's
/// window against e-guma's list. A clean result records `reconciled`, a disagreement
/// `reconcile_mismatch` (an operator event: warning log and `eguma_gate_reconcile_mismatches_total`
/// through `ObservedJournal`). e-guma unreachable: a warning, and the next run tries again. An
/// answer that cannot be read: `reconcile_no_verdict` (a warning), never a mismatch.
struct ReconcileService: Sendable {
    let reconciler: Reconciler
    let outlets: [Reconciler.Outlet]
    let plan: ReconcilePlan
    let journal: any AdmissionJournal
    let logger: Logger
    let now: @Sendable () -> Date
    /// The messages of `reconciled` / `reconcile_mismatch` events journalled since a time (nil:
    /// not readable): how the service tells a day it already closed.
    var closingMessages: @Sendable (_ since: Date) async -> [String]? = { _ in nil }
    /// Whether the gate journalled anything before a time: a fresh install does not close a
    /// day it never ran (e-guma's other tills would show as a mismatch).
    var ranBefore: @Sendable (_ date: Date) async -> Bool = { _ in true }
    /// With a fleet: whether this gate holds the lease to reconcile an outlet's e-guma user
    /// (docs/fleet.md); a gate without it leaves the outlet to the holder. Nil: always.
    var lease: (@Sendable (_ userID: String) async -> Bool)?

    /// Whether the plan runs at all (`gate.reconcile_every_h` > 0).
    var isOn: Bool { plan.everyHours > 0 }

    /// Runs the plan until the graceful shutdown. Off, it idles until then rather than return:
    /// a supervised part that returns counts as a failure and is restarted.
    func run() async {
        guard isOn else {
            try? await gracefulShutdown()
            return
        }
        var last = now()
        if let first = await catchUp() {
            let wait = first.at.timeIntervalSince(now())
            if wait > 0 {
                do { try await Task.sleep(for: .seconds(wait)) } catch { return }
            }
            _ = await runOnce(window: first.window)
            last = max(last, first.at)
        }
        while !Task.isCancelled, let next = plan.next(after: last) {
            let wait = next.at.timeIntervalSince(now())
            if wait > 0 {
                do { try await Task.sleep(for: .seconds(wait)) } catch { return }
            }
            _ = await runOnce(window: next.window)
            last = next.at
        }
    }

    /// The previous day, when the gate ran then and no run closed it yet (an unreadable journal
    /// counts as not closed: one run too many only journals the same result twice).
    func catchUp() async -> (at: Date, window: DateInterval)? {
        guard let first = plan.catchUp(at: now()), await ranBefore(first.window.end) else { return nil }
        let closed = await closingMessages(first.window.end) ?? []
        return closed.contains { $0.hasPrefix(span(first.window) + ":") } ? nil : first
    }

    private func span(_ window: DateInterval) -> String {
        "\(plan.local.format(window.start))…\(plan.local.format(window.end))"
    }

    /// Reconciles every outlet for `window` and journals the outcome of each.
    func runOnce(window: DateInterval) async -> [OutletReconciliation] {
        let span = span(window)
        var results: [OutletReconciliation] = []
        for outlet in outlets {
            if let lease, let user = outlet.userID, !(await lease(user.text)) {
                logger.info("reconcile outlet \(outlet.name) \(span): another gate of the fleet reconciles e-guma user \(user.text)")
                continue
            }
            do {
                let r = try await reconciler.reconcile(outlet, window: window)
                results.append(r)
                let event = GateEvent(r.result.isClean ? .reconciled : .reconcileMismatch, lane: "outlet:\(outlet.name)",
                                      amountCents: r.result.discrepancies.reduce(0) { $0 + abs($1.egumaCents - $1.gateCents) },
                                      message: "\(span): \(r.summary)")
                do { try await journal.append(event) } catch {
                    logger.error("reconcile outlet \(outlet.name) \(span): cannot journal the result (\(error)) — \(r.summary)")
                }
            } catch let noVerdict as ReconcileNoVerdict {
                // Not a mismatch: nothing was compared. Journalled so the report and `events`
                // show the day as undecided; it does not close the day (the next run tries again).
                let event = GateEvent(.reconcileNoVerdict, lane: "outlet:\(outlet.name)", message: "\(span): \(noVerdict)")
                do { try await journal.append(event) } catch {
                    logger.error("reconcile outlet \(outlet.name) \(span): cannot journal the missing verdict (\(error)) — \(noVerdict)")
                }
            } catch {
                logger.warning("reconcile outlet \(outlet.name) \(span): \(error) — tried again at the next run; or run eguma-gate reconcile")
            }
        }
        return results
    }
}
