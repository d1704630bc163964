import Synchronization

/// A one-slot wake-up call between tasks: `signal()` never blocks; `wait()` returns at the next
/// signal (or at once if one came since the last wait), or when its task is cancelled.
public final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextID: UInt64 = 0
    }
    private let state = Mutex(State())

    public init() {}

    public func signal() {
        let waiters: [CheckedContinuation<Void, Never>] = state.withLock { s in
            if s.waiters.isEmpty { s.pending = true; return [] }
            let all = Array(s.waiters.values)
            s.waiters.removeAll()
            return all
        }
        for w in waiters { w.resume() }
    }

    /// Forgets a signal that came since the last wait (waiters keep waiting).
    public func reset() {
        state.withLock { $0.pending = false }
    }

    /// Takes a signal that came since the last wait, if there is one, without waiting.
    public func take() -> Bool {
        state.withLock { s in
            defer { s.pending = false }
            return s.pending
        }
    }

    public func wait() async {
        let id: UInt64 = state.withLock { s in s.nextID += 1; return s.nextID }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow: Bool = state.withLock { s in
                    if s.pending || Task.isCancelled { s.pending = false; return true }
                    s.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { s in s.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}
