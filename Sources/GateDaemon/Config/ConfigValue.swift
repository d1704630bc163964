import TOMLKit

/// A parsed TOML document as plain, `Sendable` values, so validation never touches TOMLKit's
/// reference types and errors can name the key path.
public indirect enum ConfigValue: Sendable, Equatable {
    case string(String)
    case integer(Int)
    case double(Double)
    case bool(Bool)
    case array([ConfigValue])
    case table([String: ConfigValue])
    /// Dates and times: kept as text; no key of ours takes one.
    case other(String)

    /// Parses TOML text. Syntax errors carry TOML's line and column.
    public static func parse(toml text: String, file: String) throws(ConfigError) -> [String: ConfigValue] {
        try TableHeaderCheck.check(text, file: file)
        try TOMLSyntaxGuard.check(text, file: file)
        do {
            let table = try TOMLTable(string: text)
            return convert(table)
        } catch let error as TOMLParseError {
            throw ConfigError(file: file, key: nil, line: error.source.begin.line,
                              reason: "not valid TOML: \(error.description)")
        } catch {
            throw ConfigError(file: file, key: nil, line: nil, reason: "not valid TOML")
        }
    }

    private static func convert(_ table: TOMLTable) -> [String: ConfigValue] {
        var out: [String: ConfigValue] = [:]
        for (key, value) in table { out[key] = convert(value) }
        return out
    }

    private static func convert(_ value: any TOMLValueConvertible) -> ConfigValue {
        switch value.type {
        case .table: return value.table.map { .table(convert($0)) } ?? .other("")
        case .array: return .array(value.array.map { $0.map { convert($0) } } ?? [])
        case .string: return .string(value.string ?? "")
        case .int: return .integer(value.int ?? 0)
        case .double: return .double(value.double ?? 0)
        case .bool: return .bool(value.bool ?? false)
        default: return .other(value.debugDescription)
        }
    }

    /// How this value's type is called in error messages.
    public var typeName: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .double: "a number"
        case .bool: "true/false"
        case .array: "a list"
        case .table: "a table"
        case .other: "a date/time"
        }
    }
}
