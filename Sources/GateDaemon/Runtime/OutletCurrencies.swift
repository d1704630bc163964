import Foundation
import Logging
import Synchronization

/// The currency of each outlet's e-guma account (issue 25): what every amount the gate shows is
/// written in — guest screens, pole displays, `report`.
///
/// An e-guma account has exactly one currency (CHF, or EUR for accounts in Germany and Austria)
/// and every Balance answer names it. Until an outlet's account has answered, the outlet's
/// `currency` key (default "CHF") stands in; from the first answer on, the answer's currency is
/// used and **remembered** in `outlet-currencies.json` beside the journal, so that what has no
/// answer to take it from — the idle price screen after a restart, an offline admission, the
/// report — shows the account's currency, not a guess.
///
/// The file is a small JSON object (`{"spa": "EUR"}`), written atomically (mode 0640) only when
/// a currency changes; a missing or unreadable file means "nothing learnt yet". Only the daemon
/// writes it; `report` reads it.
public final class OutletCurrencies: Sendable {
    /// Used when neither e-guma nor the configuration has said anything.
    public static let defaultCurrency = CurrencyCode.fallback
    /// The file's name, in the directory of `gate.database`.
    public static let fileName = "outlet-currencies.json"

    /// Where the remembered currencies of the gate with this journal live.
    public static func file(besideDatabase database: String) -> String {
        (database as NSString).deletingLastPathComponent.isEmpty
            ? fileName : (database as NSString).deletingLastPathComponent + "/" + fileName
    }

    /// Three capital ASCII letters (an ISO 4217 code such as CHF or EUR). Anything else — from
    /// the configuration or from an answer — is never shown to a guest.
    public static func isCurrencyCode(_ text: String) -> Bool { CurrencyCode.isValid(text) }

    /// What the file holds (empty when it is missing or unreadable; invalid entries are dropped).
    public static func load(file: String) -> [String: String] {
        guard let data = FileManager.default.contents(atPath: file),
              let object = try? JSONDecoder().decode([String: String].self, from: data) else { return [:] }
        return object.filter { isCurrencyCode($0.value) }
    }

    private let file: String?
    private let configured: Mutex<[String: String]>
    private let learnt: Mutex<[String: String]>
    private let logger: Logger

    /// - Parameters:
    ///   - file: where to remember answers; nil keeps them in memory only (tests, demo).
    ///   - configured: each outlet's `currency` key.
    public init(file: String?, configured: [String: String], logger: Logger = Logger(label: "eguma-gate.currency")) {
        self.file = file; self.logger = logger
        self.configured = Mutex(configured)
        self.learnt = Mutex(file.map(Self.load) ?? [:])
    }

    /// The currency to show for `outlet` now: the remembered answer, else the configured one.
    public func currency(of outlet: String) -> String {
        learnt.withLock { $0[outlet] } ?? configured.withLock { $0[outlet] } ?? Self.defaultCurrency
    }

    /// A reload changed the `currency` keys (they matter only until the first answer).
    public func update(configured: [String: String]) { self.configured.withLock { $0 = configured } }

    /// e-guma answered for `outlet` with `currency` (nil: the answer named none). Remembers it,
    /// and writes the file when it changed.
    public func learn(_ currency: String?, outlet: String) {
        guard let currency else { return }
        guard Self.isCurrencyCode(currency) else {
            logger.warning("outlet \(outlet): e-guma named the currency \"\(currency.prefix(12))\", not a three-letter code — amounts keep showing \(self.currency(of: outlet))")
            return
        }
        let all: [String: String]? = learnt.withLock { known in
            guard known[outlet] != currency else { return nil }
            known[outlet] = currency
            return known
        }
        guard let all else { return }
        logger.notice("outlet \(outlet): the e-guma account's currency is \(currency)")
        guard let file else { return }
        do {
            let data = try JSONEncoder.sorted.encode(all)
            try AtomicFile.write(Array(data), to: file, mode: 0o640)
        } catch {
            logger.warning("outlet \(outlet): cannot remember the currency \(currency) in \(file): \(error) — it is learnt again from the next answer after a restart")
        }
    }
}

private extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
