import EgumaAPI
import Foundation

// Activate and deactivate, with their status calls: depot vouchers.
extension SimulatedAccount {
    func activateStatus(_ call: inout Call) -> SimulatorAnswer {
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

    func activate(_ call: inout Call) -> SimulatorAnswer {
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

    func deactivationRefusal(_ v: VoucherState) -> String? {
        if v.kind != .depot { return Messages.notDepot }
        if !v.activated { return Messages.depotNotActivated }
        if v.balance != v.total { return "Gutschein wurde bereits eingelöst und kann nicht deaktiviert werden" }
        return nil
    }

    func deactivateStatus(_ call: inout Call) -> SimulatorAnswer {
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

    func deactivate(_ call: inout Call) -> SimulatorAnswer {
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
}
