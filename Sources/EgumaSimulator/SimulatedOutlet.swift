/// An outlet of the simulated e-guma account with its own API key.
///
/// e-guma gives each outlet its own key; every outlet of an account sees the same vouchers.
/// The key is a simulator key, not a secret: `simulate` prints it so a tester can copy it.
public struct SimulatedOutlet: Sendable, Equatable, Codable {
    public var name: String
    public var key: String

    public init(name: String, key: String) { self.name = name; self.key = key }

    /// The outlet `simulate` and `demo` use when none is given.
    public static let demo = SimulatedOutlet(name: "demo", key: "sim-demo-key-0123456789abcdef")
}
