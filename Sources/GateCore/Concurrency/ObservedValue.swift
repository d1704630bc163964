import Synchronization

/// The one waiter primitive (issue 24): a value that tasks wait on until it satisfies a condition
/// — the kiosk's port once it listens, its number of connected pages, a lane's open screens being
/// on, a wake-up call (`WakeSignal` is built on it). `Broadcast` is its counterpart for values
/// that fan out to subscribers.
///
/// Waiting is cancellable: a cancelled waiter gets nil. `wait(until:then:)` changes the value in
/// the same lock that found the condition true, so a waiter can take what it waited for (a wake-up
/// call) without another waiter or update coming between; waiters are woken in the order they
/// started waiting, each seeing the value the ones before it left.
public final class ObservedValue<Value: Sendable>: Sendable {
    private struct Waiter {
        let id: Int
        let condition: @Sendable (Value) -> Bool
        let change: @Sendable (inout Value) -> Void
        let continuation: CheckedContinuation<Value?, Never>
    }
    private let state: Mutex<(value: Value, waiters: [Waiter], next: Int)>

    public init(_ value: Value) { state = Mutex((value, [], 0)) }

    public var value: Value { state.withLock { $0.value } }

    /// How many tasks wait now (tests await it before they change the value).
    public var waiting: Int { state.withLock { $0.waiters.count } }

    /// Changes the value and wakes every waiter whose condition now holds.
    public func update(_ change: (inout Value) -> Void) {
        let ready = state.withLock { s -> [(CheckedContinuation<Value?, Never>, Value)] in
            change(&s.value)
            var woken: [(CheckedContinuation<Value?, Never>, Value)] = []
            var still: [Waiter] = []
            for w in s.waiters {  // in the order they started waiting, each on what the last left
                if w.condition(s.value) {
                    w.change(&s.value)
                    woken.append((w.continuation, s.value))
                } else {
                    still.append(w)
                }
            }
            s.waiters = still
            return woken
        }
        for (continuation, value) in ready { continuation.resume(returning: value) }
    }

    /// The value as soon as `condition` holds; nil if the waiting task is cancelled first.
    public func wait(until condition: @escaping @Sendable (Value) -> Bool) async -> Value? {
        await wait(until: condition, then: { _ in })
    }

    /// As `wait(until:)`, and applies `change` in the same lock the moment the condition holds;
    /// returns the value after the change.
    public func wait(until condition: @escaping @Sendable (Value) -> Bool,
                     then change: @escaping @Sendable (inout Value) -> Void) async -> Value? {
        let id = state.withLock { s -> Int in s.next += 1; return s.next }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Value?, Never>) in
                let immediate = state.withLock { s -> Value?? in
                    if condition(s.value) {
                        change(&s.value)
                        return .some(s.value)
                    }
                    if Task.isCancelled { return .some(nil) }
                    s.waiters.append(Waiter(id: id, condition: condition, change: change, continuation: continuation))
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { s -> Waiter? in
                guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return s.waiters.remove(at: i)
            }
            waiter?.continuation.resume(returning: nil)
        }
    }
}
