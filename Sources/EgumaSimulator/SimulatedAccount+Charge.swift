import EgumaAPI
import Foundation

// Charge status, charge and cancel-charge: topping up a chargeable voucher.
extension SimulatedAccount {
    func chargeStatus(_ call: inout Call) -> SimulatorAnswer {
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

    func charge(_ call: inout Call) -> SimulatorAnswer {
        let amount: Int64
        switch takeAmount(&call) {
        case .failure(let refusal): return refusal.answer
        case .success(let a): amount = a
        }
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

    func cancelCharge(_ call: inout Call) -> SimulatorAnswer {
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
}
