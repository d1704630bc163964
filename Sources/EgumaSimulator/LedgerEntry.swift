import EgumaAPI
import Foundation

/// One authenticated call the simulator answered (or dropped), in order.
///
/// Tests read the ledger to see what really happened at "e-guma": which outlet redeemed what with
/// which `reference_number`, and the balance the call left behind — also for calls whose answer
/// the client never saw.
public struct LedgerEntry: Sendable, Equatable, Codable {
    public var sequence: Int
    public var endpoint: Endpoint
    public var outlet: String
    /// The canonical 12-character code (for a ShortCode: the code it stood for, when known).
    public var code: String
    public var amountInCents: Int64?
    public var referenceNumber: String?
    /// The redeem or charge token this call created or used.
    public var token: String?
    /// The voucher's balance after the call.
    public var balanceInCents: Int64?
    /// The HTTP status the simulator meant to answer (also when a fault dropped the answer).
    public var status: Int
    /// The plain-text error or the balance message.
    public var message: String?
    /// Whether the state changed (a successful redeem, cancel, charge, activation …).
    public var applied: Bool
    public var timestamp: Date

    enum CodingKeys: String, CodingKey {
        case sequence, endpoint, outlet, code, token, status, message, applied, timestamp
        case amountInCents = "amount_in_cents"
        case referenceNumber = "reference_number"
        case balanceInCents = "balance_in_cents"
    }
}
