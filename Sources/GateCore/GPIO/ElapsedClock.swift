/// A type-erased clock measured from its creation, so hardware adapters can take any `Clock`
/// (a `ContinuousClock` in production, a test clock in tests) without being generic over it.
public struct ElapsedClock: Sendable {
    private let nowFunction: @Sendable () -> Duration
    private let sleepFunction: @Sendable (Duration) async throws -> Void

    public init<C: Clock>(_ clock: C) where C.Duration == Duration {
        let start = clock.now
        nowFunction = { start.duration(to: clock.now) }
        sleepFunction = { duration in try await clock.sleep(for: duration) }
    }

    /// The real monotonic clock.
    public static var continuous: ElapsedClock { ElapsedClock(ContinuousClock()) }

    /// Time since this clock was created.
    public var now: Duration { nowFunction() }

    /// Sleeps for `duration`; throws `CancellationError` when the task is cancelled.
    public func sleep(for duration: Duration) async throws {
        try await sleepFunction(duration)
    }
}
