import Foundation

/// What the simulator answers to one call: JSON on success, plain text on errors, as e-guma does.
struct SimulatorAnswer: Sendable {
    var status: Int
    var body: Data
    var contentType: String

    static func json(_ fields: [String: WireValue]) -> SimulatorAnswer {
        SimulatorAnswer(status: 200, body: WireValue.object(fields), contentType: "application/json; charset=utf-8")
    }

    static func jsonArray(_ items: [WireValue]) -> SimulatorAnswer {
        SimulatorAnswer(status: 200, body: Data(WireValue.list(items).json.utf8), contentType: "application/json; charset=utf-8")
    }

    static func text(_ status: Int, _ text: String) -> SimulatorAnswer {
        SimulatorAnswer(status: status, body: Data((text + "\n").utf8), contentType: "text/plain; charset=utf-8")
    }

    /// The body as text (for the ledger's message of refused calls).
    var text: String { String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
}
