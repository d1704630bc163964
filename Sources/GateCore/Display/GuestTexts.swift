/// Our own guest texts for every `GuestState`, in German, French, Italian and English.
///
/// e-guma's message (`DenyReason.eguma`, `BalanceCheck.message`) is passed through verbatim: the
/// integration guide requires the guest to see exactly what e-guma says. Amounts read "CHF 12.50"
/// or "EUR 12.50": in the currency of the lane's e-guma account, asked at each rendering.
/// Titles are kept to 20 characters where the language allows, so a pole display shows them
/// without scrolling.
public struct GuestTexts: Sendable {
    public let language: DisplayLanguage
    /// A balance-check lane invites the guest to check a voucher instead of to enter.
    public let balanceLane: Bool
    /// The entry price shown on the idle screen, asked at each rendering (a reload changes it);
    /// nil shows none.
    public let price: (@Sendable () -> Money?)?
    /// The account's currency code ("CHF", "EUR"), asked at each rendering: e-guma's answers
    /// change it (the daemon remembers it per outlet), and it is the same for every amount.
    public let currency: @Sendable () -> String

    public init(language: DisplayLanguage, balanceLane: Bool = false, price: (@Sendable () -> Money?)? = nil,
                currency: @escaping @Sendable () -> String) {
        self.language = language; self.balanceLane = balanceLane; self.price = price; self.currency = currency
    }

    /// Texts in a fixed currency.
    public init(language: DisplayLanguage, balanceLane: Bool = false, price: (@Sendable () -> Money?)? = nil,
                currency: String) {
        self.init(language: language, balanceLane: balanceLane, price: price, currency: { currency })
    }

    /// "CHF 12.50", "EUR 12.50"
    public static func amount(_ money: Money, currency: String) -> String { "\(currency) \(money)" }

    /// An amount in the account's currency now.
    public func amount(_ money: Money) -> String { Self.amount(money, currency: currency()) }

    private func t(_ de: String, _ fr: String, _ it: String, _ en: String) -> String { language.pick(de, fr, it, en) }

    private func balanceLine(_ money: Money) -> String {
        t("Guthaben", "Solde", "Saldo", "Balance") + " " + amount(money)
    }

    /// "••••-••••-9HTD: CHF 25.00 · Guthaben CHF 75.00" — one voucher of an admission.
    public func voucherLine(_ voucher: VoucherPaid) -> String {
        "\(voucher.code): \(amount(voucher.amount))" + (voucher.newBalance.map { " · " + balanceLine($0) } ?? "")
    }

    /// A voucher on a 2×20 pole display: the masked code and the amount taken on row 1, the new
    /// balance on row 2.
    public func polePage(_ voucher: VoucherPaid) -> (String, String) {
        ("\(voucher.code) \(voucher.amount)", voucher.newBalance.map(balanceLine) ?? "")
    }

    private var askStaff: String {
        t("Bitte Personal rufen", "Adressez-vous au personnel", "Rivolgersi al personale", "Please ask staff")
    }

    private var nothingCharged: String {
        t("Nichts wurde abgebucht", "Rien n’a été débité", "Nulla è stato addebitato", "Nothing was charged")
    }

    private var scanAgain: String {
        t("Bitte erneut scannen", "Veuillez rescanner", "Scansionare di nuovo", "Please scan again")
    }

    public func text(for state: GuestState) -> GuestText {
        switch state {
        case .idle:
            let scan = t("Bitte Gutschein scannen", "Veuillez scanner votre bon", "Scansionare il buono", "Please scan your voucher")
            if balanceLane {
                return GuestText(title: t("Guthaben abfragen", "Consulter le solde", "Verifica saldo", "Check your balance"),
                                 lines: [scan], outcome: .idle)
            }
            var lines = [scan]
            if let price = price?() {
                lines.append(t("Eintritt", "Entrée", "Ingresso", "Entry") + " " + amount(price))
            }
            return GuestText(title: t("Willkommen", "Bienvenue", "Benvenuti", "Welcome"), lines: lines, outcome: .idle)
        case .checking:
            return GuestText(title: t("Einen Moment …", "Un instant …", "Un momento …", "One moment …"),
                             lines: [t("Gutschein wird geprüft", "Vérification du bon", "Verifica del buono", "Checking your voucher")],
                             outcome: .busy)
        case .accepted(let balance, let vouchers):
            let lines = vouchers.isEmpty ? balance.map { [balanceLine($0)] } ?? [] : vouchers.map(voucherLine)
            return GuestText(title: t("Gutschein akzeptiert", "Bon accepté", "Buono accettato", "Voucher accepted"),
                             lines: lines, outcome: .success)
        case .denied(let reason):
            return denied(reason)
        case .awaitingMore(let remaining):
            let due = amount(remaining)
            return GuestText(title: t("Noch \(due)", "Reste \(due)", "Mancano \(due)", "\(due) to pay"),
                             lines: [t("Nächsten Gutschein scannen", "Scannez le bon suivant", "Scansionare il prossimo buono",
                                       "Scan the next voucher")],
                             outcome: .warning)
        case .walkThrough:
            return GuestText(title: t("Bitte eintreten", "Veuillez passer", "Prego, passare", "Please walk through"),
                             outcome: .success)
        case .cancelled:
            return cancelled(balanceRestored: true)
        case .offline:
            return GuestText(title: t("Keine Verbindung", "Hors ligne", "Offline", "Offline"), lines: [askStaff], outcome: .failure)
        case .emergency:
            return GuestText(title: t("Notöffnung", "Urgence", "Emergenza", "Emergency"),
                             lines: [t("Durchgang offen", "Passage ouvert", "Varco aperto", "The gate is open"),
                                     t("Keine Abbuchung", "Aucun débit", "Nessun addebito", "No charge")],
                             outcome: .alarm)
        case .balance(let check):
            var lines: [String] = []
            if let message = check.message, !message.isEmpty { lines.append(message) }
            lines.append(balanceLine(check.balance))
            lines.append(t("Gesamtbetrag", "Montant total", "Importo totale", "Total") + " " + amount(check.total))
            if check.isRedeemable {
                return GuestText(title: t("Gutschein gültig", "Bon valable", "Buono valido", "Voucher valid"),
                                 lines: lines, outcome: .success)
            }
            return GuestText(title: notRedeemable, lines: lines, outcome: .failure)
        }
    }

    /// No passage: the payment is cancelled; "balance restored" only where the guest saw a
    /// balance (not for a service voucher, nor an offline admission).
    public func cancelled(balanceRestored: Bool) -> GuestText {
        var lines = [t("Zahlung storniert", "Paiement annulé", "Pagamento annullato", "Payment cancelled")]
        if balanceRestored {
            lines.append(t("Guthaben wiederhergestellt", "Solde rétabli", "Saldo ripristinato", "Balance restored"))
        }
        return GuestText(title: t("Kein Durchgang", "Pas de passage", "Nessun passaggio", "No passage"),
                         lines: lines, outcome: .warning)
    }

    private var notRedeemable: String {
        t("Nicht einlösbar", "Bon non valable", "Buono non valido", "Not redeemable")
    }

    private func denied(_ reason: DenyReason) -> GuestText {
        switch reason {
        case .eguma(let message):
            // e-guma's text verbatim; without one (Balance's `message` is null or blank) our own,
            // in the lane's language — never an English placeholder.
            guard let message, !message.allSatisfy(\.isWhitespace) else {
                return GuestText(title: notRedeemable,
                                 lines: [t("Dieser Gutschein ist nicht einlösbar", "Ce bon ne peut pas être utilisé",
                                           "Questo buono non può essere utilizzato", "This voucher cannot be redeemed"), askStaff],
                                 outcome: .failure)
            }
            return GuestText(title: notRedeemable, lines: [message], outcome: .failure)
        case .emptyCode:
            return GuestText(title: scanAgain, outcome: .failure)
        case .unreadableCode:
            return GuestText(title: t("Code nicht lesbar", "Code illisible", "Codice illeggibile", "Unreadable code"),
                             lines: [scanAgain], outcome: .failure)
        case .notValidHere:
            return GuestText(title: t("Hier nicht gültig", "Non valable ici", "Non valido qui", "Not valid here"),
                             lines: [t("Gilt nicht für diesen Eingang", "Ce bon n’est pas valable à cette entrée",
                                       "Il buono non vale per questo ingresso", "Not valid at this entrance")],
                             outcome: .failure)
        case .noBalance:
            return GuestText(title: t("Kein Guthaben", "Solde épuisé", "Saldo esaurito", "No balance left"),
                             lines: [t("Der Gutschein ist aufgebraucht", "Le bon est entièrement utilisé",
                                       "Il buono è stato utilizzato", "The voucher is used up")],
                             outcome: .failure)
        case .insufficientBalance(let balance):
            return GuestText(title: t("Zu wenig Guthaben", "Solde insuffisant", "Saldo insufficiente", "Not enough balance"),
                             lines: [balanceLine(balance)], outcome: .failure)
        case .splitTimeout:
            return GuestText(title: t("Zeit abgelaufen", "Délai dépassé", "Tempo scaduto", "Time is up"),
                             lines: [nothingCharged], outcome: .failure)
        case .redeemFailed:
            return GuestText(title: t("Fehler", "Erreur", "Errore", "Error"),
                             lines: [t("Einlösung fehlgeschlagen", "Le paiement a échoué", "Pagamento non riuscito", "Payment failed"),
                                     nothingCharged],
                             outcome: .failure)
        case .relayFailure:
            return GuestText(title: t("Drehkreuz gestört", "Tourniquet en panne", "Tornello guasto", "Turnstile fault"),
                             lines: [t("Zahlung storniert", "Paiement annulé", "Pagamento annullato", "Payment cancelled")],
                             outcome: .failure)
        case .offlineNotPossible:
            return GuestText(title: t("Keine Verbindung", "Hors ligne", "Offline", "Offline"), lines: [askStaff], outcome: .failure)
        case .outOfOrder:
            return GuestText(title: t("Ausser Betrieb", "Hors service", "Fuori servizio", "Out of order"),
                             lines: [askStaff], outcome: .failure)
        case .paymentUnconfirmed:
            return GuestText(title: t("Zahlung nicht bestätigt", "Paiement non confirmé", "Pagamento non confermato",
                                      "Payment not confirmed"),
                             lines: [askStaff], outcome: .failure)
        case .voucherBeingChecked:
            return GuestText(title: t("Gutschein wird geprüft", "Bon en vérification", "Buono in verifica",
                                      "Voucher being checked"),
                             lines: [askStaff], outcome: .failure)
        case .egumaError:
            return GuestText(title: t("e-guma-Fehler", "Erreur e-guma", "Errore e-guma", "e-guma error"),
                             lines: [askStaff], outcome: .failure)
        case .lanePaused:
            return GuestText(title: askStaff,
                             lines: [t("Zu viele ungültige Codes", "Trop de codes non valables", "Troppi codici non validi",
                                       "Too many invalid codes")],
                             outcome: .failure)
        case .shortCodeNotAccepted:
            return GuestText(title: t("ShortCode nicht möglich", "ShortCode impossible", "ShortCode non possibile",
                                      "ShortCode not possible"),
                             lines: [t("Bitte Gutscheincode scannen", "Veuillez scanner le code du bon",
                                       "Scansionare il codice del buono", "Please scan the voucher code"), askStaff],
                             outcome: .failure)
        }
    }
}
