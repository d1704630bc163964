/// The language of a lane's own guest texts (Swiss venues: German by default).
public enum DisplayLanguage: String, Sendable, CaseIterable {
    case de, fr, it, en

    /// `de` for anything not recognised (the config validates the key before it gets here).
    public init(code: String) { self = DisplayLanguage(rawValue: code) ?? .de }

    /// The text in this language, from one of each.
    public func pick(_ de: String, _ fr: String, _ it: String, _ en: String) -> String {
        switch self {
        case .de: de
        case .fr: fr
        case .it: it
        case .en: en
        }
    }
}
