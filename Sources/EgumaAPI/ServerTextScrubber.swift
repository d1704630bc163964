/// Cleans every text e-guma (or anything answering in its place) sends back, at the one boundary
/// where answers enter the program (`AnswerDecoder`), so no log, event, display or CLI output can
/// show the API key, whatever the server echoes.
///
/// A server may quote the request URL in a message — in an error body, but also in the `message`
/// of a 200 answer — and the key travels in that URL (`?apikey=`). Scrubbing removes:
/// - the key itself, raw and percent-encoded as the client sent it;
/// - the value of any `apikey=` / `api_key=` parameter, whoever's key it is;
/// - control characters (newlines, escape sequences), which could forge log lines or drive a
///   terminal or pole display; each becomes a space.
public struct ServerTextScrubber: Sendable {
    private let secrets: [String]

    /// - Parameter key: the key of the call whose answer is cleaned (nil: only the patterns apply).
    public init(key: APIKey?) {
        var secrets: [String] = []
        if let key, !key.isEmpty {
            secrets.append(key.secret)
            let encoded = Endpoint.encodePathSegment(key.secret)
            if encoded != key.secret { secrets.append(encoded) }
        }
        self.secrets = secrets
    }

    public static let mask = "•••"

    public func scrub(_ text: String) -> String {
        var out = text
        for secret in secrets where out.contains(secret) {
            out = out.replacingOccurrences(of: secret, with: Self.mask)
        }
        out = Self.maskKeyParameters(out)
        return Self.replacingControlCharacters(out)
    }

    /// `apikey=SOMETHING` → `apikey=•••` (case-insensitive; the value ends at `&`, white space,
    /// a quote, `<`, `>` or `#`).
    static func maskKeyParameters(_ text: String) -> String {
        let lower = Array(text.lowercased().unicodeScalars)
        let scalars = Array(text.unicodeScalars)
        // Lower-casing can change the length for a few scalars; then match on the original.
        let haystack = lower.count == scalars.count ? lower : scalars
        let names: [[Unicode.Scalar]] = ["apikey=", "api_key=", "apikey%3d", "api_key%3d"].map { Array($0.unicodeScalars) }
        var out = String.UnicodeScalarView()
        var i = 0
        var changed = false
        outer: while i < scalars.count {
            for name in names where i + name.count <= haystack.count && Array(haystack[i..<(i + name.count)]) == name {
                out.append(contentsOf: scalars[i..<(i + name.count)])
                i += name.count
                var end = i
                while end < scalars.count, !isValueEnd(scalars[end]) { end += 1 }
                if end > i { out.append(contentsOf: mask.unicodeScalars); changed = true }
                i = end
                continue outer
            }
            out.append(scalars[i])
            i += 1
        }
        return changed ? String(out) : text
    }

    private static func isValueEnd(_ s: Unicode.Scalar) -> Bool {
        switch s {
        case "&", " ", "\t", "\n", "\r", "\"", "'", "<", ">", "#", "\\": return true
        default: return false
        }
    }

    static func replacingControlCharacters(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = String.UnicodeScalarView()
        for s in text.unicodeScalars { out.append(isControl(s) ? " " : s) }
        return String(out)
    }

    private static func isControl(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x20 || (0x7F...0x9F).contains(s.value) || s.value == 0x2028 || s.value == 0x2029
    }
}
