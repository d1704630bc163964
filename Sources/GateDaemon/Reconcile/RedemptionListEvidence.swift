import EgumaAPI
import Foundation
import GateCore
import GateStore

/// `RedemptionEvidence` over e-guma's redemption list for one outlet (its key and e-guma user).
///
/// Shows a redemption when e-guma lists more rows of this user, this code and this amount, not
/// derecognized and redeemed no earlier than the intent (less the clock margin), than the journal
/// holds other redemptions that could explain them (same outlet, code and amount, charged or
/// cancelled, in the same span widened by the clock margin once more): a guest who used the same voucher a minute earlier must not make
/// a lost redeem look applied. Any failure to read the list or the journal answers false: the
/// Balance checks then decide, as before.
public struct RedemptionListEvidence: RedemptionEvidence {
    private let client: EgumaClient
    private let key: APIKey
    private let userID: EgumaID
    private let database: GateDatabase
    private let now: @Sendable () -> Date

    public init(client: EgumaClient, key: APIKey, userID: EgumaID, database: GateDatabase,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.client = client; self.key = key; self.userID = userID; self.database = database; self.now = now
    }

    public func listShows(_ redemption: StoredRedemption) async -> Bool {
        guard let since = try? await database.intentTime(ofRedemption: redemption.id) else { return false }
        let from = since.addingTimeInterval(-Reconciler.edgeMargin)
        let to = max(now(), since).addingTimeInterval(Reconciler.edgeMargin)
        guard let rows = try? await client.redemptions(from: from, to: to, userID: userID, key: key) else { return false }
        // The journal is read a margin wider than the list: list rows are accepted by e-guma's
        // clock, journal rows by the gate's, and a skew must never hide an explaining row.
        guard let journal = try? await database.redemptions(from: from.addingTimeInterval(-Reconciler.edgeMargin), to: to,
                                                            outlet: redemption.intent.outlet) else { return false }
        let code = redemption.intent.code.undashed, cents = redemption.intent.amount.cents
        let listed = rows.filter { r in
            r.item.canonicalCode == code && r.item.redeemedAmountInCents.value == cents
                && !r.item.derecognized && r.item.user?.id == userID && r.redeemedAt >= from
        }.count
        let explainedByOthers = journal.filter { j in
            j.id != redemption.id && j.code == code && j.amountCents == cents
                && [.redeemed, .tokenUnknown, .cancelQueued, .cancelled].contains(j.state)
        }.count
        return listed > explainedByOthers
    }
}
