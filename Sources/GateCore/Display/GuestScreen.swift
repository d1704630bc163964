/// What one lane's display shows, state after state.
///
/// The engine shows `accepted(newBalance:)` only for an instant before `walkThrough`; the screen
/// keeps that balance on the walk-through screen so the guest can actually read it. A payment
/// cancelled after an accepted screen without a balance (a service voucher, an offline
/// admission) does not claim "balance restored".
public struct GuestScreen: Sendable {
    public let texts: GuestTexts
    public private(set) var state: GuestState = .idle
    private var lastBalance: Money?
    private var balanceRestored = true

    public init(texts: GuestTexts) { self.texts = texts }

    /// Moves to `state` and returns the screen to show.
    public mutating func show(_ state: GuestState) -> GuestText {
        switch state {
        case .accepted(let balance): lastBalance = balance
        case .walkThrough: break
        case .cancelled:
            balanceRestored = lastBalance != nil
            lastBalance = nil
        default: lastBalance = nil
        }
        self.state = state
        return current
    }

    /// The screen for the current state.
    public var current: GuestText {
        if state == .cancelled { return texts.cancelled(balanceRestored: balanceRestored) }
        var text = texts.text(for: state)
        if state == .walkThrough, let lastBalance {
            text.lines.append(texts.text(for: .accepted(newBalance: lastBalance)).lines.last ?? "")
        }
        return text
    }
}
