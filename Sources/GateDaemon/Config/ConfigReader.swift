/// Reads typed values out of one TOML table, remembering which keys were used so that unknown
/// keys (typos such as `pric = "25.00"`) are reported instead of silently ignored.
///
/// Problems are collected, not thrown one by one, so a technician sees every mistake at once.
public final class ConfigReader {
    public let path: String
    private let table: [String: ConfigValue]
    private var used: Set<String> = []
    private let context: ConfigContext

    init(table: [String: ConfigValue], path: String, context: ConfigContext) {
        self.table = table; self.path = path; self.context = context
    }

    func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    func problem(_ name: String?, _ reason: String) {
        let full = name.map(key) ?? path
        context.add(ConfigError(file: context.file, key: full.isEmpty ? nil : full,
                                line: context.line(of: full), reason: reason))
    }

    func has(_ name: String) -> Bool { table[name] != nil }

    /// The keys of this table, sorted.
    var keys: [String] { table.keys.sorted() }

    func raw(_ name: String) -> ConfigValue? {
        used.insert(name)
        return table[name]
    }

    func string(_ name: String) -> String? {
        guard let value = raw(name) else { return nil }
        guard case .string(let s) = value else { problem(name, "expected a string, found \(value.typeName)"); return nil }
        return s
    }

    func string(_ name: String, default value: String) -> String { string(name) ?? value }

    func integer(_ name: String, range: ClosedRange<Int>? = nil) -> Int? {
        guard let value = raw(name) else { return nil }
        guard case .integer(let i) = value else { problem(name, "expected an integer, found \(value.typeName)"); return nil }
        if let range, !range.contains(i) {
            problem(name, "\(i) is out of range — use \(range.lowerBound)…\(range.upperBound)")
            return nil
        }
        return i
    }

    func integer(_ name: String, default value: Int, range: ClosedRange<Int>? = nil) -> Int {
        integer(name, range: range) ?? value
    }

    func bool(_ name: String, default value: Bool) -> Bool {
        guard let raw = raw(name) else { return value }
        guard case .bool(let b) = raw else { problem(name, "expected true or false, found \(raw.typeName)"); return value }
        return b
    }

    func strings(_ name: String) -> [String] {
        guard let value = raw(name) else { return [] }
        guard case .array(let items) = value else { problem(name, "expected a list of strings, found \(value.typeName)"); return [] }
        var out: [String] = []
        for item in items {
            switch item {
            case .string(let s): out.append(s)
            case .integer(let i): out.append(String(i))  // product ids may be written as numbers
            default: problem(name, "expected a list of strings, found \(item.typeName) in it")
            }
        }
        return out
    }

    /// One of a fixed set of words (`deny`/`admit`, `cr`/`lf`/…).
    func choice(_ name: String, _ allowed: [String], default value: String) -> String {
        guard let s = string(name) else { return value }
        guard allowed.contains(s) else {
            problem(name, "\"\(s)\" is not one of \(allowed.map { "\"\($0)\"" }.joined(separator: ", "))")
            return value
        }
        return s
    }

    func table(_ name: String) -> ConfigReader? {
        guard let value = raw(name) else { return nil }
        guard case .table(let t) = value else { problem(name, "expected a table, found \(value.typeName)"); return nil }
        return ConfigReader(table: t, path: key(name), context: context)
    }

    /// Every sub-table (`[lanes.main]`, `[lanes.side]` …) in key order.
    func tables() -> [(String, ConfigReader)] {
        table.keys.sorted().compactMap { name in
            guard let r = table(name) else { return nil }
            return (name, r)
        }
    }

    /// Reports keys nobody asked for. Call after reading a table.
    func rejectUnknownKeys(hint: String? = nil) {
        for name in table.keys.sorted() where !used.contains(name) {
            // The keys this table's parser asked for are exactly the known ones.
            if let guess = NameSuggestion.closest(to: name, among: used.filter { table[$0] == nil }) {
                problem(name, "unknown key — did you mean \"\(guess)\"?")
            } else {
                problem(name, "unknown key\(hint.map { " — \($0)" } ?? "")")
            }
        }
    }
}

/// Shared by every reader of one file: the collected problems and the text for line lookups.
final class ConfigContext {
    let file: String
    private let lines: [Substring]
    private(set) var errors: [ConfigError] = []

    init(file: String, text: String) {
        self.file = file
        self.lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    }

    func add(_ error: ConfigError) { errors.append(error) }

    /// Best-effort line of a dotted key: the `[a.b]` header, then `key =` below it (or inside an
    /// inline table on one line). Nil when not found (e.g. a key that is missing).
    func line(of dotted: String) -> Int? {
        let parts = dotted.split(separator: ".").map(String.init)
        guard !parts.isEmpty else { return nil }
        // Longest table header that prefixes the key.
        var start = 0
        var rest = parts
        for n in stride(from: parts.count, through: 1, by: -1) {
            let header = "[" + parts[0..<n].joined(separator: ".") + "]"
            if let i = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == header }) {
                if n == parts.count { return i + 1 }
                start = i + 1
                rest = Array(parts[n...])
                break
            }
        }
        guard let first = rest.first else { return nil }
        for i in start..<lines.count {
            let line = lines[i].trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") && i > start && start > 0 { break }  // next table
            if line.hasPrefix("#") { continue }
            if line.hasPrefix(first + " ") || line.hasPrefix(first + "=") { return i + 1 }
        }
        return nil
    }
}

import Foundation
