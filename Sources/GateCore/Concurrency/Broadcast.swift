import Synchronization

/// Fans one stream of values out to any number of subscribers: the one fan-out of the gate
/// (events, guest screens, kiosk updates, reloads, the emergency contact, a relay's changes).
///
/// Two modes. A plain broadcast (`init()`) hands each subscriber the values sent after it
/// subscribed. A broadcast with a current value (`init(current:)`) also remembers the last value
/// and gives it to each new subscriber first, so a follower never misses the state it starts in
/// (the emergency contact that is already open). An owner whose state is more than one value
/// (the scanners udev sees) hands a new subscriber its snapshot with `subscribe(startingWith:)`,
/// taken under its own lock, the one it also sends under.
///
/// Values are handed out under one lock, so every subscriber sees them in the order they were sent,
/// and a new subscriber sees the current value exactly once, then every later one. Subscribers that
/// fall behind lose the oldest values (`bufferingNewest`), so a slow reader can never hold a lane up.
public final class Broadcast<Value: Sendable>: Sendable {
    private struct State {
        var subscribers: [Int: AsyncStream<Value>.Continuation] = [:]
        var nextID = 0
        /// Replayed to each new subscriber; nil on a plain broadcast.
        var current: Value?
        var finished = false
    }

    private let state: Mutex<State>

    /// A plain broadcast: subscribers get the values sent after they subscribed.
    public init() {
        state = Mutex(State())
    }

    /// A broadcast with a current value, given to each new subscriber before the values that follow.
    public init(current: Value) {
        state = Mutex(State(current: current))
    }

    /// The value a new subscriber starts with (nil on a plain broadcast).
    public var current: Value? { state.withLock { $0.current } }

    /// The current value (where there is one), then `first`, then the values sent from now on,
    /// until `finish()` or until the consumer stops iterating. After `finish()`: an ended stream.
    public func subscribe(buffer: Int = 256, startingWith first: [Value] = []) -> AsyncStream<Value> {
        let (stream, continuation) = AsyncStream<Value>.makeStream(bufferingPolicy: .bufferingNewest(buffer))
        let id: Int? = state.withLock { s in
            guard !s.finished else { return nil }
            if let current = s.current { continuation.yield(current) }
            for value in first { continuation.yield(value) }
            s.nextID += 1
            s.subscribers[s.nextID] = continuation
            return s.nextID
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Hands `value` to every subscriber; on a broadcast with a current value it becomes the current
    /// one. Ignored after `finish()`.
    public func send(_ value: Value) {
        state.withLock { s in
            guard !s.finished else { return }
            if s.current != nil { s.current = value }
            for continuation in s.subscribers.values { continuation.yield(value) }
        }
    }

    /// Changes the current value in place and hands the result to every subscriber when `change`
    /// says it changed (returns true): one step, so two writers can never hand out stale values or
    /// hand them out of order. Returns the current value after the change; nil (and does nothing)
    /// on a plain broadcast. Changes nothing after `finish()`.
    @discardableResult
    public func update(_ change: (inout Value) -> Bool) -> Value? {
        state.withLock { s in
            guard var value = s.current else { return nil }
            guard !s.finished else { return value }
            guard change(&value) else { return value }
            s.current = value
            for continuation in s.subscribers.values { continuation.yield(value) }
            return value
        }
    }

    /// Ends every subscriber's stream; later subscribers get an ended stream.
    public func finish() {
        let all = state.withLock { s -> [AsyncStream<Value>.Continuation] in
            s.finished = true
            let values = Array(s.subscribers.values)
            s.subscribers.removeAll()
            return values
        }
        for continuation in all { continuation.finish() }
    }
}
