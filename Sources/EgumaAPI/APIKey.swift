/// An e-guma API key. Each outlet has its own (e-guma certification checklist, item 1).
///
/// The key travels in the query string (`?apikey=`), so it is the most exposed secret in the
/// system. This type never prints it: `description`, `debugDescription` and reflection (`dump`,
/// string interpolation in logs) all show a fixed mask. Only the client reads `secret`.
public struct APIKey: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    let secret: String

    /// Leading and trailing white space (a key file's final newline) is removed.
    public init(_ secret: String) {
        self.secret = secret.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public var isEmpty: Bool { secret.isEmpty }

    /// The key itself, only for writing it to its key file (`setup`). Never log this.
    public var secretForStorage: String { secret }

    public var description: String { "APIKey(•••)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    /// Replaces every occurrence of this key in `text` (a server message, an error text).
    public func redact(_ text: String) -> String {
        guard !secret.isEmpty else { return text }
        return text.replacingOccurrences(of: secret, with: "•••")
    }

    /// Whether `candidate` is this key, compared without early exit.
    public func matches(_ candidate: String) -> Bool {
        let a = Array(secret.utf8), b = Array(candidate.utf8)
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in a.indices { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}

import Foundation
