/// What e-guma's Balance call says about a voucher, in GateCore's types.
///
/// `code` is the canonical 12-character code even when a voucher2mobile ShortCode was scanned;
/// every later call and everything stored uses it (EGUMA-API.md, checklist item 11).
public struct VoucherBalance: Sendable, Equatable {
    public var code: VoucherCode
    public var isRedeemable: Bool
    public var balance: Money
    public var total: Money
    public var productID: String?
    /// Why the voucher is not redeemable (shown verbatim to the guest), or a back-office note.
    public var message: String?

    public init(code: VoucherCode, isRedeemable: Bool, balance: Money, total: Money,
                productID: String?, message: String?) {
        self.code = code; self.isRedeemable = isRedeemable; self.balance = balance
        self.total = total; self.productID = productID; self.message = message
    }

    /// A "Maison"/PR service voucher: redeemable while balance and total are both zero.
    public var isServiceVoucher: Bool { isRedeemable && balance == .zero && total == .zero }
}
