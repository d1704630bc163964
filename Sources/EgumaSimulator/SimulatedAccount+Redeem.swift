import EgumaAPI
import Foundation

// Balance, info, redeem and cancel-redemption: the calls of every admission.
extension SimulatedAccount {
    /// Why a voucher cannot be redeemed now, or nil when it can.
    func refusal(_ v: VoucherState) -> String? {
        switch v.kind {
        case .unpaid: return Messages.unpaid
        case .proforma: return Messages.proforma
        case .redeemed: return Messages.redeemed
        case .service: return v.serviceRedeemed ? Messages.redeemed : nil
        case .depot: return v.activated ? (v.balance > 0 ? nil : Messages.redeemed) : Messages.depotNotActivated
        case .value, .chargeable: return v.balance > 0 ? nil : Messages.redeemed
        }
    }

    func balance(_ call: inout Call) -> SimulatorAnswer {
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

    func info(_ call: inout Call) -> SimulatorAnswer {
        guard let v = vouchers[call.code] else { return .text(400, Messages.notFound) }
        let redeemed = v.kind == .redeemed || (v.kind == .service && v.serviceRedeemed)
            || ([.value, .chargeable].contains(v.kind) && v.balance == 0)
            || (v.kind == .depot && v.activated && v.balance == 0)
        return .json(["code": .string(v.code), "name": v.name.wire, "description": v.description.wire,
                      "balance_in_cents": .int(v.balance), "is_redeemed": .bool(redeemed),
                      "valid_until": v.validUntil.wire])
    }

    func redeem(_ call: inout Call) -> SimulatorAnswer {
        let amount: Int64
        switch takeAmount(&call) {
        case .failure(let refusal): return refusal.answer
        case .success(let a): amount = a
        }
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

    func cancelRedemption(_ call: inout Call) -> SimulatorAnswer {
        guard let token = call.parameters["redeem_token"], !token.isEmpty else {
            return .text(400, "Parameter redeem_token fehlt")
        }
        call.token = token
        let amount: Int64
        switch takeAmount(&call) {
        case .failure(let refusal): return refusal.answer
        case .success(let a): amount = a
        }
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
}
