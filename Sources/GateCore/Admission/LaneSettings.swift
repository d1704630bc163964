/// One lane's admission settings (SPEC §5 `[lanes.NAME]`), already validated by the config loader.
public struct LaneSettings: Sendable, Equatable {
    /// What the lane does when e-guma cannot be reached.
    public enum OfflinePolicy: String, Sendable, Equatable { case deny, admit }

    public var name: String
    public var gateName: String
    public var outlet: String
    public var price: Money
    public var offline: OfflinePolicy
    public var splitPayment: Bool
    public var splitTimeout: Duration
    public var debounce: Duration
    /// Empty: every product.
    public var acceptProducts: Set<String>
    public var serviceProducts: Set<String>
    public var serviceRedeem: Money
    public var passageTimeout: Duration
    public var pulse: Duration
    public var hasSensor: Bool
    /// The code-guessing guard's limits.
    public var guessPolicy: GuessPolicy = GuessPolicy()

    // Offline bounds (issue 12 item 4), set from the lane's `offline_*` keys.
    /// Offline admissions per outage (an outage ends at e-guma's first answer).
    public var offlineMaxAdmissions = 20
    /// Offline admissions within any rolling hour.
    public var offlineMaxPerHour = 60
    /// Admit offline only codes this gate saw redeemable with at least the price recently.
    public var offlineKnownOnly = false
    /// How recent "recently" is for `offlineKnownOnly`.
    public var offlineKnownDays = 30

    public init(name: String, gateName: String, outlet: String, price: Money,
                offline: OfflinePolicy = .deny, splitPayment: Bool = true,
                splitTimeout: Duration = .milliseconds(30_000), debounce: Duration = .milliseconds(2_000),
                acceptProducts: Set<String> = [], serviceProducts: Set<String> = [],
                serviceRedeem: Money = .zero, passageTimeout: Duration = .milliseconds(10_000),
                pulse: Duration = .milliseconds(800), hasSensor: Bool = true) {
        self.name = name; self.gateName = gateName; self.outlet = outlet; self.price = price
        self.offline = offline; self.splitPayment = splitPayment; self.splitTimeout = splitTimeout
        self.debounce = debounce; self.acceptProducts = acceptProducts; self.serviceProducts = serviceProducts
        self.serviceRedeem = serviceRedeem; self.passageTimeout = passageTimeout; self.pulse = pulse
        self.hasSensor = hasSensor
    }

    /// `<gate name>/<lane>/<admission id>` (SPEC §3.4).
    public func reference(admission: Int64) -> String { "\(gateName)/\(name)/\(admission)" }
}
