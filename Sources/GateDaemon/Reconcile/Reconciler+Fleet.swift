import Foundation
import GateCore
import GateFleet

extension Reconciler {
    /// The fleet-aware comparison: this gate's journal plus every other gate's of the same e-guma
    /// user, all matched on the site's code hashes (the other gates' codes never left them), then
    /// shown again with the codes this gate knows (its own, e-guma's) or masked. A verdict needs
    /// every gate of the user to have shipped up to the window's end (within `FleetReconcileSource.grace`
    /// of it, or of now for a window still open); otherwise, or with
    /// PostgreSQL unreachable, there is no verdict — never a false mismatch.
    func reconcileWithFleet(_ fleet: FleetReconcileSource, outlet: String, userID: String, window: DateInterval,
                            journal: [JournalRedemptionRow], inside: [PlatformRedemptionRow],
                            nearby: [PlatformRedemptionRow]) async throws -> Reconciliation {
        let others: FleetReconcileSource.Others
        do {
            others = try await fleet.others(userID: userID, window: window)
        } catch {
            throw ReconcileNoVerdict(outlet: outlet, what: "the fleet's journals", cause: error,
                                     advice: "run eguma-gate fleet check, then reconcile again")
        }
        guard others.lagging.isEmpty else {
            throw ReconcileNoVerdict(outlet: outlet, what: "the fleet's journals",
                                     cause: FleetLag(gates: others.lagging, windowEnd: window.end),
                                     advice: "reconcile again once those gates have shipped (eguma-gate fleet status)")
        }
        var readable: [String: String] = others.masked
        func hashed(_ code: String) -> String {
            let h = fleet.hash(code)
            readable[h] = code
            return h
        }
        let mine = journal.map { row in var r = row; r.code = hashed(r.code); return r }
        // e-guma's rows after the fleet's watermark may belong to a redemption another gate has
        // not shipped yet: they can complete a code, never count alone.
        let through = min(window.end, others.watermark ?? window.end)
        let listed = inside.filter { $0.at < through }.map { row in var r = row; r.code = hashed(r.code); return r }
        let around = (nearby + inside.filter { $0.at >= through }).map { row in var r = row; r.code = hashed(r.code); return r }
        let result = Reconciliation(journal: mine + others.rows, platform: listed, platformNearby: around)
        return result.renamingCodes { readable[$0] ?? VoucherCode.mask($0) }
    }
}

/// Gates of the user whose journals are not shipped through the window's end.
struct FleetLag: Error, CustomStringConvertible {
    var gates: [String]
    var windowEnd: Date
    var description: String { "gate(s) \(gates.joined(separator: ", ")) have not shipped their journal past the window's end" }
}

extension Reconciliation {
    /// The same comparison with every code passed through `name` (hashes back to codes).
    func renamingCodes(_ name: (String) -> String) -> Reconciliation {
        func rename(_ list: [ReconcileFinding]) -> [ReconcileFinding] {
            list.map { finding in
                var f = finding
                f.code = name(f.code)
                f.journal = f.journal.map { var j = $0; j.code = name(j.code); return j }
                f.platform = f.platform.map { var p = $0; p.code = name(p.code); return p }
                return f
            }
        }
        var copy = self
        copy.matched = rename(matched)
        copy.missingAtEguma = rename(missingAtEguma)
        copy.unknownToGate = rename(unknownToGate)
        copy.amountDifferences = rename(amountDifferences)
        return copy
    }
}
