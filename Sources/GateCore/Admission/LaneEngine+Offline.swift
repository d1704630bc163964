/// Offline admission while e-guma is unreachable, bounded per outage, per hour and by what is known.
extension LaneEngine {
    func offline(_ scanned: VoucherCode, admission: Int64) async {
        await writeUnopenedAdmission()
        if let c = collecting {
            // Nothing of a split admission was redeemed yet: it ends here.
            collecting = nil
            await deny(.offlineNotPossible, admission: c.admission, message: "e-guma unreachable during split payment")
            await closeAdmission(c.admission, outcome: .denied)
            return
        }
        guard settings.offline == .admit else {
            await emit(.denied, admission: admission, code: scanned.text, message: "offline")
            await show(.offline, .outOfOrder)
            await closeAdmission(admission, outcome: .denied)
            return
        }
        let code = VoucherCode(unchecked: scanned.undashed)
        let known = (try? await journal.wasOfflineAdmitted(code)) ?? true
        guard scanned.isFullVoucherCode, !known else {
            await deny(.offlineNotPossible, admission: admission, code: scanned.text,
                       message: known ? "already admitted offline" : "offline: only a full voucher code can be admitted")
            await closeAdmission(admission, outcome: .denied)
            return
        }
        if await hasPendingEntry(for: code) {
            await deny(.voucherBeingChecked, admission: admission, code: code.text,
                       message: "offline: " + Self.pendingWork)
            await closeAdmission(admission, outcome: .denied)
            return
        }
        if let limit = await offlineLimit(code) {
            await emit(.offlineLimit, admission: admission, code: code.text, message: limit)
            await deny(.offlineNotPossible, admission: admission, code: code.text, message: "offline: \(limit)")
            await closeAdmission(admission, outcome: .denied)
            return
        }
        if unwritten == admission {
            // The journal refused the admission's row (disk full): no guest is let in offline
            // on an admission the journal does not hold — its replay would charge an entry no
            // report shows (found by the write-cut test over the lane's offline path).
            await deny(.outOfOrder, admission: admission, code: code.text, message: "journal: the admission could not be written")
            return
        }
        guard let unclaimed = await claimOffline(code, admission: admission) else { return }
        let reference = settings.reference(admission: admission)
        let order = OfflineRedeemOrder(lane: settings.name, outlet: settings.outlet, admission: admission,
                                       code: code.text, reference: reference, amountCents: settings.price.cents)
        let entry: Int64
        do {
            // The replay and the code's offline memory: one write, so a crash between the two
            // can never leave a replay whose code could be admitted offline again.
            entry = try await outbox.queueOfflineRedeem(order)
        } catch {
            await claims?.release(code, admission: admission)
            await deny(.outOfOrder, admission: admission, code: code.text, message: "journal: \(error)")
            await closeAdmission(admission, outcome: .denied)
            return
        }
        offlineThisOutage += 1
        offlineTimes.append(clock.now)
        await emit(.offlineAdmitted, admission: admission, code: code.text, amountCents: settings.price.cents,
                   message: unclaimed ? "\(DayReport.unclaimedMark) fleet unreachable (offline_without_fleet = local)" : nil)
        await sensor?.arm()
        let pulsed = (try? await pulse(showing: OpenScreens(newBalance: nil, vouchers: []))) != nil
        if pulsed { await emit(.opened, admission: admission) }
        if pulsed, await passed() {
            await closeAdmission(admission, outcome: .offlineEntered)
            await emit(.entered, admission: admission, amountCents: settings.price.cents)
            outboxKick()
            await show(.idle, .idle)
            return
        }
        if pulsed { await emit(.noPassage, admission: admission) }
        let withdrawn: Bool
        do { withdrawn = try await outbox.withdraw(entry) } catch { withdrawn = false }  // unknown: a cancel behind it is safe either way
        if !withdrawn {
            // The replay already ran (e-guma came back meanwhile): cancel it after it, in order.
            let cancel = CancelOrder(lane: settings.name, outlet: settings.outlet, admission: admission, redemption: nil,
                                     code: code.text, token: nil, reference: reference, amountCents: settings.price.cents)
            await queueCancel(cancel, error: "offline redeem already replayed")
        } else {
            await emit(.cancelled, admission: admission, code: code.text, amountCents: settings.price.cents,
                       message: "queued offline redeem withdrawn")
            await claims?.release(code, admission: admission)  // withdrawn: the site's claim goes too
        }
        await show(.cancelled, .denied)
        await closeAdmission(admission, outcome: .cancelled)
    }

    /// Claims the code for the site when there is a fleet (SPEC §10). Returns whether the admission
    /// goes ahead unclaimed (false: claimed, or no fleet), or nil when it was denied here: held by
    /// another admission (the guest sees today's "already admitted offline"), or unknown under
    /// `offline_without_fleet = "deny"`.
    func claimOffline(_ code: VoucherCode, admission: Int64) async -> Bool? {
        guard let claims else { return false }
        switch await claims.claim(code, admission: admission) {
        case .claimed:
            return false
        case .held(let gate):
            await emit(.offlineClaimDenied, admission: admission, code: code.text, message: "admitted offline at gate \(gate)")
            await deny(.offlineNotPossible, admission: admission, code: code.text, message: "already admitted offline")
        case .unknown(let reason):
            if claims.admitsWhenUnknown { return true }
            await claims.release(code, admission: admission)  // the insert may have landed after all
            await deny(.offlineNotPossible, admission: admission, code: code.text,
                       message: "offline: fleet unreachable, offline_without_fleet = deny (\(reason))")
        }
        await closeAdmission(admission, outcome: .denied)
        return nil
    }

    /// The bound an offline admission of `code` would break, or nil (issue 12 item 4). Counters
    /// live in memory: a restart starts them again (a restart is staff's doing, not a guest's).
    func offlineLimit(_ code: VoucherCode) async -> String? {
        let answers = await online.answers
        if outageMark != answers { outageMark = answers; offlineThisOutage = 0 }  // e-guma answered since: new outage
        if offlineThisOutage >= settings.offlineMaxAdmissions {
            return "offline_max_admissions (\(settings.offlineMaxAdmissions) per outage) reached"
        }
        let hourAgo = clock.now.advanced(by: .seconds(-3_600))
        offlineTimes.removeAll { $0 <= hourAgo }
        if offlineTimes.count >= settings.offlineMaxPerHour {
            return "offline_max_per_hour (\(settings.offlineMaxPerHour)) reached"
        }
        if settings.offlineKnownOnly {
            let known = (try? await journal.knownBalance(of: code, withinDays: settings.offlineKnownDays)) ?? nil
            guard let known, known >= settings.price else {
                return "offline_known_only: not seen redeemable with at least \(settings.price) in the last \(settings.offlineKnownDays) days"
            }
        }
        return nil
    }

    /// Remembers a voucher's balance for `offline_known_only` (only where it is on: one more
    /// durable write per scan).
    func rememberForOffline(_ code: VoucherCode, balance: Money) async {
        guard settings.offline == .admit, settings.offlineKnownOnly else { return }
        do { try await journal.rememberVoucherBalance(code, balance: balance) } catch {
            // Not money: offline_known_only just does not know this balance (ObservedJournal logged it).
        }
    }
}
