/// A port: e-guma's List of Voucher Redemptions as evidence for an uncertain redeem (issue 14).
///
/// Balance can only say the voucher's balance moved; the list names who redeemed what and when.
/// When it shows the redemption (this outlet's user, this code, this amount, not before the
/// intent) the redeem took effect. When it does not, nothing is proven (the list may lag), so the
/// worker falls back to Balance.
public protocol RedemptionEvidence: Sendable {
    /// True when e-guma's list shows `redemption`; false when it does not or cannot be read now.
    func listShows(_ redemption: StoredRedemption) async -> Bool
}
