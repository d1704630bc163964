/// A currency as the configuration or an e-guma answer gives it: three capital ASCII letters (an
/// ISO 4217 code such as CHF or EUR). In Config, without I/O, so the configuration parser (and its
/// fuzz target, compiled from this folder alone) needs nothing of the runtime; `OutletCurrencies`
/// remembers what e-guma answered.
public enum CurrencyCode {
    /// Used when neither e-guma nor the configuration has said anything.
    public static let fallback = "CHF"

    /// Three capital ASCII letters; anything else is never shown to a guest.
    public static func isValid(_ text: String) -> Bool {
        text.utf8.count == 3 && text.utf8.allSatisfy { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }
    }
}
