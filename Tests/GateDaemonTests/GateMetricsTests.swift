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
}
