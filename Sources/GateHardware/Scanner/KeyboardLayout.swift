import GateCore

/// Linux evdev key codes → characters for the keyboard layouts a keyboard-wedge scanner can be
/// programmed for. Scanners "type" each character as the key that produces it on the configured
/// layout, so reading with the wrong layout garbles codes (Y and Z swap between `us` and `ch`).
///
/// The tables are data: key code → (unshifted, shifted). Only keys a scanner may send for
/// printable ASCII and the layout's own characters are listed; anything else is ignored.
public struct KeyboardLayout: Sendable {
    /// The two characters of one key.
    public struct Key: Sendable, Equatable {
        public let plain: Character
        public let shifted: Character
        public init(_ plain: Character, _ shifted: Character) {
            self.plain = plain
            self.shifted = shifted
        }
    }

    public let name: LaneScannerConfig.Layout
    public let keys: [UInt16: Key]

    public static func named(_ layout: LaneScannerConfig.Layout) -> KeyboardLayout {
        switch layout {
        case .us: .us
        case .de: .de
        case .ch: .ch
        }
    }

    /// Letter rows by key code. QWERTY for `us`; QWERTZ (Y and Z swapped) for `de` and `ch`.
    private static func letters(qwertz: Bool) -> [UInt16: Key] {
        let rows: [(UInt16, String)] = [
            (16, qwertz ? "qwertzuiop" : "qwertyuiop"), (30, "asdfghjkl"), (44, qwertz ? "yxcvbnm" : "zxcvbnm"),
        ]
        var keys: [UInt16: Key] = [:]
        for (first, row) in rows {
            for (offset, c) in row.enumerated() {
                keys[first + UInt16(offset)] = Key(c, Character(c.uppercased()))
            }
        }
        return keys
    }

    /// Digit row 1…0 is key codes 2…11 on every layout; only the shifted symbols differ.
    private static func digits(shifted: String) -> [UInt16: Key] {
        var keys: [UInt16: Key] = [:]
        for (offset, (plain, shift)) in zip("1234567890", shifted).enumerated() {
            keys[2 + UInt16(offset)] = Key(plain, shift)
        }
        return keys
    }

    /// Numeric keypad (NumLock on, as scanners that use it assume): same on every layout.
    private static let keypad: [UInt16: Key] = [
        71: Key("7", "7"), 72: Key("8", "8"), 73: Key("9", "9"), 74: Key("-", "-"),
        75: Key("4", "4"), 76: Key("5", "5"), 77: Key("6", "6"), 78: Key("+", "+"),
        79: Key("1", "1"), 80: Key("2", "2"), 81: Key("3", "3"), 82: Key("0", "0"),
        83: Key(".", "."), 55: Key("*", "*"), 98: Key("/", "/"), 57: Key(" ", " "),
    ]

    public static let us = KeyboardLayout(name: .us, keys: merged(
        letters(qwertz: false), digits(shifted: "!@#$%^&*()"), keypad,
        [
            12: Key("-", "_"), 13: Key("=", "+"), 26: Key("[", "{"), 27: Key("]", "}"),
            39: Key(";", ":"), 40: Key("'", "\""), 41: Key("`", "~"), 43: Key("\\", "|"),
            51: Key(",", "<"), 52: Key(".", ">"), 53: Key("/", "?"), 86: Key("\\", "|"),
        ]))

    public static let de = KeyboardLayout(name: .de, keys: merged(
        letters(qwertz: true), digits(shifted: "!\"§$%&/()="), keypad,
        [
            12: Key("ß", "?"), 13: Key("´", "`"), 26: Key("ü", "Ü"), 27: Key("+", "*"),
            39: Key("ö", "Ö"), 40: Key("ä", "Ä"), 41: Key("^", "°"), 43: Key("#", "'"),
            51: Key(",", ";"), 52: Key(".", ":"), 53: Key("-", "_"), 86: Key("<", ">"),
        ]))

    /// Swiss German.
    public static let ch = KeyboardLayout(name: .ch, keys: merged(
        letters(qwertz: true), digits(shifted: "+\"*ç%&/()="), keypad,
        [
            12: Key("'", "?"), 13: Key("^", "`"), 26: Key("ü", "è"), 27: Key("¨", "!"),
            39: Key("ö", "é"), 40: Key("ä", "à"), 41: Key("§", "°"), 43: Key("$", "£"),
            51: Key(",", ";"), 52: Key(".", ":"), 53: Key("-", "_"), 86: Key("<", ">"),
        ]))

    private static func merged(_ tables: [UInt16: Key]...) -> [UInt16: Key] {
        tables.reduce(into: [:]) { all, table in all.merge(table) { _, new in new } }
    }

    /// The character for `code` with the given modifier state. Caps Lock changes letters only,
    /// and Shift undoes it, as on a Linux console.
    public func character(for code: UInt16, shift: Bool, capsLock: Bool) -> Character? {
        guard let key = keys[code] else { return nil }
        let isLetter = key.plain.isLetter && key.plain.lowercased() != key.plain.uppercased()
            && key.shifted == Character(key.plain.uppercased())
        let useShifted = isLetter ? (shift != capsLock) : shift
        return useShifted ? key.shifted : key.plain
    }
}
