import Foundation
import Logging

/// The per-lane secret that lets a lane's own screen submit typed codes (`keypad = true`).
///
/// The kiosk listener is on the venue network; anyone who can reach it could otherwise type codes
/// into a lane, or trip its code-guessing guard and lock it. So each keypad lane has a secret,
/// generated once (128 random bits, hex) and kept in `keypad-LANE.key` beside the journal (mode
/// 0600, the service user's only); the lane's screen opens `/lanes/LANE?key=SECRET`. Without the
/// right key the page shows no keypad and a submission is refused with 403 before it reaches the
/// lane. Deleting the file and restarting the daemon issues a new secret (the old URL stops working).
public enum KeypadKeys {
    /// `keypad-LANE.key` in the directory of `gate.database`.
    public static func file(lane: String, besideDatabase database: String) -> String {
        let dir = (database as NSString).deletingLastPathComponent
        return (dir.isEmpty ? "" : dir + "/") + "keypad-\(lane).key"
    }

    /// The secret of every keypad lane, read or created. A lane whose secret can be neither read
    /// nor written is left out (its keypad refuses every submission) and logged with the reason.
    public static func prepare(lanes: [String], besideDatabase database: String, logger: Logger) -> [String: String] {
        var keys: [String: String] = [:]
        for lane in lanes {
            let path = file(lane: lane, besideDatabase: database)
            if let data = FileManager.default.contents(atPath: path) {
                let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                if text.count >= 16 { keys[lane] = text; continue }
            }
            let secret = generate()
            do {
                try AtomicFile.write(secret + "\n", to: path, mode: 0o600)
                keys[lane] = secret
                logger.notice("lane \(lane): new keypad secret in \(path) — open the lane's screen at /lanes/\(lane)?key=<the file's content>")
            } catch {
                logger.error("lane \(lane): the keypad secret \(path) cannot be written: \(error) — the keypad refuses every code until it can")
            }
        }
        return keys
    }

    /// 128 random bits as 32 hex digits.
    static func generate() -> String {
        var rng = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &rng)) }.joined()
    }

    /// Compares in time independent of where the strings differ.
    static func matches(_ given: String?, _ expected: String?) -> Bool {
        guard let given, let expected else { return false }
        let a = Array(given.utf8), b = Array(expected.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
