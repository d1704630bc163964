import EgumaAPI
import Foundation
import Hummingbird
import NIOCore

/// The `/_sim/…` routes through which an out-of-process test drives the simulator.
///
/// - `GET /_sim/ledger`, `GET /_sim/requests`, `GET /_sim/vouchers`, `GET /_sim/faults`
/// - `PUT /_sim/faults/{endpoint|*}` with a `SimulatorFault` JSON body; `DELETE /_sim/faults[/{endpoint|*}]`
/// - `POST /_sim/short_codes` with `{"code": "…"}`: issues a fresh ShortCode (five minutes)
///
/// No key: the simulator holds no real data. Bind it to loopback (the default).
struct SimulatorAdmin {
    let account: SimulatedAccount

    func respond(method: HTTPRequest.Method, path: String, body: ByteBuffer) async throws -> Response {
        let parts = path.split(separator: "/").map(String.init)  // ["_sim", "faults", "redeem"]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        func json<T: Encodable>(_ value: T) throws -> Response {
            SimulatorResponder.response(SimulatorAnswer(status: 200, body: try encoder.encode(value),
                                                        contentType: "application/json; charset=utf-8"))
        }
        switch (method, parts.dropFirst().first ?? "") {
        case (.get, "ledger"): return try json(await account.ledger())
        case (.get, "requests"): return try json(await account.requestLog())
        case (.get, "vouchers"): return try json(await account.voucherList())
        case (.get, "faults"): return try json(await account.currentFaults())
        case (.put, "faults"), (.post, "faults"):
            guard parts.count == 3 else { return SimulatorResponder.response(.text(400, "PUT /_sim/faults/{endpoint|*}")) }
            guard let endpoint = target(parts[2]) else { return unknownEndpoint(parts[2]) }
            do {
                let fault = try JSONDecoder().decode(SimulatorFault.self, from: Data(body.readableBytesView))
                await account.setFault(fault, for: endpoint)
                return try json(fault)
            } catch {
                return SimulatorResponder.response(.text(400, "fault: expected {\"action\": \"none|status|drop_before|drop_after|apply_late\", \"latency_ms\": 0, \"status\": 500, \"body\": \"\", \"count\": null}"))
            }
        case (.delete, "faults"):
            if parts.count == 3 {
                guard let endpoint = target(parts[2]) else { return unknownEndpoint(parts[2]) }
                await account.setFault(nil, for: endpoint)
            } else {
                await account.clearFaults()
            }
            return try json(await account.currentFaults())
        case (.post, "short_codes"):
            struct Ask: Decodable { var code: String; var short_code: String? }
            guard let ask = try? JSONDecoder().decode(Ask.self, from: Data(body.readableBytesView)) else {
                return SimulatorResponder.response(.text(400, "short_codes: expected {\"code\": \"…\"}"))
            }
            guard let short = await account.issueShortCode(for: ask.code, preferred: ask.short_code) else {
                return SimulatorResponder.response(.text(400, "unknown code or no ShortCode free"))
            }
            return try json(SimulatedVoucherFile.ShortCode(shortCode: short, code: SimulatedVoucher.canonical(ask.code)))
        default:
            return SimulatorResponder.response(.text(404, "unknown admin route \(method.rawValue) \(path)"))
        }
    }

    /// `*` is every endpoint (`.some(nil)`); nil means the name is not an endpoint.
    private func target(_ name: String) -> Endpoint?? {
        if name == "*" { return .some(nil) }
        return Endpoint(rawValue: name).map { .some($0) }
    }

    private func unknownEndpoint(_ name: String) -> Response {
        SimulatorResponder.response(.text(400, "unknown endpoint \(name); one of: * \(Endpoint.allCases.map(\.rawValue).joined(separator: " "))"))
    }
}
