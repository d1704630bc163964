import EgumaAPI
import Foundation

// The List of Voucher Redemptions endpoint (reconciliation), over the whole account.
extension SimulatedAccount {
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
        var user: EgumaID?
        if let text = parameters["user_id"], !text.isEmpty {
            guard let id = EgumaID(text: text) else { return .text(400, "Parameter user_id ist keine Benutzer-ID") }
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
                "user": .fields(["id": r.outlet.userID.wire, "name": .string(r.outlet.userName)]),
                "product": .fields(["id": r.productId.wire, "name": r.productName.wire]),
                "issuer": .fields(["name": .string("Simulated e-guma account"), "is_third_party": .bool(false)]),
            ])
        }
        return .jsonArray(items)
    }
}
