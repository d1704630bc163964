import EgumaAPI

/// How eguma-gate writes TOML values — `config show`, `config set` and `setup` alike: one string
/// quoting and one duration format, so whatever is written reads back as the same value.
enum TOMLText {
    /// A TOML basic string: quotes, backslashes and control characters escaped, so a name, a path
    /// or a udev property with any character stays one value.
    static func string(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case _ where scalar.value < 0x20 || scalar.value == 0x7f:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Whole milliseconds, as every `*_ms` key is written.
    static func milliseconds(_ duration: Duration) -> Int64 { duration.milliseconds }
}
