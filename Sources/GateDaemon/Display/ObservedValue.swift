import Synchronization

/// A value that tasks can wait on until it satisfies a condition (the kiosk's port once it
/// listens, its number of connected pages). Waiting is cancellable: a cancelled waiter gets nil.
public final class ObservedValue<Value: Sendable>: Sendable {
    private struct Waiter { let id: Int; let condition: @Sendable (Value) -> Bool; let continuation: CheckedContinuation<Value?, Never> }
    private let state: Mutex<(value: Value, waiters: [Waiter], next: Int)>

    public init(_ value: Value) { state = Mutex((value, [], 0)) }

    public var value: Value { state.withLock { $0.value } }

    public func update(_ change: (inout Value) -> Void) {
        let ready = state.withLock { s -> [(CheckedContinuation<Value?, Never>, Value)] in
            change(&s.value)
            let value = s.value
            let hits = s.waiters.filter { $0.condition(value) }
            s.waiters.removeAll { w in hits.contains { $0.id == w.id } }
            return hits.map { ($0.continuation, value) }
        }
        for (continuation, value) in ready { continuation.resume(returning: value) }
    }

    /// The value as soon as `condition` holds; nil if the waiting task is cancelled first.
    public func wait(until condition: @escaping @Sendable (Value) -> Bool) async -> Value? {
        let id = state.withLock { s -> Int in s.next += 1; return s.next }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Value?, Never>) in
                let immediate = state.withLock { s -> Value?? in
                    if condition(s.value) { return .some(s.value) }
                    if Task.isCancelled { return .some(nil) }
                    s.waiters.append(Waiter(id: id, condition: condition, continuation: continuation))
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
