import Foundation
import NIOCore

/// A POST body as flat text parameters: JSON objects (what clients must send) and
/// `application/x-www-form-urlencoded` (what e-guma's old .NET sample sends) both work.
enum BodyParameters {
    struct Problem: Error { let message: String }

    private enum Scalar: Decodable {
        case text(String), null
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .null }
            else if let b = try? c.decode(Bool.self) { self = .text(b ? "true" : "false") }
            else if let n = try? c.decode(Int64.self) { self = .text(String(n)) }
            else if let d = try? c.decode(Double.self) {
                // 1500.0 from a sloppy encoder is still 1500; 12.5 stays visibly not an integer.
                self = .text(d == d.rounded() && abs(d) < 9e15 ? String(Int64(d)) : String(d))
            }
            else if let s = try? c.decode(String.self) { self = .text(s) }
            else { self = .text("") }  // nested objects/arrays: no e-guma parameter is one
        }
    }

    static func parse(_ buffer: ByteBuffer, contentType: String?) -> Result<[String: String], Problem> {
        let bytes = Array(buffer.readableBytesView)
        let text = String(decoding: bytes, as: UTF8.self)
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return .success([:]) }
        let type = contentType?.lowercased() ?? ""
        if type.hasPrefix("application/x-www-form-urlencoded") || (!type.contains("json") && !trimmed.hasPrefix("{")) {
            return .success(FormDecoding.decode(trimmed))
        }
        do {
            let object = try JSONDecoder().decode([String: Scalar].self, from: Data(bytes))
            var out: [String: String] = [:]
            for (key, value) in object { if case .text(let s) = value { out[key] = s } }
            return .success(out)
        } catch {
            return .failure(Problem(message: "Ungültiger JSON-Body: ein JSON-Objekt wird erwartet"))
        }
    }
}
