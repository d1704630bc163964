import ServiceLifecycle

/// Keeps one part of the daemon (a lane, a server) running: when its body returns or throws
/// while nobody asked it to stop, that is reported and the body is started again after a
/// back-off; it never ends the service group, and so never the other lanes.
///
/// "Asked to stop" is the graceful shutdown of the surrounding service (or cancellation). A body
/// that ends *before* its own shutdown was triggered waits for that shutdown during the back-off:
/// in an orderly stop it then returns normally when its turn comes. ServiceLifecycle treats any
/// service that finishes out of turn as `serviceFinishedUnexpectedly`, which turned a plain
/// SIGTERM into exit 1; every service of `GateRuntime` runs under a supervisor so this cannot
/// happen again, whatever the service does on a signal.
struct Supervisor<C: Clock>: Sendable where C.Duration == Duration {
    /// First delay, doubled per consecutive failure up to `maximumDelay`.
    var initialDelay: Duration = .seconds(1)
    var maximumDelay: Duration = .seconds(30)
    /// A body that ran this long before ending counts as having worked: the back-off starts over.
    var stableAfter: Duration = .seconds(60)
    let name: String
    let clock: C
    /// Called for every unexpected end, before the back-off: (what happened, delay until restart).
    let report: @Sendable (_ what: String, _ delay: Duration) async -> Void

    init(name: String, clock: C, report: @escaping @Sendable (_ what: String, _ delay: Duration) async -> Void) {
        self.name = name; self.clock = clock; self.report = report
    }

    /// The delay before restart number `failures` (0-based) in a row.
    func delay(afterFailures failures: Int) -> Duration {
        var delay = initialDelay
        for _ in 0..<min(failures, 30) where delay < maximumDelay { delay = delay * 2 }
        return min(delay, maximumDelay)
    }

    /// Runs `body` until it ends because the surrounding service is shutting down or cancelled.
    func run(_ body: @Sendable () async throws -> Void) async {
        var failures = 0
        while true {
            let started = clock.now
            let what: String
            do {
                try await body()
                what = "\(name) ended unexpectedly"
            } catch {
                what = "\(name) failed: \(error)"
            }
            if Self.isStopping { return }
            if started.duration(to: clock.now) >= stableAfter { failures = 0 }
            let delay = delay(afterFailures: failures)
            failures += 1
            await report(what, delay)
            try? await cancelWhenGracefulShutdown { [clock] in try await clock.sleep(for: delay) }
            if Self.isStopping { return }
        }
    }

    private static var isStopping: Bool { Task.isShuttingDownGracefully || Task.isCancelled }
}

/// A `Service` run under a `Supervisor`: restarted after an unexpected end, returning normally
/// once its own graceful shutdown comes.
struct SupervisedService: Service, CustomStringConvertible {
    let service: any Service
    let supervisor: Supervisor<ContinuousClock>
    var description: String { supervisor.name }

    func run() async throws {
        let service = self.service
        await supervisor.run { try await service.run() }
    }
}
