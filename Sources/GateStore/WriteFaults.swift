import Synchronization

/// Tests only: fails the store's writes by number, the way a full disk fails a commit — the
/// transaction never happens. `failing(at: k)` fails the k-th write from now on (1-based) and
/// only that one; `count` tells how many writes were asked for, so a test can cut a step at
/// each of its writes in turn until a run passes with no write left to cut.
public final class WriteFaults: Sendable {
    private struct State { var writes = 0; var failAt: Int?; var fired = false }
    private let state = Mutex(State())

    public init() {}

    /// The error a cut write throws.
    public struct Cut: Error, CustomStringConvertible {
        public let write: Int
        public var description: String { "write \(write) cut by the test (as a full disk would refuse it)" }
    }

    /// From now on, the `k`-th write fails; the count starts again at 0.
    public func failing(at k: Int?) {
        state.withLock { $0 = State(writes: 0, failAt: k, fired: false) }
    }

    /// Writes asked for since `failing(at:)`.
    public var count: Int { state.withLock { $0.writes } }
    /// Whether the chosen write was reached (and failed).
    public var fired: Bool { state.withLock { $0.fired } }

    func nextWrite() throws {
        let cut: Int? = state.withLock { s in
            s.writes += 1
            guard s.writes == s.failAt else { return nil }
            s.fired = true
            return s.writes
        }
        if let cut { throw Cut(write: cut) }
    }
}
