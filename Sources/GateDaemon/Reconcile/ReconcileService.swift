import EgumaAPI
import Foundation
import GateCore
import Logging

/// The daemon's own reconciliation (issue 14): on `ReconcilePlan`'s schedule, every outlet's
/// window against e-guma's list. A clean result records `reconciled`, a disagreement
/// `reconcile_mismatch` (an operator event: warning log and `eguma_gate_reconcile_mismatches_total`
/// through `ObservedJournal`). e-guma unreachable: a warning, and the next run tries again.
struct ReconcileService: Sendable {
    let reconciler: Reconciler
    let outlets: [Reconciler.Outlet]
    let plan: ReconcilePlan
    let journal: any AdmissionJournal
    let logger: Logger
    let now: @Sendable () -> Date

    func run() async {
        var last = now()
        while !Task.isCancelled, let next = plan.next(after: last) {
            let wait = next.at.timeIntervalSince(now())
            if wait > 0 {
                do { try await Task.sleep(for: .seconds(wait)) } catch { return }
            }
            _ = await runOnce(window: next.window)
            last = next.at
        }
    }

    /// Reconciles every outlet for `window` and journals the outcome of each.
    func runOnce(window: DateInterval) async -> [OutletReconciliation] {
        let local = plan.local
        let span = "\(local.format(window.start))…\(local.format(window.end))"
        var results: [OutletReconciliation] = []
        for outlet in outlets {
            do {
                let r = try await reconciler.reconcile(outlet, window: window)
                results.append(r)
                let event = GateEvent(r.result.isClean ? .reconciled : .reconcileMismatch, lane: "outlet:\(outlet.name)",
                                      amountCents: r.result.discrepancies.reduce(0) { $0 + abs($1.egumaCents - $1.gateCents) },
                                      message: "\(span): \(r.summary)")
                do { try await journal.append(event) } catch {
                    logger.error("reconcile outlet \(outlet.name) \(span): cannot journal the result (\(error)) — \(r.summary)")
                }
            } catch {
                logger.warning("reconcile outlet \(outlet.name) \(span): \(error) — tried again at the next run; or run eguma-gate reconcile")
            }
        }
        return results
    }
}
