import Foundation
@testable import GateDaemon
import Synchronization
import Testing
import TestSupport

/// Per-lane (and per-service) supervision with an injected failure: a body that throws or ends
/// is restarted after a doubling back-off, each time reported, and the supervisor itself only
/// returns when it is asked to stop.
@Suite struct SupervisorTests {
    struct Injected: Error, CustomStringConvertible { var description: String { "injected failure" } }

    final class Runs: Sendable {
        let count = Mutex(0)
        let reports = Recorder<String>()
        func next() -> Int { count.withLock { $0 += 1; return $0 } }
    }

    @Test func aFailingBodyIsRestartedWithDoublingBackOffAndReportedEachTime() async throws {
        let clock = TestClock()
        let runs = Runs()
        let supervisor = Supervisor(name: "lane main", clock: clock) { what, delay in
            runs.reports.append("\(what) / \(delay)")
        }
        let supervised = Task {
            await supervisor.run {
                let run = runs.next()
                if run <= 2 { throw Injected() }  // the first two runs fail
                if run == 3 { return }             // the third ends as if its source had ended
                try await clock.sleep(for: .seconds(3600))  // the fourth runs until stopped
            }
        }
        defer { supervised.cancel() }

        #expect(await clock.waitForSleepers(1), "back-off after the first failure")
        clock.advance(by: .seconds(1))
        #expect(await clock.waitForSleepers(1), "back-off after the second failure")
        clock.advance(by: .seconds(2))
        #expect(await clock.waitForSleepers(1), "back-off after the unexpected end")
        clock.advance(by: .seconds(4))
        #expect(await clock.waitForSleepers(1), "the fourth run, running")
        #expect(runs.count.withLock { $0 } == 4)
        #expect(runs.reports.values == [
            "lane main failed: injected failure / 1.0 seconds",
            "lane main failed: injected failure / 2.0 seconds",
            "lane main ended unexpectedly / 4.0 seconds",
        ])

        // Asked to stop: returns, without another restart.
        supervised.cancel()
        try await withDeadline(.seconds(5), "the supervisor to return on cancellation") { await supervised.value }
        #expect(runs.count.withLock { $0 } == 4)
    }

    @Test func theBackOffIsCappedAndStartsOverAfterAStableRun() {
        let supervisor = Supervisor(name: "x", clock: TestClock()) { _, _ in }
        #expect((0..<8).map { supervisor.delay(afterFailures: $0) } == [1, 2, 4, 8, 16, 30, 30, 30].map { Duration.seconds($0) })
    }
}
