import Foundation

/// Runs blocking work — a `Process` read to its end, `waitUntilExit` — on a thread of its own,
/// never on Swift's cooperative pool.
///
/// Why: on a 2-core machine the pool has two threads. Two tests that blocked them waiting for a
/// child process stalled every other test for ~20 s, including the in-process simulator that
/// the child was waiting for (its handlers run on the same pool): a deadlock broken only by the
/// child's HTTP timeout.
public func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try work() }) }
        thread.name = "test: blocking work off the pool"
        thread.start()
    }
}
