#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GateCore

/// The fleet's two secrets, each read from its own file (`password_file`, `code_key_file`) that
/// others may not read: the same layout as the outlets' API key files.
public enum FleetSecrets {
    /// The PostgreSQL password, or nil when no `password_file` is set (trust/peer/cert auth).
    public static func password(_ settings: FleetSettings) throws(FleetError) -> String? {
        guard let path = settings.passwordFile else { return nil }
        let text = try read(path, key: "fleet.password_file")
        return text.trimmingCharacters(in: .newlines)
    }

    /// The site's code key: at least 16 bytes, the same file on every gate of the site.
    public static func codeKey(_ settings: FleetSettings) throws(FleetError) -> [UInt8] {
        guard let path = settings.codeKeyFile else {
            throw FleetError(.configuration, operation: "fleet.code_key_file", reason: "not set",
                             hint: "set code_key_file to the site's secret (the same file on every gate of the site)")
        }
        let key = Array(try read(path, key: "fleet.code_key_file").trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        guard key.count >= 16 else {
            throw FleetError(.configuration, operation: "fleet.code_key_file \(path)", reason: "holds \(key.count) bytes, at least 16 are needed",
                             hint: "write a random secret into it, e.g. head -c 32 /dev/urandom | base64 > \(path)")
        }
        return key
    }

    private static func read(_ path: String, key: String) throws(FleetError) -> String {
        let fix = "chown root:eguma-gate \(path) && chmod 0640 \(path)"
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw FleetError(.configuration, operation: "\(key) \(path)", reason: String(cString: strerror(errno)), hint: "create it, then run: \(fix)")
        }
        if info.st_mode & 0o007 != 0 || info.st_mode & 0o022 != 0 {
            throw FleetError(.configuration, operation: "\(key) \(path)", reason: "mode \(String(info.st_mode & 0o777, radix: 8)) lets others read or write it",
                             hint: "run: \(fix)")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), !text.isEmpty else {
            throw FleetError(.configuration, operation: "\(key) \(path)", reason: "cannot read it as text, or it is empty",
                             hint: "put the secret in it; the service reads it through group eguma-gate: \(fix)")
        }
        return text
    }
}
