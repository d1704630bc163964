import GateCore

/// An in-memory e-guma for pure engine tests: vouchers with balances, ShortCodes, a ledger of
/// redemptions, and scripted faults per call.
public actor FakeVoucherService: VoucherService {
    public init() {}
    public enum Call: String, Sendable { case balance, redeem, cancel }
    public enum Fault: Sendable, Equatable {
        case notSent, unreachable
        /// e-guma answered a read with a 5xx or garbage (reachable, but no usable answer).
        case badAnswer
        /// Consumes one matching call without failing it (to aim a later fault).
        case pass
        /// The call went out; `applied` says whether e-guma applied it before the answer was lost.
        case uncertain(applied: Bool)
        case rejected(String)
    }
    public struct Voucher: Sendable {
        public var balance: Int64
        public var total: Int64
        public var product: String?
        public var redeemable = true
        public var message: String?
    }
    public struct Redemption: Sendable, Equatable {
        public var token: String
        public var code: String
        public var amount: Int64
        public var reference: String
        public var cancelled: Int64 = 0
    }

    public private(set) var vouchers: [String: Voucher] = [:]
    private var shortCodes: [String: String] = [:]
    public private(set) var ledger: [Redemption] = []
    public private(set) var calls: [(Call, String)] = []
    private var faults: [(call: Call, fault: Fault, code: String?)] = []
    private var nextToken = 0

    public func add(_ code: String, balance: Int64, total: Int64? = nil, product: String? = nil,
             redeemable: Bool = true, message: String? = nil, shortCode: String? = nil) {
        vouchers[code] = Voucher(balance: balance, total: total ?? balance, product: product,
                                 redeemable: redeemable, message: message)
        if let shortCode { shortCodes[shortCode] = code }
    }

    public func fail(_ call: Call, _ fault: Fault, code: String? = nil) { faults.append((call, fault, code)) }
    /// Runs once during the next Balance, before it answers (what another lane or the outbox
    /// worker does meanwhile).
    private var duringBalance: (@Sendable () async -> Void)?
    public func onNextBalance(_ hook: @escaping @Sendable () async -> Void) { duringBalance = hook }
    public func setBalance(_ code: String, _ cents: Int64) { vouchers[code]?.balance = cents }

    public func balanceOf(_ code: String) -> Int64? { vouchers[code]?.balance }
    public func count(_ call: Call) -> Int { calls.filter { $0.0 == call }.count }
    public var netTaken: Int64 { ledger.reduce(0) { $0 + $1.amount - $1.cancelled } }

    private func fault(_ call: Call, _ code: String) -> Fault? {
        guard let i = faults.firstIndex(where: { $0.call == call && ($0.code == nil || $0.code == code) }) else { return nil }
        return faults.remove(at: i).fault
    }

    private func error(_ fault: Fault, _ call: Call) -> VoucherServiceError {
        switch fault {
        case .notSent: VoucherServiceError(.notSent, detail: "\(call) not sent")
        case .unreachable: VoucherServiceError(.unreachable, detail: "\(call) timed out before any answer")
        case .badAnswer: VoucherServiceError(.badAnswer, detail: "\(call) 503")
        case .uncertain: VoucherServiceError(call == .balance ? .unreachable : .uncertain, detail: "\(call) timed out")
        case .rejected(let m): VoucherServiceError(.rejected(message: m), detail: "\(call) refused: \(m)")
        case .pass: VoucherServiceError(.notSent, detail: "unused")
        }
    }

    public func balance(of code: VoucherCode) async throws(VoucherServiceError) -> VoucherBalance {
        calls.append((.balance, code.text))
        if let hook = duringBalance { duringBalance = nil; await hook() }
        if let f = fault(.balance, code.text), f != .pass { throw error(f, .balance) }
        let real = shortCodes[code.text] ?? code.undashed
        guard let v = vouchers[real] else {
            return VoucherBalance(code: code, isRedeemable: false, balance: .zero, total: .zero, productID: nil, message: "Gutschein nicht gefunden")
        }
        return VoucherBalance(code: VoucherCode(unchecked: real), isRedeemable: v.redeemable && (v.balance > 0 || v.total == 0),
                              balance: Money(cents: v.balance), total: Money(cents: v.total), productID: v.product,
                              message: v.redeemable ? v.message : (v.message ?? "bereits eingelöst"))
    }

    public func redeem(_ code: VoucherCode, amount: Money, reference: String) async throws(VoucherServiceError) -> VoucherRedemption {
        calls.append((.redeem, code.text))
        let f = fault(.redeem, code.text)
        if let f, f != .uncertain(applied: true), f != .pass { throw error(f, .redeem) }
        guard var v = vouchers[code.text] else { throw VoucherServiceError(.rejected(message: "not found"), detail: "404") }
        guard v.balance >= amount.cents else { throw VoucherServiceError(.rejected(message: "Guthaben ungenügend"), detail: "400") }
        v.balance -= amount.cents
        vouchers[code.text] = v
        nextToken += 1
        let token = "tok-\(nextToken)"
        ledger.append(Redemption(token: token, code: code.text, amount: amount.cents, reference: reference))
        if let f, f != .pass { throw error(f, .redeem) }  // applied, answer lost
        return VoucherRedemption(code: code, token: token, newBalance: Money(cents: v.balance))
    }

    public func cancel(_ code: VoucherCode, token: String, amount: Money) async throws(VoucherServiceError) -> Money {
        calls.append((.cancel, code.text))
        if let f = fault(.cancel, code.text), f != .pass { throw error(f, .cancel) }
        guard let i = ledger.firstIndex(where: { $0.token == token && $0.code == code.text }),
              ledger[i].amount - ledger[i].cancelled >= amount.cents else {
            throw VoucherServiceError(.rejected(message: "redemption not found"), detail: "400")
        }
        ledger[i].cancelled += amount.cents
        vouchers[code.text]?.balance += amount.cents
        return Money(cents: vouchers[code.text]?.balance ?? 0)
    }
}
