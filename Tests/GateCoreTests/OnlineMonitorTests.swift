import GateCore
import Testing
import TestSupport

/// The gate-wide online view reports each change between online and offline once, with why.
@Suite struct OnlineMonitorTests {
    @Test func goingOfflineAndBackIsReportedOnceEachWithTheReason() async {
        let transitions = Recorder<String>()
        let monitor = OnlineMonitor(clock: TestClock()) { offline, reason in
            transitions.append("\(offline ? "offline" : "online"): \(reason)")
        }
        let unreachable = VoucherServiceError(.unreachable, detail: "connect timed out")
        await monitor.record(unreachable, latency: .seconds(1))
        #expect(transitions.values.isEmpty, "one failure is not an outage")
        await monitor.record(unreachable, latency: .seconds(1))
        await monitor.record(unreachable, latency: .seconds(1))  // still offline: not reported again
        await monitor.record(nil, latency: .milliseconds(80))
        await monitor.record(nil, latency: .milliseconds(80))
        #expect(transitions.values == ["offline: connect timed out", "online: e-guma answered again"])
    }

    @Test func aRefusalIsAnAnswerNotAnOutage() async {
        let transitions = Recorder<String>()
        let monitor = OnlineMonitor(clock: TestClock()) { offline, _ in transitions.append(offline ? "offline" : "online") }
        for _ in 0..<5 {
            await monitor.record(VoucherServiceError(.rejected(message: "unknown voucher"), detail: "400"), latency: .milliseconds(50))
        }
        #expect(transitions.values.isEmpty)
        #expect(await !monitor.isOffline)
    }
}
