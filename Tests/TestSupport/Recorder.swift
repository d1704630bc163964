import Synchronization

/// Collects values from the code under test and lets a test await one, with a deadline.
public final class Recorder<T: Sendable>: Sendable {
    private struct State {
        public init() {}

    public var values: [T] = []
        var waiters: [(id: Int, predicate: @Sendable (T) -> Bool, continuation: CheckedContinuation<Void, Never>)] = []
        var nextID = 0
    }
    private let state = Mutex(State())

    public init() {}

    public var values: [T] { state.withLock { $0.values } }

    public func append(_ value: T) {
        let ready: [CheckedContinuation<Void, Never>] = state.withLock { s in
            s.values.append(value)
            let hit = s.waiters.filter { $0.predicate(value) }
            s.waiters.removeAll { $0.predicate(value) }
            return hit.map(\.continuation)
        }
        for c in ready { c.resume() }
    }

    /// Waits until a value matching `predicate` was recorded (also one recorded before the call).
    public func waitFor(_ what: String, timeout: Duration = .seconds(5), _ predicate: @escaping @Sendable (T) -> Bool) async throws {
        try await withDeadline(timeout, what) { [self] in
            let id: Int = state.withLock { s in s.nextID += 1; return s.nextID }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let done: Bool = state.withLock { s in
                        if s.values.contains(where: predicate) || Task.isCancelled { return true }
                        s.waiters.append((id, predicate, c))
                        return false
                    }
                    if done { c.resume() }
                }
            } onCancel: {
                let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
                    guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                    return s.waiters.remove(at: i).continuation
                }
                waiter?.resume()
            }
            try Task.checkCancellation()
        }
    }
}
