/// What a balance-check lane shows after a scan: e-guma's Balance answer, for the guest.
public struct BalanceCheck: Sendable, Equatable {
    public var isRedeemable: Bool
    public var balance: Money
    public var total: Money
    /// e-guma's own text, shown verbatim (never translated).
    public var message: String?

    public init(isRedeemable: Bool, balance: Money, total: Money, message: String?) {
        self.isRedeemable = isRedeemable; self.balance = balance; self.total = total; self.message = message
    }

    public init(_ answer: VoucherBalance) {
        self.init(isRedeemable: answer.isRedeemable, balance: answer.balance, total: answer.total, message: answer.message)
    }
}
