import EgumaAPI
import Foundation
import GateCore
import GateStore

/// `eguma-gate voucher redeem CODE --amount A --outlet O` (issue 25): a front-desk redemption
/// through the journal, under a lane's money rules, journalled on the reserved lane `desk`.
///
/// 1. Balance first: a ShortCode becomes the voucher's real code (used for everything after), a
///    voucher e-guma calls not redeemable is refused with e-guma's message, and the amount is
///    min(amount, balance) — the guide's rule; nothing is taken from an empty voucher.
/// 2. The desk admission, its `scanned` event and the redeem intent: one transaction before the
///    call (`beginRedemption`, refused while outbox work of the voucher is pending).
/// 3. Redeem, then one closing step (`closeDeskRedemption`): the token and the admission's
///    closing together. An answer lost on the way (`uncertain`) is never re-sent: a Balance
///    right after that shows balance-before − amount proves it applied (`token_unknown`);
///    anything else goes to a `settle` entry that decides by evidence.
///
/// **Where it runs (the choice):** admission ids are handed out by the process that writes
/// admissions (`AdmissionIDs`, in memory), so with the daemon running the desk redemption runs
/// *inside the daemon* (control command `desk_redeem`, the caller recorded from `SO_PEERCRED`);
/// only without a daemon does the command run it itself. Two processes handing out admission ids
/// would collide on an id a lane has reserved.
///
/// Exit codes: 0 redeemed (or proven applied, token lost), 1 refused (by e-guma, not redeemable,
/// nothing on the voucher, voucher busy), 3 e-guma unreachable before the Redeem (nothing taken)
/// or the Redeem's outcome unknown (settled by the outbox — do not redeem it again).
public struct DeskRedemption: Sendable {
    public let database: GateDatabase
    public let service: any VoucherService
    public let gateName: String
    public let outlet: String
    /// Each event once the journal holds it (the daemon logs, counts and broadcasts it).
    public var observe: @Sendable (GateEvent) async -> Void = { _ in }

    public init(database: GateDatabase, service: any VoucherService, gateName: String, outlet: String) {
        self.database = database; self.service = service; self.gateName = gateName; self.outlet = outlet
    }

    public func run(code text: String, amount: Money, user: String) async throws -> OperatorOutcome {
        let lane = DeskLane.name
        let balance: VoucherBalance
        do { balance = try await service.balance(of: VoucherCode(unchecked: text)) } catch {
            return Self.failed(error, before: "Balance of \(maskCode(text))")
        }
        guard balance.isRedeemable else {
            return OperatorOutcome(lines: ["\(maskCode(balance.code.text)): not redeemable — \(balance.message ?? "e-guma gave no reason")"], exitCode: 1)
        }
        let take = min(amount, balance.balance)
        guard take > .zero else {
            return OperatorOutcome(lines: ["\(maskCode(balance.code.text)): nothing on the voucher (balance \(balance.balance)) — nothing redeemed"], exitCode: 1)
        }
        let code = balance.code
        let admission = database.reserveAdmission(lane: lane)
        let reference = "\(gateName)/\(lane)/\(admission)"
        let intent = RedemptionIntent(admission: admission, lane: lane, outlet: outlet, code: code, amount: take,
                                      reference: reference, balanceBefore: balance.balance)
        let redemption: Int64
        let scanned = GateEvent(.scanned, lane: lane, admission: admission, code: code.text, amountCents: take.cents,
                                balanceCents: balance.balance.cents, message: "at the desk by \(user)", source: .desk)
        do {
            redemption = try await database.beginRedemption(intent, scanned: scanned)
            await observe(scanned)
        } catch is VoucherBusy {
            return OperatorOutcome(lines: ["\(maskCode(code.text)): the outbox still has work for this voucher (a check or a cancel) — nothing redeemed; try again once eguma-gate outbox list no longer shows it"], exitCode: 1)
        }
        var lines = amount > take ? ["\(maskCode(code.text)): balance \(balance.balance) is less than \(amount) — redeeming \(take); collect the rest otherwise"] : []
        let ending: DeskEnding
        var events: [GateEvent] = []
        var exit: Int32 = 0
        do {
            let answer = try await service.redeem(code, amount: take, reference: reference)
            ending = .redeemed(token: answer.token, balanceAfter: answer.newBalance)
            events.append(GateEvent(.redeemed, lane: lane, admission: admission, code: code.text, amountCents: take.cents,
                                    balanceCents: answer.newBalance.cents, message: "at the desk by \(user)", source: .desk))
            lines += ["admission #\(admission): redeemed \(take) from \(code.text)", "new balance:  \(answer.newBalance)",
                      "redeem token: \(answer.token)", "reference:    \(reference)",
                      "to give it back: eguma-gate admission void \(admission) --reason TEXT"]
        } catch let error as VoucherServiceError where error.kind == .uncertain {
            let now = try? await service.balance(of: code)  // a read: unreachable proves nothing
            if let now, now.balance == balance.balance - take {
                ending = .tokenUnknown(balanceAfter: now.balance)
                events.append(GateEvent(.tokenUnknown, lane: lane, admission: admission, code: code.text, amountCents: take.cents,
                                        balanceCents: now.balance.cents,
                                        message: "desk redeem took effect but its answer was lost; it cannot be cancelled through the API", source: .desk))
                lines += ["admission #\(admission): redeemed \(take) from \(code.text) (e-guma's answer was lost; the balance \(now.balance) proves it)",
                          "its token is unknown: to give it back, refund by hand in e-guma's back office (reference \(reference))"]
            } else {
                ending = .uncertain(SettleOrder(lane: lane, outlet: outlet, admission: admission, redemption: redemption,
                                                code: code.text, amountCents: take.cents, balanceBeforeCents: balance.balance.cents,
                                                guestEntered: false))
                exit = 3
                lines += ["admission #\(admission): the Redeem of \(take) got no answer (\(error.detail)) — NOT known to be paid.",
                          "Do not redeem it again: the outbox checks the voucher's balance until it knows; if it was applied it is "
                            + "reported as token_unknown (refund by hand). See eguma-gate admission show \(admission)."]
            }
        } catch {
            let detail = (error as? VoucherServiceError).map { Self.reason($0) } ?? "\(error)"
            ending = .notRedeemed
            events.append(GateEvent(.denied, lane: lane, admission: admission, code: code.text, amountCents: take.cents, message: detail, source: .desk))
            exit = (error as? VoucherServiceError)?.kind == .notSent ? 3 : 1
            lines += ["\(maskCode(code.text)): not redeemed — \(detail)"]
        }
        do {
            let written = try await database.closeDeskRedemption(admission: admission, redemption: redemption, ending, events: events)
            if written == .applied { for event in events { await observe(event) } }
            if written == .stale {
                lines.append("note: redemption #\(redemption) had been settled meanwhile by the daemon's recovery — see eguma-gate admission show \(admission)")
            }
        } catch {
            // The closing step was refused (a full disk): the redemption stays `intent`. The
            // admission is closed on its own if the journal takes that, so a running daemon's
            // sweep of forgotten intents settles it by evidence within minutes; otherwise the
            // next start's recovery does. Either way never by a guess, never re-sent.
            var closed = true
            do { try await database.closeAdmission(admission, outcome: .cancelled, events: []) } catch { closed = false }
            lines.append("the journal did not take this outcome (\(error)) — redemption #\(redemption) stays `intent` and is settled "
                         + "by evidence \(closed ? "by the daemon's outbox" : "when the daemon starts"); keep the lines above "
                         + "(with the token it can be cancelled by hand: voucher cancel CODE --token T --amount A)")
            return OperatorOutcome(lines: lines, exitCode: 1)
        }
        return OperatorOutcome(lines: lines, exitCode: exit)
    }

    static func reason(_ error: VoucherServiceError) -> String {
        if case .rejected(let message) = error.kind { return message }
        return error.detail
    }

    static func failed(_ error: any Error, before what: String) -> OperatorOutcome {
        guard let error = error as? VoucherServiceError else { return OperatorOutcome(lines: ["\(what) failed: \(error)"], exitCode: 1) }
        let unreachable = error.kind == .notSent || error.kind == .unreachable
        return OperatorOutcome(lines: ["\(what) failed: \(reason(error)) — nothing was redeemed"], exitCode: unreachable ? 3 : 1)
    }
}
