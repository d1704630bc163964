extension AsyncStream where Element: Sendable {
    /// The first `count` values of this stream, awaited with a deadline (`withDeadline`); fewer
    /// when the stream ends first. Read a stream this way once: its iterator ends it when dropped.
    public func firstValues(_ count: Int, _ what: String, timeout: Duration = .seconds(5)) async throws -> [Element] {
        try await withDeadline(timeout, what) { [self] in
            var values: [Element] = []
            for await value in self {
                values.append(value)
                if values.count == count { break }
            }
            return values
        }
    }
}
