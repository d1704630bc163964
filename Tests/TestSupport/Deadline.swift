import Foundation

/// Thrown by `withDeadline` when the awaited work did not finish in time.
public struct DeadlineExceeded: Error, CustomStringConvertible {
    public let what: String
    public let after: Duration
    public var description: String { "\(what) did not happen within \(after)" }
}

/// How much longer than its written deadline a test waits for an event that should happen.
///
/// A deadline only bounds a test that is failing: a passing test never waits it out, so waiting
/// longer costs nothing when all is well, and it keeps a slow or loaded machine (a CI box whose
/// fsync takes 30 ms, two cores shared by 500 concurrent tests) from turning "later" into
/// "never". Every waiting helper here (`withDeadline`, `TestClock.waitForSleepers`, the child,
/// recorder and daemon waits built on them) scales its deadline by this factor.
/// `EGUMA_TEST_PATIENCE` overrides the default of 4 (1 = the deadlines as written).
public enum TestPatience {
    public static let factor: Double = {
        if let text = getenv("EGUMA_TEST_PATIENCE").map({ String(cString: $0) }), let value = Double(text), value >= 1 {
            return value
        }
        return 4
    }()

    /// `written`, stretched by `factor`.
    public static func scaled(_ written: Duration) -> Duration { written * factor }

    /// The connect timeout of every test client that talks to a live server on this machine —
    /// the e-guma simulator, a test's PostgreSQL, a daemon's `[api]` and `[fleet]` — in a test
    /// that is not about timeouts (20 s by default). A test about a timeout sets its own.
    ///
    /// Like a deadline, it only bounds a test that is failing: a loopback connect that works
    /// completes at once, and a server that is down refuses at once. But both clients count more
    /// than the connect against it: AsyncHTTPClient a request's wait for one of the pool's 8
    /// connections (20 concurrent redeems under a loaded run once outlasted a 2 s budget, and one
    /// of them never left the machine), postgres-nio the startup and the SCRAM authentication
    /// (in the first seconds of a run, when every suite starts at once on two cores, one fleet
    /// connection outlasted a 5 s budget).
    public static let liveConnectTimeout: Duration = scaled(.seconds(5))
}

/// Awaits `body`, but fails with `DeadlineExceeded` after `timeout` × `TestPatience.factor` (real
/// time), cancelling it. Tests await events this way instead of sleeping.
public func withDeadline<T: Sendable>(
    _ timeout: Duration = .seconds(10), _ what: String = "the awaited event",
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let patience = TestPatience.scaled(timeout)
    return try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: patience)
            throw DeadlineExceeded(what: what, after: patience)
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw DeadlineExceeded(what: what, after: timeout) }
        return first
    }
}
