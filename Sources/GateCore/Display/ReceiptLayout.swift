/// A guest's receipt after an admission, as ESC/POS bytes for a 58/80 mm thermal printer:
/// initialise, code page PC850, the venue's name large and centred, date, lane, then every
/// voucher the admission took — masked code, amount taken, new balance — and a cut.
///
/// Codes are masked as everywhere else (`VoucherCode.masked`); the text is encoded with the
/// pole display's PC850 table (`PoleCodepage.cp850`), umlauts and accents included.
public struct ReceiptLayout: Sendable, Equatable {
    public var venue: String
    /// Local date and time, already formatted ("06.12.2026 23:41").
    public var date: String
    public var lane: String
    public var vouchers: [VoucherPaid]
    public var currency: String
    public var language: DisplayLanguage

    public init(venue: String, date: String, lane: String, vouchers: [VoucherPaid], currency: String, language: DisplayLanguage) {
        self.venue = venue; self.date = date; self.lane = lane; self.vouchers = vouchers
        self.currency = currency; self.language = language
    }

    public static let initialize: [UInt8] = [0x1B, 0x40]
    /// `ESC t 2`: character table PC850 (Multilingual).
    public static let codepage850: [UInt8] = [0x1B, 0x74, 0x02]
    public static let centre: [UInt8] = [0x1B, 0x61, 0x01]
    public static let left: [UInt8] = [0x1B, 0x61, 0x00]
    /// `ESC ! 0x30`: double height and width; `ESC ! 0`: normal.
    public static let large: [UInt8] = [0x1B, 0x21, 0x30]
    public static let normal: [UInt8] = [0x1B, 0x21, 0x00]
    /// `GS V 66 0`: feed to the cutter and cut (partial cut where the printer has only that).
    public static let cut: [UInt8] = [0x1D, 0x56, 0x42, 0x00]
    /// `DLE EOT 4`: real-time paper sensor status; bits 5 and 6 (0x60) set = paper end.
    public static let paperStatusQuery: [UInt8] = [0x10, 0x04, 0x04]

    /// Whether a `DLE EOT 4` answer says the paper is out.
    public static func paperOut(status: UInt8) -> Bool { status & 0x60 == 0x60 }

    private func t(_ de: String, _ fr: String, _ it: String, _ en: String) -> String { language.pick(de, fr, it, en) }

    /// The lines printed (also what a test reads back out of the bytes).
    public var lines: [String] {
        var out = [t("Datum", "Date", "Data", "Date") + " " + date, t("Eingang", "Entrée", "Ingresso", "Entrance") + " " + lane, ""]
        for voucher in vouchers {
            out.append(t("Gutschein", "Bon", "Buono", "Voucher") + " " + voucher.code)
            out.append("  " + t("Betrag", "Montant", "Importo", "Amount") + " " + GuestTexts.amount(voucher.amount, currency: currency))
            if let balance = voucher.newBalance {
                out.append("  " + t("Neues Guthaben", "Nouveau solde", "Nuovo saldo", "New balance") + " "
                           + GuestTexts.amount(balance, currency: currency))
            }
        }
        return out
    }

    public var bytes: [UInt8] {
        let encode = PoleCodepage.cp850.encode
        var out = Self.initialize + Self.codepage850 + Self.centre + Self.large + encode(venue) + [0x0A] + Self.normal + Self.left
        for line in lines { out += encode(line) + [0x0A] }
        return out + [0x0A, 0x0A] + Self.cut
    }
}
