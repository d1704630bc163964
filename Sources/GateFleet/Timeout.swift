import Synchronization

/// Runs `body`, failing with `.unreachable` after `limit` — and returning then, whatever `body`
/// does. A task group would wait for its child after cancelling it; postgres-nio's pool waits for
/// a connection as long as PostgreSQL is away, and an operation on a connection that died may not
/// end at once. A lane's claim (300 ms) and the shipping loop must never wait for that, so the
/// work runs in a task of its own that is cancelled, not awaited, when time is up.
func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let outcome = FirstOutcome<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            outcome.install(continuation)
            // Both held here: the timer is cancelled when the work ends first, the work when the
            // timer (or the caller's cancellation) comes first — only then is it left to end alone.
            let timer = Task {
                guard (try? await Task.sleep(for: limit)) != nil else { return }
                outcome.settle(.failure(FleetError(.unreachable, operation: "PostgreSQL", reason: "no answer within \(limit)",
                                                   hint: "is PostgreSQL running and reachable from this controller?")))
            }
            let work = Task {
                do { outcome.settle(.success(try await body())) } catch { outcome.settle(.failure(error)) }
                timer.cancel()
            }
            outcome.onLoss { work.cancel() }
        }
    } onCancel: {
        outcome.settle(.failure(CancellationError()))
    }
}

/// The first of several outcomes resumes the waiter; the rest are dropped, and the work is
/// cancelled when something else came first.
private final class FirstOutcome<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var early: Result<T, any Error>?
        var settled = false
        var cancelWork: (@Sendable () -> Void)?
    }
    private let state = Mutex(State())

    func install(_ continuation: CheckedContinuation<T, any Error>) {
        let early = state.withLock { s -> Result<T, any Error>? in
            if s.early == nil { s.continuation = continuation }
            return s.early
        }
        if let early { continuation.resume(with: early) }
    }

    func onLoss(_ cancel: @escaping @Sendable () -> Void) {
        let settled = state.withLock { s -> Bool in
            s.cancelWork = cancel
            return s.settled
        }
        if settled { cancel() }
    }

    func settle(_ result: Result<T, any Error>) {
        let (waiter, cancel) = state.withLock { s -> (CheckedContinuation<T, any Error>?, (@Sendable () -> Void)?) in
            guard !s.settled else { return (nil, nil) }
            s.settled = true
            guard let c = s.continuation else { s.early = result; return (nil, s.cancelWork) }
            s.continuation = nil
            return (c, s.cancelWork)
        }
        waiter?.resume(with: result)
        if case .failure = result { cancel?() }
    }
}
