/// The code-guessing guard: what stops a scan before any e-guma call.
extension LaneEngine {
    func takePauseToArm() -> C.Instant? {
        defer { pauseToArm = nil }
        return pauseToArm
    }

    func endPause(_ reason: String) async {
        guard guessGuard.unlock(at: clock.now) else { return }
        await emit(.laneUnlocked, message: reason)
        await show(.idle, .idle)
    }

    /// Before any e-guma call: a paused lane, a refused ShortCode or a spent ShortCode budget
    /// ends the scan here. Returns false when the scan must not go on.
    func passesGuard(_ code: VoucherCode) async -> Bool {
        if guessGuard.expire(at: clock.now) { await emit(.laneUnlocked, message: "pause over") }
        switch guessGuard.check(isShortCode: code.isShortCode, at: clock.now) {
        case .allowed:
            return true
        case .paused:
            await deny(.lanePaused, admission: nil, code: code.text, message: "lane paused after too many invalid codes")
        case .shortCodesOff:
            await deny(.shortCodeNotAccepted, admission: nil, code: code.text, message: "ShortCodes are not accepted on this lane")
        case .shortCodeBudgetSpent(let lock):
            await deny(.shortCodeNotAccepted, admission: nil, code: code.text,
                       message: "more than \(settings.guessPolicy.shortCodesPerMinute) ShortCodes within a minute")
            if let lock { await locked(lock) }
        }
        await resumeCollecting()
        return false
    }

    /// e-guma did not know the code or would not redeem it: one more failure for the guard.
    func guessFailed() async {
        if let lock = guessGuard.recordFailure(at: clock.now) { await locked(lock) }
    }

    func locked(_ lock: GuessGuard<C.Instant>.Lock) async {
        pauseToArm = lock.until
        if let c = collecting {
            // A split payment in progress ends: nothing of it was redeemed yet.
            collecting = nil
            await closeAdmission(c.admission, outcome: .denied)
        }
        await emit(.laneLocked, message: "\(lock.failures) unknown or unredeemable codes within \(settings.guessPolicy.window) — "
                   + "lane paused for \(lock.pause); `eguma-gate unlock \(settings.name)` ends the pause")
        await show(.denied(.lanePaused), .outOfOrder)
    }
}
