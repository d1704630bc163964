import EgumaAPI
import GateDaemon
import Testing

struct GateMetricsTests {
    @Test func admissionsAreCountedByLaneAndOutcome() {
        let metrics = GateMetrics()
        metrics.admission(lane: "main", outcome: "entered")
        metrics.admission(lane: "main", outcome: "entered")
        metrics.admission(lane: "side", outcome: "cancelled")
        let text = metrics.render()
        #expect(text.contains(#"eguma_gate_admissions_total{lane="main",outcome="entered"} 2"#))
        #expect(text.contains(#"eguma_gate_admissions_total{lane="side",outcome="cancelled"} 1"#))
    }

    @Test func apiLatencyLandsInHistogramBuckets() {
        let metrics = GateMetrics()
        metrics.apiCall(.balance, latency: .milliseconds(80), error: nil)
        metrics.apiCall(.redeem, latency: .seconds(3),
                        error: EgumaError(kind: .uncertain(reason: "timeout"), endpoint: .redeem, maskedCode: "x"))
        let text = metrics.render()
        #expect(text.contains(#"eguma_gate_api_latency_seconds_bucket{endpoint="balance",le="0.1"} 1"#))
        #expect(text.contains(#"eguma_gate_api_latency_seconds_bucket{endpoint="redeem",le="2.5"} 0"#))
        #expect(text.contains(#"eguma_gate_api_calls_total{endpoint="redeem",result="unreachable"} 1"#))
    }

    @Test func gaugesReflectTheLatestValue() {
        let metrics = GateMetrics()
        metrics.scannerPresent(lane: "main", true)
        metrics.scannerPresent(lane: "main", false)
        metrics.outboxDepth(3)
        metrics.online(true)
        let text = metrics.render()
        #expect(text.contains(#"eguma_gate_scanner_present{lane="main"} 0.0"#) || text.contains(#"eguma_gate_scanner_present{lane="main"} 0"#))
        #expect(text.contains("eguma_gate_outbox_depth 3"))
        #expect(text.contains("eguma_gate_online 1"))
    }

    /// An alert on a counter needs its series before the first failure (issue 11).
    @Test func everyCounterExistsAtZeroFromTheStart() {
        let metrics = GateMetrics()
        metrics.prepare(lanes: ["main", "side"])
        let text = metrics.render()
        for lane in ["main", "side"] {
            for name in ["offline_redeem_failed_total", "token_unknown_total", "cancel_failed_total", "entries_total"] {
                #expect(text.contains("eguma_gate_\(name){lane=\"\(lane)\"} 0"), "\(name) for \(lane) in:\n\(text)")
            }
            #expect(text.contains("eguma_gate_admissions_total{lane=\"\(lane)\",outcome=\"denied\"} 0"))
        }
        #expect(text.contains("eguma_gate_outbox_undecodable_total 0"))
        #expect(text.contains("eguma_gate_outbox_dead 0"))
        #expect(text.contains("eguma_gate_outbox_oldest_pending_age_seconds 0"))
        #expect(text.contains("eguma_gate_journal_write_seconds_count 0"))
        #expect(!text.contains("eguma_gate_up"), "liveness is Prometheus's own up series")
        #expect(!text.contains("entries_today"), "entries are a counter; Prometheus computes today")
    }

    @Test func outboxAgeAndJournalLatencyAreReported() {
        let metrics = GateMetrics()
        metrics.outbox(dead: 2, oldestPendingAge: .seconds(90))
        metrics.journalWrite(.milliseconds(3))
        metrics.entered(lane: "main")
        let text = metrics.render()
        #expect(text.contains("eguma_gate_outbox_dead 2"))
        #expect(text.contains("eguma_gate_outbox_oldest_pending_age_seconds 90"))
        #expect(text.contains(#"eguma_gate_journal_write_seconds_bucket{le="0.005"} 1"#))
        #expect(text.contains(#"eguma_gate_entries_total{lane="main"} 1"#))
    }
}
