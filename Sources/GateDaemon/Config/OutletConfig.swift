#if canImport(Glibc)
import Glibc
#endif
import EgumaAPI
import Foundation

/// One outlet: where its e-guma API key comes from. Each outlet has its own key (e-guma
/// certification checklist item 1); the key itself never lives in the main config file.
public struct OutletConfig: Sendable, Equatable {
    public enum KeySource: Sendable, Equatable {
        /// A file readable only by root and the service (`root:eguma-gate 0640`; 0600 also passes).
        case file(String)
        /// An environment variable (e.g. from systemd `LoadCredential`/`Environment`).
        case environment(String)
    }

    public var name: String
    public var keySource: KeySource
    /// The e-guma user the outlet's key belongs to (`user_id`): reconciliation and the settle
    /// checks read only this user's rows of the redemption list. Nil: reconcile infers it from
    /// the rows that match the journal, and settle checks use Balance only. A TOML integer or
    /// string (e-guma sends user ids as either), compared as canonical text.
    public var userID: EgumaID?
    /// The account's currency until e-guma has answered (`currency`, default "CHF"); afterwards
    /// the currency of e-guma's answers is remembered per outlet (`OutletCurrencies`).
    public var currency: String

    public init(name: String, keySource: KeySource, userID: EgumaID? = nil, currency: String = CurrencyCode.fallback) {
        self.name = name; self.keySource = keySource; self.userID = userID; self.currency = currency
    }

    /// Reads the key, refusing key files that others could read or anyone but the owner write.
    /// Errors name the outlet key and say what to do; they never contain the key.
    public func loadKey(environment: [String: String] = ProcessInfo.processInfo.environment,
                        configFile: String) throws(ConfigError) -> APIKey {
        switch keySource {
        case .environment(let variable):
            guard let value = environment[variable], !APIKey(value).isEmpty else {
                throw ConfigError(file: configFile, key: "outlets.\(name).api_key_env", line: nil,
                                  reason: "environment variable \(variable) is not set or empty — set it in the service environment")
            }
            return APIKey(value)
        case .file(let path):
            let key = "outlets.\(name).api_key_file"
            let fix = Self.layoutAdvice(path)
            var info = stat()
            guard stat(path, &info) == 0 else {
                let why = String(cString: strerror(errno))
                throw ConfigError(file: configFile, key: key, line: nil,
                                  reason: "cannot read \(path): \(why) — put the outlet's API key in it, then run: \(fix)")
            }
            let mode = info.st_mode & 0o777
            if mode & 0o022 != 0 || mode & 0o007 != 0 {
                throw ConfigError(file: configFile, key: key, line: nil,
                                  reason: "\(path) has mode \(String(mode, radix: 8)): others may read it or others/group may write it — run: \(fix)")
            }
            if info.st_uid != 0 && info.st_uid != geteuid() {
                throw ConfigError(file: configFile, key: key, line: nil,
                                  reason: "\(path) is owned by uid \(info.st_uid), neither root nor the service user — run: \(fix)")
            }
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ConfigError(file: configFile, key: key, line: nil,
                                  reason: "cannot read \(path) as text — the service reads it through group eguma-gate: \(fix)")
            }
            let apiKey = APIKey(text)
            guard !apiKey.isEmpty else {
                throw ConfigError(file: configFile, key: key, line: nil, reason: "\(path) is empty — put the outlet's API key in it")
            }
            return apiKey
        }
    }

    /// The documented key-file layout (README, the package): owned by root, readable by the
    /// service's group, by nobody else. `chmod 600` alone would lock the service user out.
    public static func layoutAdvice(_ path: String) -> String {
        "chown root:eguma-gate \(path) && chmod 0640 \(path)"
    }
}
