import GateCore
import Synchronization

/// What one lane shows its guest, kept for `status` and broadcast to displays and the demo.
public final class LaneFeedback: GuestFeedback, Sendable {
    public let lane: String
    private let states: Broadcast<LaneState>
    private let current = Mutex<GuestState>(.idle)

    /// A lane's guest-facing state, as broadcast.
    public struct LaneState: Sendable, Equatable {
        public var lane: String
        public var state: GuestState
    }

    init(lane: String, states: Broadcast<LaneState>) {
        self.lane = lane; self.states = states
    }

    public var state: GuestState { current.withLock { $0 } }

    public func show(_ state: GuestState) async {
        current.withLock { $0 = state }
        states.send(LaneState(lane: lane, state: state))
    }
}

extension GuestState {
    /// A short word for `status` and logs.
    public var summary: String {
        switch self {
        case .idle: "idle"
        case .checking: "checking"
        case .accepted: "accepted"
        case .denied(.lanePaused): "paused (too many invalid codes)"
        case .denied: "denied"
        case .awaitingMore(let remaining): "awaiting \(remaining) more"
        case .walkThrough: "walk through"
        case .cancelled: "cancelled"
        case .offline: "offline"
        case .emergency: "emergency open"
        case .balance(let check): check.isRedeemable ? "balance \(check.balance)" : "balance: not redeemable"
        }
    }
}
