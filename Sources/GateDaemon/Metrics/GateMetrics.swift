import EgumaAPI
import Foundation
import Prometheus

/// Everything operations watch, in Prometheus text format (served on `gate.metrics`).
///
/// Uses its own registry rather than a process-wide bootstrap, so tests (and several daemons in
/// one test process) never share counters.
public final class GateMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    /// Outcomes counted in `admissions_total`, each present at 0 from the start.
    static let outcomes = ["entered", "cancelled", "denied", "offline_admitted", "manual_open"]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// Creates every counter and gauge at 0 for `lanes`, so an alert on a counter (say
    /// `offline_redeem_failed_total`) has a series to watch before the first failure. Whether
    /// the daemon is up is Prometheus's own `up` series.
    public func prepare(lanes: [String]) {
        for lane in lanes {
            for outcome in Self.outcomes {
                registry.makeCounter(descriptor: admissionsDescriptor, labels: [("lane", lane), ("outcome", outcome)])
            }
            registry.makeCounter(descriptor: entriesDescriptor, labels: [("lane", lane)])
            registry.makeCounter(descriptor: offlineRedeemFailedDescriptor, labels: [("lane", lane)])
            registry.makeCounter(descriptor: tokenUnknownDescriptor, labels: [("lane", lane)])
            registry.makeCounter(descriptor: cancelFailedDescriptor, labels: [("lane", lane)])
        }
        registry.makeCounter(descriptor: undecodableDescriptor)
        outboxDepth(0)
        outbox(dead: 0, oldestPendingAge: nil)
        registry.makeDurationHistogram(descriptor: journalWriteDescriptor, labels: [], buckets: Self.journalBuckets)
    }

    /// An admission ended: `outcome` is entered, cancelled, denied, offline_admitted, timeout …
    public func admission(lane: String, outcome: String) {
        registry.makeCounter(descriptor: admissionsDescriptor, labels: [("lane", lane), ("outcome", outcome)]).increment()
    }

    /// One e-guma call finished (successfully or not).
    public func apiCall(_ endpoint: Endpoint, latency: Duration, error: EgumaError?) {
        registry.makeDurationHistogram(
            descriptor: d("api_latency", "seconds", "e-guma API latency"), labels: [("endpoint", endpoint.rawValue)],
            buckets: [.milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                      .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10)]).record(latency)
        let result = error.map { $0.isUnreachable ? "unreachable" : "refused" } ?? "ok"
        registry.makeCounter(descriptor: d("api_calls", "total", "e-guma API calls by endpoint and result"),
                             labels: [("endpoint", endpoint.rawValue), ("result", result)]).increment()
    }

    public func outboxDepth(_ depth: Int) {
        registry.makeGauge(descriptor: d("outbox_depth", "", "Pending cancels and offline redeems"))
            .set(to: Double(depth))
    }

    public func scannerPresent(lane: String, _ present: Bool) {
        registry.makeGauge(descriptor: d("scanner_present", "", "1 when the lane's scanner is attached"),
                           labels: [("lane", lane)]).set(to: present ? 1 : 0)
    }

    public func online(_ online: Bool) {
        registry.makeGauge(descriptor: d("online", "", "1 when e-guma is reachable")).set(to: online ? 1 : 0)
    }

    /// A guest walked through (Prometheus computes "today": `increase(eguma_gate_entries_total[1d])`).
    public func entered(lane: String) {
        registry.makeCounter(descriptor: entriesDescriptor, labels: [("lane", lane)]).increment()
    }

    public func offlineRedeemFailed(lane: String) {
        registry.makeCounter(descriptor: offlineRedeemFailedDescriptor, labels: [("lane", lane)]).increment()
    }

    public func tokenUnknown(lane: String) {
        registry.makeCounter(descriptor: tokenUnknownDescriptor, labels: [("lane", lane)]).increment()
    }

    public func cancelFailed(lane: String) {
        registry.makeCounter(descriptor: cancelFailedDescriptor, labels: [("lane", lane)]).increment()
    }

    /// An outbox row could not be decoded and was set aside as dead.
    public func outboxUndecodable() {
        registry.makeCounter(descriptor: undecodableDescriptor).increment()
    }

    /// Dead-lettered entries and the age of the oldest pending one (0 when nothing waits).
    public func outbox(dead: Int, oldestPendingAge: Duration?) {
        registry.makeGauge(descriptor: d("outbox_dead", "", "Outbox entries e-guma refused for good: an operator must settle them"))
            .set(to: Double(dead))
        let seconds = oldestPendingAge.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 } ?? 0
        registry.makeGauge(descriptor: d("outbox_oldest_pending_age", "seconds", "Age of the oldest pending outbox entry"))
            .set(to: seconds)
    }

    /// One journal write (a committed, fsynced transaction) took `latency`.
    public func journalWrite(_ latency: Duration) {
        registry.makeDurationHistogram(descriptor: journalWriteDescriptor, labels: [], buckets: Self.journalBuckets).record(latency)
    }

    public func offlineLimit(lane: String) {
        registry.makeCounter(descriptor: d("offline_limit", "total", "Offline admissions refused by an offline_* bound"),
                             labels: [("lane", lane)]).increment()
    }

    /// Operator money events (`token_unknown`, `settle_unclear`, `cancel_failed`) by kind.
    public func moneyProblem(lane: String, kind: String) {
        registry.makeCounter(descriptor: d("money_problems", "total", "Operator money events by lane and kind"),
                             labels: [("lane", lane), ("kind", kind)]).increment()
    }

    /// A journal write that failed (disk full, I/O error); the part is out of order meanwhile.
    public func journalWriteFailed(part: String) {
        registry.makeCounter(descriptor: d("journal_write_failures", "total", "Journal writes that failed, by lane or outbox"),
                             labels: [("part", part)]).increment()
    }

    /// A lane or service that ended unexpectedly and was restarted by its supervisor.
    public func restarted(_ part: String) {
        registry.makeCounter(descriptor: d("restarts", "total", "Lanes and services restarted after an unexpected end"),
                             labels: [("part", part)]).increment()
    }

    /// A daemon reconciliation found e-guma's list and the journal disagreeing (issue 14).
    public func reconcileMismatch(outlet: String) {
        registry.makeCounter(descriptor: d("reconcile_mismatches", "total", "Reconciliations that found a discrepancy with e-guma's list"),
                             labels: [("outlet", outlet.replacingOccurrences(of: "outlet:", with: ""))]).increment()
    }

    /// The code-guessing guard paused a lane (counted) or the pause ended; the gauge is 1 while paused.
    public func laneLocked(lane: String, _ locked: Bool) {
        if locked {
            registry.makeCounter(descriptor: d("lane_locked", "total", "Pauses of a lane by the code-guessing guard"),
                                 labels: [("lane", lane)]).increment()
        }
        registry.makeGauge(descriptor: d("lane_paused", "", "1 while the code-guessing guard pauses the lane"),
                           labels: [("lane", lane)]).set(to: locked ? 1 : 0)
    }

    /// A receipt that could not be printed (`printer_failed`), by lane and reason (paper_out, offline).
    public func printerFailed(lane: String, reason: String) {
        registry.makeCounter(descriptor: d("printer_failures", "total", "Receipts not printed: paper out or printer offline"),
                             labels: [("lane", lane), ("reason", reason)]).increment()
    }

    public func emergency(_ active: Bool) {
        registry.makeGauge(descriptor: d("emergency_active", "", "1 while the emergency contact is open"))
            .set(to: active ? 1 : 0)
    }

    private static let journalBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .seconds(1)]
    private var admissionsDescriptor: MetricNameDescriptor { d("admissions", "total", "Admissions by lane and outcome") }
    private var entriesDescriptor: MetricNameDescriptor { d("entries", "total", "Guests who walked through") }
    private var offlineRedeemFailedDescriptor: MetricNameDescriptor {
        d("offline_redeem_failed", "total", "Offline admissions e-guma refused to redeem later (revenue loss)")
    }
    private var tokenUnknownDescriptor: MetricNameDescriptor {
        d("token_unknown", "total", "Redeems that took effect without a token: refund by hand if needed")
    }
    private var cancelFailedDescriptor: MetricNameDescriptor {
        d("cancel_failed", "total", "Cancels e-guma refused for good: the guest's money must be given back by hand")
    }
    private var undecodableDescriptor: MetricNameDescriptor {
        d("outbox_undecodable", "total", "Outbox rows set aside because their payload cannot be decoded")
    }
    private var journalWriteDescriptor: MetricNameDescriptor {
        d("journal_write", "seconds", "Latency of one durable journal write (fsynced commit)")
    }

    private func d(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "eguma_gate", metricName: name, unitName: unit, helpText: help)
    }

    /// The Prometheus text exposition.
    public func render() -> String { registry.emitToString() }
}
