/// How a pole display's characters are encoded: PC437 or PC850 (selected with `ESC t n`), or plain
/// ASCII for displays without either, with umlauts and accents transliterated (ä → ae, é → e).
///
/// Anything the code page lacks is transliterated the same way, then `?`: one byte is one cell.
public enum PoleCodepage: String, Sendable, CaseIterable {
    case cp437, cp850, ascii

    /// `ESC t n` (Epson DM-D character table): 0 = PC437, 2 = PC850; nil for ASCII (no command).
    public var selectCommand: [UInt8]? {
        switch self {
        case .cp437: [0x1B, 0x74, 0x00]
        case .cp850: [0x1B, 0x74, 0x02]
        case .ascii: nil
        }
    }

    /// The accented letters German, French and Italian texts use, identical in PC437 and PC850.
    private static let shared: [Character: UInt8] = [
        "ä": 0x84, "ö": 0x94, "ü": 0x81, "Ä": 0x8E, "Ö": 0x99, "Ü": 0x9A, "ß": 0xE1, "é": 0x82, "è": 0x8A,
        "ê": 0x88, "ë": 0x89, "à": 0x85, "â": 0x83, "á": 0xA0, "ç": 0x87, "î": 0x8C, "ï": 0x8B, "ì": 0x8D,
        "í": 0xA1, "ô": 0x93, "ò": 0x95, "ó": 0xA2, "ù": 0x97, "û": 0x96, "ú": 0xA3, "ñ": 0xA4, "Ñ": 0xA5,
        "É": 0x90, "Ç": 0x80, "«": 0xAE, "»": 0xAF, "£": 0x9C, "°": 0xF8,
    ]

    /// Capitals with accents that only PC850 has (PC437 transliterates them: È → E).
    private static let cp850Only: [Character: UInt8] = [
        "È": 0xD4, "Ê": 0xD2, "Ë": 0xD3, "À": 0xB7, "Â": 0xB6, "Á": 0xB5, "Î": 0xD7, "Ï": 0xD8, "Í": 0xD6,
        "Ì": 0xDE, "Ô": 0xE2, "Ò": 0xE3, "Ó": 0xE0, "Ù": 0xEB, "Û": 0xEA, "Ú": 0xE9,
    ]

    private static let transliterations: [Character: String] = [
        "ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss",
        "é": "e", "è": "e", "ê": "e", "ë": "e", "à": "a", "â": "a", "á": "a", "ç": "c", "î": "i", "ï": "i",
        "ì": "i", "í": "i", "ô": "o", "ò": "o", "ó": "o", "ù": "u", "û": "u", "ú": "u", "ñ": "n", "Ñ": "N",
        "É": "E", "È": "E", "Ê": "E", "Ë": "E", "À": "A", "Â": "A", "Á": "A", "Ç": "C", "Î": "I", "Ï": "I",
        "Í": "I", "Ì": "I", "Ô": "O", "Ò": "O", "Ó": "O", "Ù": "U", "Û": "U", "Ú": "U",
        "œ": "oe", "Œ": "Oe", "æ": "ae", "Æ": "Ae", "’": "'", "‘": "'", "“": "\"", "”": "\"", "„": "\"",
        "«": "\"", "»": "\"", "–": "-", "—": "-", "…": "...", "•": "*", "€": "EUR", "£": "GBP", "°": "o",
        "\u{00A0}": " ", "\u{202F}": " ",
    ]

    /// The bytes for `text`, one per display cell.
    public func encode(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        for ch in text {
            if let ascii = ch.asciiValue, ascii >= 0x20, ascii < 0x7F {
                out.append(ascii)
            } else if self != .ascii, let byte = Self.shared[ch] ?? (self == .cp850 ? Self.cp850Only[ch] : nil) {
                out.append(byte)
            } else if let replacement = Self.transliterations[ch] {
                out.append(contentsOf: replacement.utf8)
            } else if ch.isWhitespace {
                out.append(0x20)  // tabs and line breaks: the display has no use for them
            } else {
                out.append(UInt8(ascii: "?"))
            }
        }
        return out
    }
}
