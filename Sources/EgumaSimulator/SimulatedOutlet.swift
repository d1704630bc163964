import EgumaAPI

/// An outlet of the simulated e-guma account with its own API key.
///
/// e-guma gives each outlet its own key; every outlet of an account sees the same vouchers.
/// Each key belongs to an e-guma user: the redemption list names that user on every row the key
/// redeemed, and `user_id=` filters by it. Several outlets may share one user. A user id given
/// as text (`"user_id": "u-501"` in an outlets file, `userID: "u-501"`) goes on the wire as a
/// JSON string, as some e-guma accounts send it; a number as a JSON number.
/// The key is a simulator key, not a secret: `simulate` prints it so a tester can copy it.
public struct SimulatedOutlet: Sendable, Equatable, Codable {
    public var name: String
    public var key: String
    /// The e-guma user the key belongs to; by default a number derived from the name, so two
    /// outlets with different names are different users.
    public var userID: EgumaID
    public var userName: String

    public init(name: String, key: String, userID: EgumaID? = nil, userName: String? = nil) {
        self.name = name; self.key = key
        self.userID = userID ?? Self.derivedUserID(name)
        self.userName = userName ?? "Kasse \(name)"
    }

    /// The outlet `simulate` and `demo` use when none is given.
    public static let demo = SimulatedOutlet(name: "demo", key: "sim-demo-key-0123456789abcdef", userID: 4711)

    /// FNV-1a of the name folded into 100000…999999: stable across runs and machines.
    static func derivedUserID(_ name: String) -> EgumaID {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return EgumaID(100_000 + Int64(hash % 900_000))
    }

    enum CodingKeys: String, CodingKey {
        case name, key
        case userID = "user_id"
        case userName = "user_name"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decode(String.self, forKey: .name), key: try c.decode(String.self, forKey: .key),
                  userID: try c.decodeIfPresent(EgumaID.self, forKey: .userID),
                  userName: try c.decodeIfPresent(String.self, forKey: .userName))
    }
}
