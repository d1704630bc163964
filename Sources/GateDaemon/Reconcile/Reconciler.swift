import EgumaAPI
import Foundation
import GateCore
import GateFleet
import GateStore

/// Reconciles the journal with e-guma's List of Voucher Redemptions, outlet by outlet (issue 14).
/// The I/O half of `Reconciliation`: reads the journal window and the list, asks Balance where
/// the list's cancel model could make a correct journal look wrong, and returns the result.
/// Used by `eguma-gate reconcile` and by the daemon's schedule.
///
/// **Model assumed** (docs/operations.md): a cancelled redemption is either absent from the list
/// or flagged `derecognized`; a partly cancelled one shows what is still redeemed. A list that
/// shows a cancelled redemption as still charged is caught by Balance: if the voucher's balance
/// is what the gate recorded after its cancel, the journal is right and the code counts as matched.
public struct Reconciler: Sendable {
    /// How far the gate's clock and e-guma's may differ around the window's edges.
    public static let edgeMargin: TimeInterval = 120

    public struct Outlet: Sendable {
        public var name: String
        public var key: APIKey
        public var userID: EgumaID?
        public init(name: String, key: APIKey, userID: EgumaID?) { self.name = name; self.key = key; self.userID = userID }
    }

    private let database: GateDatabase
    private let client: EgumaClient
    /// With a fleet: the other gates' journals of the same e-guma user count too (docs/fleet.md).
    private let fleet: FleetReconcileSource?

    public init(database: GateDatabase, client: EgumaClient, fleet: FleetReconcileSource? = nil) {
        self.database = database; self.client = client; self.fleet = fleet
    }

    /// One outlet, one window [start, end).
    /// - Throws: `ReconcileNoVerdict` when e-guma answered something that cannot be read (or
    ///   refused the list for a reason other than the key); `EgumaError` when it is unreachable
    ///   or refused the outlet's key; the store's error when the journal cannot be read.
    public func reconcile(_ outlet: Outlet, window: DateInterval) async throws -> OutletReconciliation {
        let journal = try await database.redemptions(from: window.start, to: window.end, outlet: outlet.name)
        let listed: [EgumaRedemption]
        do {
            listed = try await client.redemptions(
                from: window.start.addingTimeInterval(-Self.edgeMargin), to: window.end.addingTimeInterval(Self.edgeMargin - 1),
                userID: outlet.userID, key: outlet.key)
        } catch {
            throw ReconcileNoVerdict.unlessReachability(error, outlet: outlet.name, what: "e-guma's redemption list")
        }
        var rows = listed.map { r in
            PlatformRedemptionRow(code: r.item.canonicalCode, at: r.redeemedAt,
                                  amountCents: r.item.redeemedAmountInCents.value, derecognized: r.item.derecognized,
                                  userID: r.item.user?.id.text)
        }
        // User ids as e-guma wrote them (number or text), for the inferred user and the output.
        let listedUsers = Dictionary(listed.compactMap { $0.item.user.map { ($0.id.text, $0.id) } }) { first, _ in first }
        var notes: [String] = []
        var userID = outlet.userID
        if userID == nil {
            // Which user is this outlet? The users of rows the journal also charged.
            let charged = Set(journal.filter { Reconciliation.expectedCents($0) > 0 }.map(\.code))
            let users = Set(rows.filter { charged.contains($0.code) }.compactMap(\.userID))
            if users.count == 1, let only = users.first {
                userID = listedUsers[only] ?? EgumaID(text: only)
                notes.append("outlets.\(outlet.name).user_id is not set: e-guma user \(only) inferred from matching rows — set it to be sure")
            } else {
                let codes = Set(journal.map(\.code))
                rows = rows.filter { codes.contains($0.code) }
                notes.append("outlets.\(outlet.name).user_id is not set and could not be inferred: redemptions made outside the gate are not checked — set user_id")
            }
        }
        if let userID { rows = rows.filter { $0.userID == userID.text } }
        let inside = rows.filter { window.start <= $0.at && $0.at < window.end }
        let nearby = rows.filter { !(window.start <= $0.at && $0.at < window.end) }
        var result: Reconciliation
        if let fleet, let userID {
            result = try await reconcileWithFleet(fleet, outlet: outlet.name, userID: userID.text, window: window,
                                                  journal: journal, inside: inside, nearby: nearby)
        } else {
            result = Reconciliation(journal: journal, platform: inside, platformNearby: nearby)
        }
        for finding in result.discrepancies where finding.needsBalance {
            do {
                let answer = try await client.balance(code: finding.code, key: outlet.key)
                if finding.balanceExplains(answer.balanceInCents.value) {
                    result.accept(code: finding.code, note: "confirmed by Balance: the balance is what the gate recorded after its cancel; e-guma's list shows the cancel differently")
                }
            } catch where error.isUnreachable {
                throw error
            } catch let error where error.kind.isUnreadable {
                // The verdict on this voucher hangs on an answer nobody can read: no verdict at all.
                throw ReconcileNoVerdict(outlet: outlet.name, what: "e-guma's Balance of \(VoucherCode.mask(finding.code))", cause: error)
            } catch {
                notes.append("Balance check of \(VoucherCode.mask(finding.code)) failed: \(error) — the disagreement stays")
            }
        }
        return OutletReconciliation(outlet: outlet.name, window: window, userID: userID, result: result, notes: notes)
    }
}

/// The result for one outlet and window.
public struct OutletReconciliation: Sendable, Equatable {
    public var outlet: String
    public var window: DateInterval
    public var userID: EgumaID?
    public var result: Reconciliation
    public var notes: [String]

    /// One line for the journal event and the log: counts, never codes.
    public var summary: String {
        let r = result
        if r.isClean { return "\(r.matched.count) voucher(s) match e-guma's list" }
        return "\(r.missingAtEguma.count) missing at e-guma, \(r.unknownToGate.count) unknown to the gate, "
            + "\(r.amountDifferences.count) amount difference(s), \(r.matched.count) matched — run eguma-gate reconcile for details"
    }
}

/// A reconciliation that reached no verdict (issue 25): e-guma answered, but with something
/// that cannot be read (garbled JSON, a field of an unexpected type, a time that is no time) or
/// refused the request for a reason other than the outlet's key. Nothing was compared, so
/// nothing can be said about money: `reconcile` exits 3 (like unreachable), never 1, and the
/// daemon journals `reconcile_no_verdict`, never `reconcile_mismatch`.
public struct ReconcileNoVerdict: Error, Sendable, CustomStringConvertible {
    public var outlet: String
    /// What could not be read ("e-guma's redemption list").
    public var what: String
    public var cause: any Error
    /// What to do; nil: e-guma's answer is the problem (try later, then tell e-guma).
    public var advice: String?

    public init(outlet: String, what: String, cause: any Error, advice: String? = nil) {
        self.outlet = outlet; self.what = what; self.cause = cause; self.advice = advice
    }

    /// `error` as a no-verdict, unless it is e-guma being unreachable or refusing the outlet's
    /// key: those keep their own meaning (exit 3 "unreachable", exit 2 "fix the key").
    static func unlessReachability(_ error: EgumaError, outlet: String, what: String) -> any Error {
        if error.isUnreachable || error.kind.isUnauthorized { return error }
        return ReconcileNoVerdict(outlet: outlet, what: what, cause: error)
    }

    public var description: String {
        "outlet \(outlet): no verdict — \(what) could not be used: \(cause) — nothing was compared, so nothing is known "
            + "about money; " + (advice ?? "run eguma-gate reconcile again later, and if it stays so, send e-guma the time and this message")
    }
}

extension EgumaError.Kind {
    /// 2xx whose body is not what the API documents.
    public var isUnreadable: Bool { if case .undecodable = self { true } else { false } }
    /// e-guma refused the outlet's API key.
    public var isUnauthorized: Bool {
        switch self {
        case .unauthorized, .httpStatus(401, _): true
        default: false
        }
    }
}
