/// The built-in voucher set of `simulate` (without `--vouchers`) and of `demo`.
///
/// Chosen for a CHF 25.00 entrance: one voucher that pays it with change left, one too small
/// (split payment: another voucher must pay the rest), one already used, a service voucher for
/// the spa, a code that does not exist, and a ShortCode standing for a value voucher.
public enum DemoVouchers {
    /// CHF 100.00: pays several entrances.
    public static let plenty = "K7QM-2XPA-9HTD"
    /// CHF 10.00: less than a CHF 25.00 entrance (split payment).
    public static let tooLittle = "B3NV-8WRE-5JQL"
    /// Fully redeemed.
    public static let redeemed = "R9TZ-4KMC-7PXW"
    /// Service ("Maison") voucher for product `svc-spa-day`.
    public static let service = "S2LH-6YDN-3FGA"
    /// Not in the set: e-guma answers "Gutschein nicht gefunden".
    public static let unknown = "U8XC-1QVB-6MEN"
    /// CHF 50.00, also reachable through ShortCode `shortCode`.
    public static let shortCodeTarget = "M5RW-3JKT-8ZQB"
    /// The voucher2mobile ShortCode for `shortCodeTarget` (valid five minutes from start).
    public static let shortCode = "42"
    public static let unpaid = "P6GU-2HSX-4NWA"
    public static let proforma = "F1DK-7CVL-9RTE"
    /// Depot voucher with a fixed CHF 50.00, not yet sold.
    public static let depotFixed = "D4PQ-8MZY-2KSL"
    /// Depot voucher with a free amount, not yet sold.
    public static let depotFree = "D7XN-5BWA-1HRG"
    /// CHF 20.00, can be topped up.
    public static let chargeable = "C3JT-9EFU-6MVP"

    /// The vouchers, in the order `simulate` lists them.
    public static func vouchers() -> [SimulatedVoucher] {
        [
            SimulatedVoucher(code: plenty, kind: .value, balanceInCents: 10_000, productId: "gift-100",
                             name: "Wertgutschein CHF 100", validUntil: "2028-12-31"),
            SimulatedVoucher(code: tooLittle, kind: .value, balanceInCents: 1_000, productId: "gift-10",
                             name: "Wertgutschein CHF 10", validUntil: "2028-12-31"),
            SimulatedVoucher(code: redeemed, kind: .redeemed, totalAmountInCents: 5_000, productId: "gift-50",
                             name: "Wertgutschein CHF 50", validUntil: "2028-12-31"),
            SimulatedVoucher(code: service, kind: .service, productId: "svc-spa-day",
                             name: "Spa-Tageseintritt", description: "Ein Eintritt ins Spa, ganzer Tag",
                             validUntil: "2028-12-31"),
            SimulatedVoucher(code: shortCodeTarget, kind: .value, balanceInCents: 5_000, productId: "gift-50",
                             name: "Wertgutschein CHF 50 (voucher2mobile)", validUntil: "2028-12-31"),
            SimulatedVoucher(code: unpaid, kind: .unpaid, balanceInCents: 5_000, productId: "gift-50",
                             name: "Wertgutschein CHF 50 (unbezahlt)"),
            SimulatedVoucher(code: proforma, kind: .proforma, balanceInCents: 5_000, productId: "gift-50",
                             name: "Proforma CHF 50"),
            SimulatedVoucher(code: depotFixed, kind: .depot, productId: "depot-50", name: "Depot CHF 50",
                             depotAmountInCents: 5_000),
            SimulatedVoucher(code: depotFree, kind: .depot, productId: "depot-free", name: "Depot freier Betrag",
                             freeAmount: true),
            SimulatedVoucher(code: chargeable, kind: .chargeable, balanceInCents: 2_000, productId: "card",
                             name: "Guthabenkarte"),
        ]
    }
}

extension SimulatedVoucherFile {
    /// The demo set with its ShortCode.
    public static var demo: SimulatedVoucherFile {
        SimulatedVoucherFile(currency: "CHF", vouchers: DemoVouchers.vouchers(),
                             shortCodes: [.init(shortCode: DemoVouchers.shortCode, code: DemoVouchers.shortCodeTarget)])
    }
}
