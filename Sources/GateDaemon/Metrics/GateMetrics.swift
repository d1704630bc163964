import EgumaAPI
import Foundation
import Prometheus

/// Everything operations watch, in Prometheus text format (served on `gate.metrics`).
///
/// Uses its own registry rather than a process-wide bootstrap, so tests (and several daemons in
/// one test process) never share counters.
public final class GateMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        registry.makeGauge(descriptor: d("up", "", "1 while the daemon runs")).set(to: 1)
    }

    /// An admission ended: `outcome` is entered, cancelled, denied, offline_admitted, timeout …
    public func admission(lane: String, outcome: String) {
        registry.makeCounter(descriptor: d("admissions", "total", "Admissions by lane and outcome"),
                             labels: [("lane", lane), ("outcome", outcome)]).increment()
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

    public func entriesToday(lane: String, _ count: Int) {
        registry.makeGauge(descriptor: d("entries_today", "", "Guests who walked through today (local time)"),
                           labels: [("lane", lane)]).set(to: Double(count))
    }

    public func offlineRedeemFailed(lane: String) {
        registry.makeCounter(descriptor: d("offline_redeem_failed", "total", "Offline admissions e-guma refused to redeem later (revenue loss)"),
                             labels: [("lane", lane)]).increment()
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

    public func emergency(_ active: Bool) {
        registry.makeGauge(descriptor: d("emergency_active", "", "1 while the emergency contact is open"))
            .set(to: active ? 1 : 0)
    }

    private func d(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "eguma_gate", metricName: name, unitName: unit, helpText: help)
    }

    /// The Prometheus text exposition.
    public func render() -> String { registry.emitToString() }
}
