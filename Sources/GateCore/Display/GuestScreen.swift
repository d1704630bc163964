/// What one lane's display shows, state after state.
///
/// The engine shows `accepted(newBalance:vouchers:)` only for an instant before `walkThrough`; the
/// screen keeps that balance (and every voucher's line) on the walk-through screen so the guest can actually read it. A payment
/// cancelled after an accepted screen without a balance (a service voucher, an offline
/// admission) does not claim "balance restored".
public struct GuestScreen: Sendable {
    public let texts: GuestTexts
    public private(set) var state: GuestState = .idle
    private var lastBalance: Money?
    private var lastVouchers: [VoucherPaid] = []
    private var balanceRestored = true

    public init(texts: GuestTexts) { self.texts = texts }

    /// Moves to `state` and returns the screen to show.
    public mutating func show(_ state: GuestState) -> GuestText {
        switch state {
        case .accepted(let balance, let vouchers): lastBalance = balance; lastVouchers = vouchers
        case .walkThrough: break
        case .cancelled:
            balanceRestored = lastBalance != nil
            lastBalance = nil; lastVouchers = []
        default: lastBalance = nil; lastVouchers = []
        }
        self.state = state
        return current
    }

    /// The screen for the current state.
    public var current: GuestText {
        if state == .cancelled { return texts.cancelled(balanceRestored: balanceRestored) }
        var text = texts.text(for: state)
        if state == .walkThrough, lastBalance != nil || !lastVouchers.isEmpty {
            text.lines += texts.text(for: .accepted(newBalance: lastBalance, vouchers: lastVouchers)).lines
        }
        return text
    }

    /// The vouchers of the admission on screen (accepted, walk through); empty otherwise.
    public var vouchers: [VoucherPaid] {
        switch state {
        case .accepted, .walkThrough: lastVouchers
        default: []
        }
    }
}
