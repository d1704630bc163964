import EgumaAPI
import GateCore

/// The `VoucherService` port over the e-guma client, for one outlet (its own API key).
///
/// Maps the wire client's error taxonomy onto the split the engine needs:
/// - not sent (refused, DNS, TLS handshake) → `.notSent`: nothing happened;
/// - a POST that went out without a usable answer (timeout, reset, 5xx, an unreadable 2xx) →
///   `.uncertain`: it may have been applied;
/// - a GET without any answer (timeout, reset) → `.unreachable`: nothing changed;
/// - a GET that e-guma answered with a 5xx or an unreadable body → `.badAnswer`: nothing
///   changed, but e-guma is reachable, so it is never a reason to admit offline;
/// - 408 and 429 count like a 5xx (retrying can succeed);
/// - 401 (e-guma refused the outlet's API key: rotated, mistyped) → `.badAnswer` for every
///   call: nothing was applied, the guest is not to blame (it is no guess for the guard), and
///   a queued cancel or offline redeem is retried until the key is fixed, never dead-lettered
///   as if e-guma had refused that voucher;
/// - any other 4xx → `.rejected` with e-guma's text, shown verbatim.
///
/// Every Balance answer's `currency` goes to `currencySeen` before the engine sees the answer, so
/// the amounts the guest is then shown are in the account's currency (`OutletCurrencies`).
public struct EgumaVoucherService: VoucherService {
    private let client: EgumaClient
    private let key: APIKey
    private let currencySeen: @Sendable (String?) -> Void

    public init(client: EgumaClient, key: APIKey, currencySeen: @escaping @Sendable (String?) -> Void = { _ in }) {
        self.client = client; self.key = key; self.currencySeen = currencySeen
    }

    public func balance(of code: VoucherCode) async throws(VoucherServiceError) -> VoucherBalance {
        try await balance(of: code, sent: {})
    }

    public func balance(of code: VoucherCode, sent: @escaping @Sendable () -> Void) async throws(VoucherServiceError) -> VoucherBalance {
        do throws(EgumaError) {
            let answer = try await client.balance(code: code.text, key: key, sent: sent)
            currencySeen(answer.currency)
            return VoucherBalance(
                code: VoucherCode(unchecked: answer.code), isRedeemable: answer.isRedeemable,
                balance: Money(cents: answer.balanceInCents.value), total: Money(cents: answer.totalAmountInCents.value),
                productID: answer.productId, message: answer.message)
        } catch {
            throw Self.map(error)
        }
    }

    public func redeem(_ code: VoucherCode, amount: Money, reference: String) async throws(VoucherServiceError) -> VoucherRedemption {
        do throws(EgumaError) {
            let answer = try await client.redeem(code: code.text, amount: Cents(amount.cents), reference: reference, key: key)
            return VoucherRedemption(code: VoucherCode(unchecked: answer.code), token: answer.redeemToken,
                                     newBalance: Money(cents: answer.balanceInCents.value))
        } catch {
            throw Self.map(error)
        }
    }

    public func cancel(_ code: VoucherCode, token: String, amount: Money) async throws(VoucherServiceError) -> Money {
        do throws(EgumaError) {
            let answer = try await client.cancelRedemption(code: code.text, token: token, amount: Cents(amount.cents), key: key)
            return Money(cents: answer.balanceInCents.value)
        } catch {
            throw Self.map(error)
        }
    }

    static func map(_ error: EgumaError) -> VoucherServiceError {
        let detail = error.description
        let isPost = error.endpoint.method == .post
        switch error.kind {
        case .unauthorized, .httpStatus(401, _):
            return VoucherServiceError(.badAnswer, detail: "e-guma refused this outlet's API key (HTTP 401) — check the outlet's api_key_file: \(detail)")
        case .notSent:
            return VoucherServiceError(.notSent, detail: detail)
        case .uncertain:
            return VoucherServiceError(isPost ? .uncertain : .unreachable, detail: detail)
        case .undecodable:
            return VoucherServiceError(isPost ? .uncertain : .badAnswer, detail: detail)
        case .httpStatus(let code, let message) where code < 500 && code != 408 && code != 429:
            return VoucherServiceError(.rejected(message: message.isEmpty ? "HTTP \(code)" : message), detail: detail)
        case .httpStatus:
            return VoucherServiceError(isPost ? .uncertain : .badAnswer, detail: detail)
        case .badRequest(let message):
            return VoucherServiceError(.rejected(message: message), detail: detail)
        }
    }
}
