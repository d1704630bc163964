/// A port: the e-guma voucher calls the admission engine needs, in GateCore's own types.
///
/// One instance per outlet (each outlet has its own API key). The adapter maps the wire client's
/// errors onto `VoucherServiceError` so that the engine can tell a certain failure from an
/// uncertain one (SPEC §3 "Uncertain outcomes").
public protocol VoucherService: Sendable {
    /// Balance of `code` as entered (a ShortCode is resolved: the answer carries the real code).
    func balance(of code: VoucherCode) async throws(VoucherServiceError) -> VoucherBalance
    /// Redeems `amount` from `code` (always the code Balance returned).
    func redeem(_ code: VoucherCode, amount: Money, reference: String) async throws(VoucherServiceError) -> VoucherRedemption
    /// Cancels (part of) a redemption; returns the voucher's balance afterwards.
    func cancel(_ code: VoucherCode, token: String, amount: Money) async throws(VoucherServiceError) -> Money
    /// Balance, telling `sent` once the request is on its way (it must not block) — so the lane
    /// can show "checking" beside the call instead of ahead of it. A service that cannot tell
    /// calls it first (the default).
    func balance(of code: VoucherCode, sent: @escaping @Sendable () -> Void) async throws(VoucherServiceError) -> VoucherBalance
}

extension VoucherService {
    public func balance(of code: VoucherCode, sent: @escaping @Sendable () -> Void) async throws(VoucherServiceError) -> VoucherBalance {
        sent()
        return try await balance(of: code)
    }
}

/// The answer of a successful redeem: the only handle for a later cancel, and the new balance.
public struct VoucherRedemption: Sendable, Equatable {
    public var code: VoucherCode
    public var token: String
    public var newBalance: Money

    public init(code: VoucherCode, token: String, newBalance: Money) {
        self.code = code; self.token = token; self.newBalance = newBalance
    }
}
