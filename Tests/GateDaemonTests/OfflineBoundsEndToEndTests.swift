import AsyncHTTPClient
import EgumaSimulator
import Foundation
import NIOCore
import Testing
import TestSupport

/// Issue 12 item 4 against the real `eguma-gate run` binary: with e-guma unreachable and
/// `offline = "admit"`, `offline_max_admissions` lets one guest in and refuses the next with an
/// `offline_limit` event and metric; a 500 from Balance never admits offline.
@Suite("Offline bounds end to end", .serialized, .deviceAccess, .enabled(if: UmockdevEnvironment.shouldRun))
struct OfflineBoundsEndToEndTests {
    typealias Rig = RunEndToEndTests.Rig

    private func metrics(port: Int) async throws -> String {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"), timeout: .seconds(10))
        return String(buffer: try await response.body.collect(upTo: 1 << 20))
    }

    @Test func theSecondOfflineAdmissionOfAnOutageIsRefusedWithAnEventAndAMetric() async throws {
        try await Rig.with({ $0.laneExtra = "offline = \"admit\"\noffline_max_admissions = 1" }) { rig in
            try await rig.plugScanner()
            // e-guma unreachable: every connection closed before anything is processed.
            await rig.simulator.setFault(.dropBeforeProcessing(), for: nil)
            try rig.scan(DemoVouchers.plenty.replacingOccurrences(of: "-", with: ""))
            try await rig.events.waitFor("offline_admitted")
            try rig.scan(DemoVouchers.shortCodeTarget.replacingOccurrences(of: "-", with: ""))
            let limit = try await rig.events.waitFor("offline_limit")
            #expect(limit.message?.contains("offline_max_admissions") == true)
            let denied = try await rig.events.waitFor("denied") { $0.message?.contains("offline_max_admissions") == true }
            #expect(denied.admission == limit.admission)
            let text = try await metrics(port: try #require(rig.config.metricsPort))
            #expect(text.contains("eguma_gate_offline_limit_total{lane=\"main\"} 1"))
            await rig.simulator.setFault(nil, for: nil)
        }
    }

    @Test func aBalanceAnsweredWith500IsDeniedAsAnEgumaErrorNotAdmittedOffline() async throws {
        try await Rig.with({ $0.laneExtra = "offline = \"admit\"" }) { rig in
            try await rig.plugScanner()
            await rig.simulator.setFault(.status(500, body: "Internal Server Error"), for: .balance)
            try rig.scan()
            let denied = try await rig.events.waitFor("denied")
            #expect(denied.message?.contains("e-guma error") == true)
            let log = try await rig.cli("events", "--json")
            #expect(!log.stdout.contains("offline_admitted"))
            await rig.simulator.setFault(nil, for: nil)
        }
    }
}
