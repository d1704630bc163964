/// A one-slot wake-up call between tasks: `signal()` never blocks; `wait()` returns at the next
/// signal (or at once if one came since the last wait), or when its task is cancelled.
///
/// Built on `ObservedValue` (the one waiter primitive): signals are counted, and a waiter takes
/// every signal given so far in the same lock that woke it, so a signal that comes after a waiter
/// woke is kept for the next `wait` — never lost between the wake-up and its taking.
public final class WakeSignal: Sendable {
    private struct Count: Sendable {
        var given: UInt64 = 0
        var taken: UInt64 = 0
        var pending: Bool { given > taken }
    }
    private let count = ObservedValue(Count())

    public init() {}

    public func signal() {
        count.update { $0.given += 1 }
    }

    /// Forgets a signal that came since the last wait (waiters keep waiting).
    public func reset() {
        count.update { $0.taken = $0.given }
    }

    /// Takes a signal that came since the last wait, if there is one, without waiting.
    public func take() -> Bool {
        var took = false
        count.update { c in
            took = c.pending
            c.taken = c.given
        }
        return took
    }

    public func wait() async {
        _ = await count.wait(until: { $0.pending }) { $0.taken = $0.given }
    }

    /// As `wait()`, returning at `deadline` on `clock` at the latest — for a wake-up that may not
    /// come (the outbox's kick or its next retry, a lane's "request sent" or its bound for the
    /// "checking" screen). A signal that did not end the wait is kept for the next one.
    public func wait<C: Clock>(until deadline: C.Instant, on clock: C) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.wait() }
            group.addTask {
                // Cancelled when the signal comes first, or with the waiting task: either way it ends.
                do { try await clock.sleep(until: deadline, tolerance: nil) } catch {}
            }
            _ = await group.next()
            group.cancelAll()
        }
    }
}
