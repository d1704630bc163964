import Foundation

/// `config set KEY VALUE`: edits one key in the TOML text, keeping every comment and the layout.
///
/// Only the line holding the key changes (or one line is added under its table header when the
/// key is absent). Keys inside inline tables (`scanner = { … }`) are set by replacing the whole
/// inline table: `config set lanes.main.scanner '{ kind = "stdin" }'`. The edited text is
/// validated as a whole before anything is written; the write is atomic (temp file, fsync,
/// rename — `AtomicFile`), so a power cut leaves either the old or the new file, and the file
/// keeps its owner, group and mode.
public enum ConfigEditor {
    /// Returns the edited text. `value` is a TOML value; a bare word that is not a number, boolean,
    /// list or table is quoted as a string (`config set gate.name spa-south`).
    public static func set(key: String, value: String, in text: String, file: String) throws(ConfigError) -> String {
        let parts = key.split(separator: ".").map(String.init)
        guard parts.count >= 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" } }) else {
            throw ConfigError(file: file, key: key, line: nil, reason: "not a key path — write it like gate.name or lanes.main.price")
        }
        let tomlValue = literal(value)
        var lines = text.components(separatedBy: "\n")
        let name = parts.last!
        let header = "[" + parts.dropLast().joined(separator: ".") + "]"
        let headerIndex = lines.firstIndex { $0.trimmingCharacters(in: .whitespaces) == header }
        if let headerIndex {
            var i = headerIndex + 1
            while i < lines.count {
                let trimmed = lines[i].trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix("[") { break }
                if trimmed.hasPrefix(name + " ") || trimmed.hasPrefix(name + "=") {
                    let indent = String(lines[i].prefix { $0 == " " || $0 == "\t" })
                    lines[i] = "\(indent)\(name) = \(tomlValue)\(trailingComment(trimmed))"
                    return lines.joined(separator: "\n")
                }
                i += 1
            }
            // Absent: add it after the last key line of the table.
            var insertAt = headerIndex + 1
            var j = headerIndex + 1
            while j < lines.count, !lines[j].trimmingCharacters(in: .whitespaces).hasPrefix("[") {
                if !lines[j].trimmingCharacters(in: .whitespaces).isEmpty { insertAt = j + 1 }
                j += 1
            }
            lines.insert("\(name) = \(tomlValue)", at: insertAt)
            return lines.joined(separator: "\n")
        }
        // No such table yet: append it.
        if lines.last?.isEmpty == false { lines.append("") }
        lines.append(header)
        lines.append("\(name) = \(tomlValue)")
        lines.append("")
        return lines.joined(separator: "\n")
    }

    /// Writes `text` to `path` atomically and durably, keeping the old file's owner, group and
    /// mode (`AtomicFile`). `mode` applies to a new file only.
    public static func writeAtomically(_ text: String, to path: String, mode: Int = 0o640) throws(ConfigError) {
        do {
            try AtomicFile.write(text, to: path, mode: mode_t(mode))
        } catch {
            throw ConfigError(file: path, key: nil, line: nil, reason: error.description)
        }
    }

    static func literal(_ value: String) -> String {
        let v = value.trimmingCharacters(in: .whitespaces)
        if v == "true" || v == "false" { return v }
        if Int(v) != nil { return v }
        if v.hasPrefix("\"") || v.hasPrefix("[") || v.hasPrefix("{") || v.hasPrefix("'") { return v }
        return TOMLText.string(v)
    }

    /// Keeps a `# comment` at the end of the replaced line (outside of strings, roughly).
    private static func trailingComment(_ line: String) -> String {
        var inString = false
        var previous: Character = " "
        for (offset, c) in line.enumerated() {
            if c == "\"" && previous != "\\" { inString.toggle() }
            if c == "#" && !inString {
                let index = line.index(line.startIndex, offsetBy: offset)
                return "  " + line[index...]
            }
            previous = c
        }
        return ""
    }
}
