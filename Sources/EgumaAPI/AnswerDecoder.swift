import Foundation

/// Turns e-guma's HTTP answer (status and body) into a typed model or an `EgumaError.Kind`,
/// with every text already scrubbed (`ServerTextScrubber`).
///
/// The one boundary through which server text enters: a 2xx body is parsed once into a JSON
/// tree and the model is read from that tree through `ScrubbingTreeDecoder`, which scrubs every
/// string (values and keys) as it hands it out — so a model added later is clean without naming
/// its fields, and no answer is parsed twice; error bodies are scrubbed as plain text. Free of
/// networking so that it can be fuzzed on its own.
public struct AnswerDecoder: Sendable {
    public let scrubber: ServerTextScrubber
    /// How much of an error body is kept (e-guma's are one sentence).
    public static let errorTextLimit = 1000

    public init(key: APIKey?) { scrubber = ServerTextScrubber(key: key) }

    /// - Parameters: endpoint, maskedCode: what the error names.
    public func decode<Answer: Decodable>(_ type: Answer.Type = Answer.self, status: Int, body: [UInt8],
                                          endpoint: Endpoint, maskedCode: String) -> Result<Answer, EgumaError> {
        kind(status: status, body: body).mapError { EgumaError(kind: $0.kind, endpoint: endpoint, maskedCode: maskedCode) }
    }

    private struct Failure: Error { let kind: EgumaError.Kind }

    private func kind<Answer: Decodable>(status: Int, body: [UInt8]) -> Result<Answer, Failure> {
        switch status {
        case 200..<300:
            do {
                let tree = try JSONDecoder().decode(JSONValue.self, from: Data(body))
                return .success(try Answer(from: ScrubbingTreeDecoder(tree, scrubber: scrubber)))
            } catch {
                return .failure(Failure(kind: .undecodable(detail: Self.describeDecoding(error))))
            }
        case 400: return .failure(Failure(kind: .badRequest(message: errorText(body))))
        case 401: return .failure(Failure(kind: .unauthorized(message: errorText(body))))
        default: return .failure(Failure(kind: .httpStatus(code: status, message: errorText(body))))
        }
    }

    /// An error body as plain text: cut, scrubbed, trimmed.
    public func errorText(_ body: [UInt8]) -> String {
        scrubber.scrub(String(decoding: body.prefix(Self.errorTextLimit), as: UTF8.self))
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func describeDecoding(_ error: any Error) -> String {
        guard let e = error as? DecodingError else { return "not JSON" }
        switch e {
        case .keyNotFound(let key, _): return "field \(key.stringValue) is missing"
        case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx), .dataCorrupted(let ctx):
            let path = ctx.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? "not valid JSON" : "field \(path) has an unexpected value"
        @unknown default: return "not valid JSON"
        }
    }
}

/// Any JSON value: an answer's body parsed once, read by `ScrubbingTreeDecoder`.
enum JSONValue: Decodable, Sendable {
    case null, bool(Bool), integer(Int64), number(Double), string(String)
    case array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .integer(i) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }
}
