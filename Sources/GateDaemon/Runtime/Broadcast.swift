import Synchronization

/// Fans one stream of values out to any number of subscribers (status, demo console, kiosk page).
///
/// Subscribers that fall behind lose the oldest values (`bufferingNewest`), so a slow reader can
/// never hold a lane up.
public final class Broadcast<Value: Sendable>: Sendable {
    private let subscribers = Mutex<[Int: AsyncStream<Value>.Continuation]>([:])
    private let nextID = Atomic<Int>(0)

    public init() {}

    public func subscribe(buffer: Int = 256) -> AsyncStream<Value> {
        let (stream, continuation) = AsyncStream<Value>.makeStream(bufferingPolicy: .bufferingNewest(buffer))
        let id = nextID.add(1, ordering: .relaxed).newValue
        subscribers.withLock { $0[id] = continuation }
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        return stream
    }

    public func send(_ value: Value) {
        let all = subscribers.withLock { Array($0.values) }
        for continuation in all { continuation.yield(value) }
    }

    public func finish() {
        let all = subscribers.withLock { s -> [AsyncStream<Value>.Continuation] in
            let values = Array(s.values); s.removeAll(); return values
        }
        for continuation in all { continuation.finish() }
    }
}
