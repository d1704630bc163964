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
    private let now: @Sendable () -> Date
    private var outlets: [SimulatedOutlet]
    private var vouchers: [String: VoucherState] = [:]
    private var voucherOrder: [String] = []
    private var shortCodes: [String: ShortCode] = [:]
    private var redemptions: [String: Redemption] = [:]
    private var charges: [String: Charge] = [:]
    private var entries: [LedgerEntry] = []
    private var requests: [SimulatorRequestRecord] = []
    private var faults: [String: SimulatorFault] = [:]

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

    // MARK: List of Voucher Redemptions

    /// `GET /v1/vouchers/redemptions.json?from=…&to=…[&user_id=…][&complimentary=…]`.
    ///
    /// The model for cancels (e-guma's documentation does not say; see docs/simulator.md): every
    /// redemption is listed once, at the time it was redeemed. A fully cancelled one stays in the
    /// list with `derecognized: true` and its original amount; a partly cancelled one shows the
    /// amount still redeemed, `derecognized: false`. `from`/`to` are inclusive, local time
    /// (Europe/Zurich) without offset. Any outlet's key sees the whole account; `user_id` narrows
    /// it to one user's rows.
    func redemptionList(parameters: [String: String]) -> SimulatorAnswer {
        guard let key = parameters["apikey"], !key.isEmpty else {
            return .text(401, "API-Schlüssel fehlt (Parameter apikey)")
        }
        guard outlets.contains(where: { $0.key == key }) else { return .text(401, "Ungültiger API-Schlüssel") }
        let local = EgumaLocalTime()
        var window: [Date] = []
        for name in ["from", "to"] {
            guard let text = parameters[name], !text.isEmpty else { return .text(400, "Parameter \(name) fehlt") }
            guard let date = local.parse(text) else {
                return .text(400, "Parameter \(name) ist kein Zeitpunkt wie 2025-05-21T00:00:00")
            }
            window.append(date)
        }
        var user: Int64?
        if let text = parameters["user_id"], !text.isEmpty {
            guard let id = Int64(text) else { return .text(400, "Parameter user_id ist keine Zahl") }
            user = id
        }
        let complimentary = parameters["complimentary"].flatMap { $0.isEmpty ? nil : $0 } ?? "included"
        guard ["included", "excluded", "only"].contains(complimentary) else {
            return .text(400, "Parameter complimentary muss included, excluded oder only sein")
        }
        // Whole seconds, as e-guma stores them: a redemption at 23:59:59.6 belongs to `to=23:59:59`.
        let rows = redemptions.values
            .filter { r in
                let second = r.at.timeIntervalSince1970.rounded(.down)
                return second >= window[0].timeIntervalSince1970 && second <= window[1].timeIntervalSince1970
            }
            .filter { user == nil || $0.outlet.userID == user }
            .filter { complimentary == "included" || (complimentary == "only") == $0.complimentary }
            .sorted { ($0.at, $0.sequence) < ($1.at, $1.sequence) }
        let items: [WireValue] = rows.map { r in
            let code = Array(r.code)
            let dashed = code.count == 12 ? String(code[0..<4]) + "-" + String(code[4..<8]) + "-" + String(code[8..<12]) : r.code
            return .fields([
                "code": .string(dashed), "redeemed_at": .string(local.format(r.at)),
                "redeemed_amount_in_cents": .int(r.fullyCancelled ? r.amount : r.amount - r.cancelled),
                "derecognized": .bool(r.fullyCancelled), "is_complimentary": .bool(r.complimentary),
                "user": .fields(["id": .int(r.outlet.userID), "name": .string(r.outlet.userName)]),
                "product": .fields(["id": r.productId.wire, "name": r.productName.wire]),
                "issuer": .fields(["name": .string("Simulated e-guma account"), "is_third_party": .bool(false)]),
            ])
        }
        return .jsonArray(items)
    }

    /// Why a voucher cannot be redeemed now, or nil when it can.
    private func refusal(_ v: VoucherState) -> String? {
        switch v.kind {
        case .unpaid: return Messages.unpaid
        case .proforma: return Messages.proforma
        case .redeemed: return Messages.redeemed
        case .service: return v.serviceRedeemed ? Messages.redeemed : nil
        case .depot: return v.activated ? (v.balance > 0 ? nil : Messages.redeemed) : Messages.depotNotActivated
        case .value, .chargeable: return v.balance > 0 ? nil : Messages.redeemed
        }
    }

    private func balance(_ call: inout Call) -> SimulatorAnswer {
        guard let v = vouchers[call.code] else {
            call.message = Messages.notFound
            return .json(["code": .string(call.code), "is_redeemable": .bool(false), "balance_in_cents": .int(0),
                          "total_amount_in_cents": .int(0), "currency": .string(currency),
                          "product_id": .null, "message": .string(Messages.notFound), "extra": .null])
        }
        let why = refusal(v)
        call.message = why ?? v.note
        return .json(["code": .string(v.code), "is_redeemable": .bool(why == nil),
                      "balance_in_cents": .int(v.balance), "total_amount_in_cents": .int(v.total),
                      "currency": .string(currency), "product_id": v.productId.wire,
                      "message": (why ?? v.note).wire, "extra": .null])
    }

    private func info(_ call: inout Call) -> SimulatorAnswer {
        guard let v = vouchers[call.code] else { return .text(400, Messages.notFound) }
        let redeemed = v.kind == .redeemed || (v.kind == .service && v.serviceRedeemed)
            || ([.value, .chargeable].contains(v.kind) && v.balance == 0)
            || (v.kind == .depot && v.activated && v.balance == 0)
        return .json(["code": .string(v.code), "name": v.name.wire, "description": v.description.wire,
                      "balance_in_cents": .int(v.balance), "is_redeemed": .bool(redeemed),
                      "valid_until": v.validUntil.wire])
    }

    private func redeem(_ call: inout Call) -> SimulatorAnswer {
        let amount: Int64
        switch Self.amount(call.parameters) {
        case .failure(let message): return .text(400, message.text)
        case .success(let a): amount = a
        }
        call.amount = amount
        if let ref = call.parameters["reference_number"], ref.count > 1024 {
            return .text(400, "reference_number ist länger als 1024 Zeichen")
        }
        guard var v = vouchers[call.code] else { return .text(400, Messages.notFound) }
        if let why = refusal(v) { return .text(400, why) }
        if v.kind == .service {
            // A service voucher is one entitlement: redeemed once, whatever amount is booked.
            v.serviceRedeemed = true
        } else {
            guard amount > 0 else { return .text(400, "amount_in_cents muss grösser als 0 sein") }
            guard amount <= v.balance else {
                return .text(400, "Betrag \(Cents(amount)) übersteigt das Guthaben des Gutscheins (\(Cents(v.balance)) \(currency))")
            }
            v.balance -= amount
        }
        vouchers[call.code] = v
        let token = UUID().uuidString.lowercased()
        redemptions[token] = Redemption(code: v.code, amount: amount, sequence: redemptions.count + 1,
                                        outlet: call.outlet, at: now(), productId: v.productId, productName: v.name,
                                        complimentary: v.complimentary)
        call.token = token
        call.applied = true
        return .json(["code": .string(v.code), "balance_in_cents": .int(v.balance), "redeem_token": .string(token)])
    }

    private func cancelRedemption(_ call: inout Call) -> SimulatorAnswer {
        guard let token = call.parameters["redeem_token"], !token.isEmpty else {
            return .text(400, "Parameter redeem_token fehlt")
        }
        call.token = token
        let amount: Int64
        switch Self.amount(call.parameters) {
        case .failure(let message): return .text(400, message.text)
        case .success(let a): amount = a
        }
        call.amount = amount
        guard var v = vouchers[call.code] else { return .text(400, Messages.notFound) }
        guard var r = redemptions[token.lowercased()], r.code == v.code else {
            return .text(400, "Einlösung nicht gefunden (redeem_token passt nicht zu diesem Gutschein)")
        }
        guard !r.fullyCancelled else { return .text(400, "Einlösung wurde bereits vollständig storniert") }
        let open = r.amount - r.cancelled
        guard amount <= open else {
            return .text(400, "Betrag \(Cents(amount)) übersteigt den noch stornierbaren Betrag (\(Cents(open)) \(currency))")
        }
        guard amount > 0 || r.amount == 0 else { return .text(400, "amount_in_cents muss grösser als 0 sein") }
        r.cancelled += amount
        if r.cancelled == r.amount { r.fullyCancelled = true }
        if v.kind == .service {
            if r.fullyCancelled { v.serviceRedeemed = false }
        } else {
            v.balance += amount
        }
        redemptions[token.lowercased()] = r
        vouchers[call.code] = v
        call.applied = true
        return .json(["code": .string(v.code), "balance_in_cents": .int(v.balance)])
    }

    private func chargeStatus(_ call: inout Call) -> SimulatorAnswer {
        guard let v = vouchers[call.code] else {
            call.message = Messages.notFound
            return .json(["code": .string(call.code), "balance_in_cents": .int(0), "can_be_charged": .bool(false),
                          "message": .string(Messages.notFound)])
        }
        let why: String? = v.kind == .chargeable ? nil : Messages.notChargeable
        call.message = why
        return .json(["code": .string(v.code), "balance_in_cents": .int(v.balance),
                      "can_be_charged": .bool(why == nil), "message": why.wire])
    }

    private func charge(_ call: inout Call) -> SimulatorAnswer {
        let amount: Int64
        switch Self.amount(call.parameters) {
        case .failure(let message): return .text(400, message.text)
        case .success(let a): amount = a
        }
        call.amount = amount
        guard amount > 0 else { return .text(400, "amount_in_cents muss grösser als 0 sein") }
        if let ref = call.parameters["reference"], ref.count > 256 {
            return .text(400, "reference ist länger als 256 Zeichen")
        }
        var percent: Int64 = 0
        if let p = call.parameters["free_credit_in_percentage"], !p.isEmpty {
            guard let n = Int64(p.trimmingCharacters(in: .whitespaces)), (0...100).contains(n) else {
                return .text(400, "free_credit_in_percentage muss eine ganze Zahl von 0 bis 100 sein")
            }
            percent = n
        }
        guard var v = vouchers[call.code] else { return .text(400, Messages.notFound) }
        guard v.kind == .chargeable else { return .text(400, Messages.notChargeable) }
        let free = amount * percent / 100
        v.balance += amount + free
        v.total += amount + free
        vouchers[call.code] = v
        let token = UUID().uuidString.lowercased()
        charges[token] = Charge(code: v.code, amount: amount, freeCredit: free, paymentId: call.parameters["payment_id"])
        call.token = token
        call.applied = true
        return .json(["charge_token": .string(token), "code": .string(v.code), "balance_in_cents": .int(v.balance),
                      "free_credit_amount_in_cents": .int(free)])
    }

    private func cancelCharge(_ call: inout Call) -> SimulatorAnswer {
        if let reason = call.parameters["cancel_reason"], reason.count > 1024 {
            return .text(400, "cancel_reason ist länger als 1024 Zeichen")
        }
        guard var v = vouchers[call.code] else { return .text(400, Messages.notFound) }
        let token: String
        if let t = call.parameters["charge_token"], !t.isEmpty {
            token = t.lowercased()
            guard let c = charges[token], c.code == v.code else {
                return .text(400, "Aufladung nicht gefunden (charge_token passt nicht zu diesem Gutschein)")
            }
        } else if let amountText = call.parameters["amount_in_cents"], let paymentId = call.parameters["payment_id"] {
            // The legacy form: the charge is named by its amount and payment id.
            guard let amount = Int64(amountText.trimmingCharacters(in: .whitespaces)) else {
                return .text(400, "amount_in_cents ist keine ganze Zahl")
            }
            guard let found = charges.first(where: { $0.value.code == v.code && !$0.value.cancelled
                                                     && $0.value.amount == amount && $0.value.paymentId == paymentId }) else {
                return .text(400, "Aufladung nicht gefunden (amount_in_cents und payment_id)")
            }
            token = found.key
        } else {
            return .text(400, "Parameter charge_token fehlt")
        }
        call.token = token
        guard var c = charges[token] else { return .text(400, "Aufladung nicht gefunden") }
        call.amount = c.amount
        guard !c.cancelled else { return .text(400, "Aufladung wurde bereits storniert") }
        let back = c.amount + c.freeCredit
        guard v.balance >= back else {
            return .text(400, "Guthaben \(Cents(v.balance)) reicht für die Stornierung der Aufladung (\(Cents(back))) nicht — es wurde bereits eingelöst")
        }
        v.balance -= back
        v.total -= back
        c.cancelled = true
        charges[token] = c
        vouchers[call.code] = v
        call.applied = true
        return .json(["code": .string(v.code), "balance_in_cents": .int(v.balance)])
    }

    private func activateStatus(_ call: inout Call) -> SimulatorAnswer {
        guard let v = vouchers[call.code] else {
            call.message = Messages.notFound
            return .json(["code": .string(call.code), "can_be_activated": .bool(false), "free_amount": .bool(false),
                          "amount_in_cents": .null, "message": .string(Messages.notFound)])
        }
        let why: String? = v.kind != .depot ? Messages.notDepot : (v.activated ? Messages.alreadyActivated : nil)
        call.message = why
        return .json(["code": .string(v.code), "can_be_activated": .bool(why == nil),
                      "free_amount": .bool(v.kind == .depot && v.freeAmount),
                      "amount_in_cents": v.kind == .depot && !v.freeAmount ? v.depotAmount.wire : .null,
                      "message": why.wire])
    }

    private func activate(_ call: inout Call) -> SimulatorAnswer {
        guard var v = vouchers[call.code] else { return .text(400, Messages.notFound) }
        guard v.kind == .depot else { return .text(400, Messages.notDepot) }
        guard !v.activated else { return .text(400, Messages.alreadyActivated) }
        let amount: Int64
        if v.freeAmount {
            switch Self.amount(call.parameters) {
            case .failure(.missing): return .text(400, "Parameter amount_in_cents fehlt (Gutschein mit freiem Betrag)")
            case .failure(let message): return .text(400, message.text)
            case .success(let a): amount = a
            }
            guard amount > 0 else { return .text(400, "amount_in_cents muss grösser als 0 sein") }
        } else {
            amount = v.depotAmount ?? 0
        }
        call.amount = amount
        v.activated = true
        v.balance = amount
        v.total = amount
        vouchers[call.code] = v
        call.applied = true
        return .json(["code": .string(v.code), "balance_in_cents": .int(v.balance)])
    }

    private func deactivationRefusal(_ v: VoucherState) -> String? {
        if v.kind != .depot { return Messages.notDepot }
        if !v.activated { return Messages.depotNotActivated }
        if v.balance != v.total { return "Gutschein wurde bereits eingelöst und kann nicht deaktiviert werden" }
        return nil
    }

    private func deactivateStatus(_ call: inout Call) -> SimulatorAnswer {
        guard let v = vouchers[call.code] else {
            call.message = Messages.notFound
            return .json(["code": .string(call.code), "can_be_deactivated": .bool(false),
                          "amount_in_cents": .null, "message": .string(Messages.notFound)])
        }
        let why = deactivationRefusal(v)
        call.message = why
        return .json(["code": .string(v.code), "can_be_deactivated": .bool(why == nil),
                      "amount_in_cents": v.kind == .depot && v.activated ? .int(v.total) : .null,
                      "message": why.wire])
    }

    private func deactivate(_ call: inout Call) -> SimulatorAnswer {
        if let reason = call.parameters["deactivate_reason"], reason.count > 1024 {
            return .text(400, "deactivate_reason ist länger als 1024 Zeichen")
        }
        guard var v = vouchers[call.code] else { return .text(400, Messages.notFound) }
        if let why = deactivationRefusal(v) { return .text(400, why) }
        let amount = v.total
        call.amount = amount
        // Back into the depot: it can be sold (activated) again.
        v.activated = false
        v.balance = 0
        v.total = 0
        vouchers[call.code] = v
        call.applied = true
        return .json(["code": .string(v.code), "amount_in_cents": .int(amount)])
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
