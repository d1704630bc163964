/// Shared offline claims (SPEC §10): while e-guma is unreachable, a code is admitted offline only
/// after the controller claimed it for the site, so one voucher is never admitted offline at two
/// doors. The fleet's PostgreSQL adapter implements it; without a fleet there is none and each
/// controller's own offline memory decides, as always.
///
/// A claim lives as long as the local offline memory of that admission does; only the withdrawal
/// of that admission (no passage) releases it.
public protocol OfflineClaims: Sendable {
    /// Claims `code` for this gate's `admission`. Records the intent locally before asking, so an
    /// answer that never came is settled later (kept or released) when the fleet answers again.
    func claim(_ code: VoucherCode, admission: Int64) async -> OfflineClaim
    /// The admission was withdrawn: its claim goes (now, or when the fleet answers again).
    func release(_ code: VoucherCode, admission: Int64) async
    /// `offline_without_fleet = "local"`: admit on an unknown claim within the lane's own limits.
    var admitsWhenUnknown: Bool { get }
}

/// What the fleet answered to a claim.
public enum OfflineClaim: Sendable, Equatable {
    /// This admission holds the code for the site.
    case claimed
    /// Another admission holds it: at gate `gate` (maybe this one, for an earlier admission).
    case held(gate: String)
    /// No answer in time, or the fleet is unreachable: whether the claim was stored is unknown.
    case unknown(reason: String)
}
