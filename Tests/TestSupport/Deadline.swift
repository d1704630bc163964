/// Thrown by `withDeadline` when the awaited work did not finish in time.
public struct DeadlineExceeded: Error, CustomStringConvertible {
    public let what: String
    public let after: Duration
    public var description: String { "\(what) did not happen within \(after)" }
}

/// Awaits `body`, but fails with `DeadlineExceeded` after `timeout` (real time), cancelling it.
/// Tests await events this way instead of sleeping.
public func withDeadline<T: Sendable>(
    _ timeout: Duration = .seconds(10), _ what: String = "the awaited event",
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw DeadlineExceeded(what: what, after: timeout)
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw DeadlineExceeded(what: what, after: timeout) }
        return first
    }
}
