import EgumaAPI
import Foundation

/// The state of one simulated e-guma account: its outlets, the vouchers all outlets share, open
/// redemptions and charges, ShortCodes, the ledger and the injected faults.
///
/// An actor, so concurrent calls from several outlets see one consistent voucher ledger — as at
/// e-guma, where a voucher redeemed at one outlet is redeemed everywhere.
public actor SimulatedAccount {
    /// How long a voucher2mobile ShortCode stays valid.
    public static let shortCodeLifetime: TimeInterval = 5 * 60

    struct VoucherState {
        var code: String
        var kind: SimulatedVoucher.Kind
        var balance: Int64
        var total: Int64
        var productId: String?
        var name: String?
        var description: String?
        var validUntil: String?
        var note: String?
        var freeAmount: Bool
        var depotAmount: Int64?
        var serviceRedeemed = false
        var activated = false
        var complimentary = false
    }

    struct Redemption {
        var code: String
        var amount: Int64
        var cancelled: Int64 = 0
        var fullyCancelled = false
        var sequence = 0
        var outlet = SimulatedOutlet.demo
        var at = Date(timeIntervalSince1970: 0)
        var productId: String?
        var productName: String?
        var complimentary = false
    }

    struct Charge {
        var code: String
        var amount: Int64
        var freeCredit: Int64
        var paymentId: String?
        var cancelled = false
    }

    struct ShortCode {
        var code: String
        var expires: Date
    }

    public nonisolated let currency: String
    // Internal rather than private: each endpoint family is an extension in its own file
    // (SimulatedAccount+Redeem, +Charge, +Depot, +RedemptionList).
    let now: @Sendable () -> Date
    var outlets: [SimulatedOutlet]
    var vouchers: [String: VoucherState] = [:]
    var voucherOrder: [String] = []
    var shortCodes: [String: ShortCode] = [:]
    var redemptions: [String: Redemption] = [:]
    var charges: [String: Charge] = [:]
    var entries: [LedgerEntry] = []
    var requests: [SimulatorRequestRecord] = []
    var faults: [String: SimulatorFault] = [:]

    /// - Parameter now: the simulator's wall clock (ShortCode expiry, ledger timestamps); tests
    ///   inject one they can move.
    public init(outlets: [SimulatedOutlet] = [.demo], vouchers: SimulatedVoucherFile,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.outlets = outlets
        self.currency = vouchers.currency
        self.now = now
        for voucher in vouchers.vouchers { Self.insert(voucher, into: &self.vouchers, order: &voucherOrder) }
        let start = now()
        for short in vouchers.shortCodes {
            shortCodes[short.shortCode] = ShortCode(code: SimulatedVoucher.canonical(short.code),
                                                    expires: start.addingTimeInterval(Self.shortCodeLifetime))
        }
    }

    private static func insert(_ v: SimulatedVoucher, into vouchers: inout [String: VoucherState], order: inout [String]) {
        let code = SimulatedVoucher.canonical(v.code)
        var state = VoucherState(code: code, kind: v.kind, balance: v.balanceInCents,
                                 total: v.totalAmountInCents ?? v.balanceInCents, productId: v.productId,
                                 name: v.name, description: v.description, validUntil: v.validUntil,
                                 note: v.message, freeAmount: v.freeAmount, depotAmount: v.depotAmountInCents,
                                 complimentary: v.complimentary)
        switch v.kind {
        case .service: state.balance = 0; state.total = 0
        case .redeemed: state.balance = 0
        case .depot: state.balance = 0; state.total = 0
        default: break
        }
        if vouchers[code] == nil { order.append(code) }
        vouchers[code] = state
    }

    // MARK: Test and admin API

    /// Every authenticated call so far, oldest first.
    public func ledger() -> [LedgerEntry] { entries }

    /// Every HTTP request that reached the simulator (also unauthenticated and unroutable ones).
    public func requestLog() -> [SimulatorRequestRecord] { requests }

    /// The current balance of a code (any form), nil when unknown.
    public func balance(of code: String) -> Int64? { vouchers[SimulatedVoucher.canonical(code)]?.balance }

    /// Redeemed minus cancelled cents for a code, over all outlets.
    public func netRedeemed(_ code: String) -> Int64 {
        let c = SimulatedVoucher.canonical(code)
        return redemptions.values.filter { $0.code == c }.reduce(0) { $0 + $1.amount - $1.cancelled }
    }

    /// Adds or replaces a voucher.
    public func add(_ voucher: SimulatedVoucher) { Self.insert(voucher, into: &vouchers, order: &voucherOrder) }

    /// Adds an outlet (another key for the same vouchers).
    public func add(_ outlet: SimulatedOutlet) { outlets.append(outlet) }

    public func outletList() -> [SimulatedOutlet] { outlets }

    /// The vouchers as they are now (for the `simulate` table and the admin route).
    public func voucherList() -> [SimulatedVoucher] {
        voucherOrder.compactMap { vouchers[$0] }.map { v in
            var voucher = SimulatedVoucher(code: v.code, kind: v.kind, balanceInCents: v.balance, totalAmountInCents: v.total,
                             productId: v.productId, name: v.name, description: v.description,
                             validUntil: v.validUntil, message: v.note, freeAmount: v.freeAmount,
                             depotAmountInCents: v.depotAmount)
            voucher.complimentary = v.complimentary
            return voucher
        }
    }

    /// Valid ShortCodes now, with the code each stands for.
    public func activeShortCodes() -> [SimulatedVoucherFile.ShortCode] {
        let t = now()
        return shortCodes.filter { $0.value.expires > t }.sorted { $0.key < $1.key }
            .map { .init(shortCode: $0.key, code: $0.value.code) }
    }

    /// Issues a ShortCode for `code`, valid five minutes from now, as the voucher2mobile app would.
    /// Returns nil when the code is unknown or all 100 ShortCodes are in use.
    public func issueShortCode(for code: String, preferred: String? = nil) -> String? {
        let c = SimulatedVoucher.canonical(code)
        guard vouchers[c] != nil else { return nil }
        let t = now()
        let free = (0..<100).map { String(format: "%02d", $0) }
            .filter { (shortCodes[$0]?.expires ?? .distantPast) <= t }
        guard let pick = preferred.flatMap({ free.contains($0) ? $0 : nil }) ?? free.randomElement() else { return nil }
        shortCodes[pick] = ShortCode(code: c, expires: t.addingTimeInterval(Self.shortCodeLifetime))
        return pick
    }

    /// Sets the fault for one endpoint (nil endpoint: every endpoint without its own fault).
    public func setFault(_ fault: SimulatorFault?, for endpoint: Endpoint?) {
        faults[endpoint?.rawValue ?? "*"] = fault
    }

    public func clearFaults() { faults.removeAll() }

    public func currentFaults() -> [String: SimulatorFault] { faults }

    /// Calls an `apply_late` fault accepted whose effect has not landed yet: a test waits for 0
    /// before it compares the ledger.
    public private(set) var lateCallsInFlight = 0

    func lateCall(started: Bool) { lateCallsInFlight += started ? 1 : -1 }

    /// The fault that applies to this call, counting it down.
    func takeFault(for endpoint: Endpoint) -> SimulatorFault? {
        let key = faults[endpoint.rawValue] != nil ? endpoint.rawValue : "*"
        guard var fault = faults[key] else { return nil }
        if let count = fault.count {
            if count <= 1 { faults[key] = nil } else { fault.count = count - 1; faults[key] = fault }
        }
        return fault
    }

    func record(_ request: SimulatorRequestRecord) { requests.append(request) }

    // MARK: Calls

    /// Handles one routed call: authenticates, resolves the code and runs the endpoint.
    func handle(_ endpoint: Endpoint, code rawCode: String, parameters: [String: String]) -> SimulatorAnswer {
        guard let key = parameters["apikey"], !key.isEmpty else {
            return .text(401, "API-Schlüssel fehlt (Parameter apikey)")
        }
        guard let outlet = outlets.first(where: { $0.key == key }) else {
            return .text(401, "Ungültiger API-Schlüssel")
        }
        var call = Call(endpoint: endpoint, outlet: outlet, code: rawCode, parameters: parameters)
        let answer = run(&call)
        entries.append(LedgerEntry(
            sequence: entries.count + 1, endpoint: endpoint, outlet: outlet.name, code: call.code,
            amountInCents: call.amount, referenceNumber: parameters["reference_number"], token: call.token,
            balanceInCents: vouchers[call.code]?.balance, status: answer.status,
            message: answer.status == 200 ? call.message : answer.text, applied: call.applied, timestamp: now()))
        return answer
    }

    struct Call {
        let endpoint: Endpoint
        let outlet: SimulatedOutlet
        var code: String
        let parameters: [String: String]
        var amount: Int64?
        var token: String?
        var message: String?
        var applied = false
    }

    private func run(_ call: inout Call) -> SimulatorAnswer {
        let entered = call.code.trimmingCharacters(in: .whitespaces)
        guard !entered.isEmpty else { return .text(400, "Parameter code fehlt") }
        if entered.count == 2, entered.allSatisfy(\.isASCIIDigitCharacter) {
            guard call.endpoint == .balance else {
                return .text(400, "ShortCodes werden nur von balance.json angenommen — den dort zurückgegebenen 12-stelligen Code verwenden")
            }
            guard let short = shortCodes[entered], short.expires > now() else {
                call.message = Messages.shortCodeInvalid
                return .json(["code": .string(entered), "is_redeemable": .bool(false), "balance_in_cents": .int(0),
                              "total_amount_in_cents": .int(0), "currency": .string(currency),
                              "product_id": .null, "message": .string(Messages.shortCodeInvalid), "extra": .null])
            }
            call.code = short.code
        } else {
            call.code = SimulatedVoucher.canonical(entered)
        }
        switch call.endpoint {
        case .balance: return balance(&call)
        case .info: return info(&call)
        case .redeem: return redeem(&call)
        case .cancelRedemption: return cancelRedemption(&call)
        case .chargeStatus: return chargeStatus(&call)
        case .charge: return charge(&call)
        case .cancelCharge: return cancelCharge(&call)
        case .activateStatus: return activateStatus(&call)
        case .activate: return activate(&call)
        case .deactivateStatus: return deactivateStatus(&call)
        case .deactivate: return deactivate(&call)
        case .redemptions: return .text(404, "Not Found")  // routed to `redemptionList`, never per code
        }
    }

    enum AmountProblem: Error {
        case missing, notANumber, negative
        var text: String {
            switch self {
            case .missing: "Parameter amount_in_cents fehlt"
            case .notANumber: "amount_in_cents ist keine ganze Zahl"
            case .negative: "amount_in_cents darf nicht negativ sein"
            }
        }
    }

    /// An answer that refuses a request outright.
    struct Refusal: Error {
        let answer: SimulatorAnswer
    }

    /// The call's `amount_in_cents`, recorded on the call; on a missing or bad amount, the 400
    /// answer e-guma gives before it looks at the voucher.
    func takeAmount(_ call: inout Call) -> Result<Int64, Refusal> {
        switch Self.amount(call.parameters) {
        case .failure(let problem): return .failure(Refusal(answer: .text(400, problem.text)))
        case .success(let amount):
            call.amount = amount
            return .success(amount)
        }
    }

    /// `amount_in_cents` as a number or a numeric string (e-guma's own example sends "15000").
    static func amount(_ parameters: [String: String]) -> Result<Int64, AmountProblem> {
        guard let text = parameters["amount_in_cents"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
            return .failure(.missing)
        }
        guard let n = Int64(text) else { return .failure(.notANumber) }
        return n < 0 ? .failure(.negative) : .success(n)
    }
}

/// The texts e-guma shows in its default language (German) when a voucher cannot be used.
enum Messages {
    static let notFound = "Gutschein nicht gefunden"
    static let redeemed = "Gutschein wurde bereits eingelöst"
    static let unpaid = "Gutschein ist nicht bezahlt"
    static let proforma = "Proforma-Gutschein: kann nicht eingelöst werden"
    static let depotNotActivated = "Gutschein ist nicht aktiviert"
    static let alreadyActivated = "Gutschein wurde bereits aktiviert"
    static let notDepot = "Kein Depot-Gutschein"
    static let notChargeable = "Gutschein kann nicht aufgeladen werden"
    static let shortCodeInvalid = "ShortCode ungültig oder abgelaufen"
}
