/// One lane's limits against code guessing (`guard_max_failures`, `guard_window_s`,
/// `guard_pause_s`, `short_code_max_per_minute`, `accept_short_codes`); see `GuessGuard`.
public struct GuessPolicy: Sendable, Equatable {
    public var maxFailures: Int
    public var window: Duration
    public var firstPause: Duration
    public var maxPause: Duration
    public var shortCodesPerMinute: Int
    public var acceptShortCodes: Bool

    public init(maxFailures: Int = 5, window: Duration = .seconds(60), firstPause: Duration = .seconds(30),
                maxPause: Duration = .seconds(900), shortCodesPerMinute: Int = 3, acceptShortCodes: Bool = true) {
        self.maxFailures = maxFailures; self.window = window; self.firstPause = firstPause
        self.maxPause = maxPause; self.shortCodesPerMinute = shortCodesPerMinute
        self.acceptShortCodes = acceptShortCodes
    }
}
