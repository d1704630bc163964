/// Catches, before TOMLKit sees the text, a table header whose name starts with a character a
/// TOML key cannot start with (`[)gate]`, `[été]`, `[[ #x ]]`, `[` alone on its line): toml++
/// inside TOMLKit does not report that as a syntax error but fails an internal assertion and
/// aborts the whole process (found by the `config` fuzz target). `config check` and `run` must
/// answer with the line and advice instead.
///
/// Works on the UTF-8 bytes toml++ reads (not on Swift characters, where `[` and a following
/// combining mark are one character), line by line: a line inside a multi-line string that
/// looks like such a header would be refused too — no key of ours takes a multi-line string.
enum TableHeaderCheck {
    static func check(_ text: String, file: String) throws(ConfigError) {
        let bytes = Array(text.utf8)
        var line = 1
        var i = 0
        while i < bytes.count {
            var j = i
            while j < bytes.count, bytes[j] == 0x20 || bytes[j] == 0x09 { j += 1 }
            if j < bytes.count, bytes[j] == UInt8(ascii: "[") {
                j += 1
                if j < bytes.count, bytes[j] == UInt8(ascii: "[") { j += 1 }
                while j < bytes.count, bytes[j] == 0x20 || bytes[j] == 0x09 { j += 1 }
                if j >= bytes.count || !mayStartName(bytes[j]) {
                    throw ConfigError(file: file, key: nil, line: line,
                                      reason: "the table name starts with \(describe(bytes[j...])), which a TOML name cannot start with — "
                                          + "use ASCII letters, digits, - and _ (e.g. [lanes.main]), or quote the name")
                }
            }
            guard let newline = bytes[i...].firstIndex(of: 0x0A) else { break }
            i = newline + 1
            line += 1
        }
    }

    /// A bare-key character, a quote, or the end of the header (an empty name is a normal error).
    private static func mayStartName(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "]"):
            return true
        default:
            return false
        }
    }

    private static func describe(_ rest: ArraySlice<UInt8>) -> String {
        guard let scalar = String(decoding: rest.prefix(4), as: UTF8.self).unicodeScalars.first, rest.first != 0x0A,
              rest.first != 0x0D else { return "the end of the line" }
        return scalar.value < 0x20 || scalar.value == 0x7F ? "a control character" : "\"\(scalar)\""
    }
}
