import GateCore
import Logging
import Synchronization

/// A balance-check lane (`mode = "balance"`): a scanner and a display, no relay. Each scan asks
/// e-guma's Balance (the integration guide's "Check-Balance-Function") and shows redeemable or
/// not with e-guma's message, the balance and the total. It never redeems.
///
/// The answer stays on screen for `hold`, then the lane invites the next guest again (so one
/// guest's balance is not shown to the next).
final class BalanceLaneRunner<C: Clock>: Sendable where C.Duration == Duration {
    let lane: String
    let service: any VoucherService
    let feedback: any GuestFeedback
    let clock: C
    let hold: Duration
    let logger: Logger
    /// Where `lane_locked`/`lane_unlocked` go (nil: only logged).
    let journal: (any AdmissionJournal)?
    /// A balance lane answers whether a code exists: exactly what a guesser wants, so it is guarded too.
    private let guessGuard: Mutex<GuessGuard<C.Instant>>

    init(lane: String, service: any VoucherService, feedback: any GuestFeedback, clock: C,
         hold: Duration = .seconds(20), guessPolicy: GuessPolicy = GuessPolicy(), journal: (any AdmissionJournal)? = nil,
         logger: Logger) {
        self.lane = lane; self.service = service; self.feedback = feedback; self.clock = clock
        self.hold = hold; self.logger = logger; self.journal = journal
        self.guessGuard = Mutex(GuessGuard(policy: guessPolicy))
    }

    /// Staff ended a guard pause. Returns whether the lane was paused.
    @discardableResult
    func unlock(by reason: String) async -> Bool {
        let now = clock.now
        guard guessGuard.withLock({ $0.unlock(at: now) }) else { return false }
        await record(.laneUnlocked, reason)
        await feedback.show(.idle)
        return true
    }

    var isPaused: Bool {
        let now = clock.now
        return guessGuard.withLock { $0.pausedUntil.map { now < $0 } ?? false }
    }

    /// Runs until `scanner` ends.
    func run(scanner: AsyncStream<ScannerEvent>) async {
        var reset: Task<Void, Never>?
        for await event in scanner {
            switch event {
            case .attached:
                await feedback.show(.idle)
            case .detached:
                reset?.cancel()
                await feedback.show(.denied(.outOfOrder))
            case .frame(let bytes):
                reset?.cancel()
                await reset?.value
                await feedback.show(await check(bytes))
                let (clock, hold, feedback) = (self.clock, self.hold, self.feedback)
                reset = Task {
                    do { try await clock.sleep(for: hold) } catch { return }
                    await feedback.show(.idle)
                }
            }
        }
        reset?.cancel()
    }

    /// The screen for one scanned frame.
    func check(_ bytes: [UInt8]) async -> GuestState {
        let code: VoucherCode
        switch VoucherCode.normalise(bytes) {
        case .failure(.empty): return .denied(.emptyCode)
        case .failure: return .denied(.unreadableCode)
        case .success(let c): code = c
        }
        let now = clock.now
        let (ended, verdict) = guessGuard.withLock { g in (g.expire(at: now), g.check(isShortCode: code.isShortCode, at: now)) }
        if ended { await record(.laneUnlocked, "pause over") }
        switch verdict {
        case .allowed: break
        case .paused: return .denied(.lanePaused)
        case .shortCodesOff: return .denied(.shortCodeNotAccepted)
        case .shortCodeBudgetSpent(let lock):
            if let lock { return await locked(lock) }
            return .denied(.shortCodeNotAccepted)
        }
        await feedback.show(.checking)
        do throws(VoucherServiceError) {
            let answer = try await service.balance(of: code)
            logger.info("balance check \(answer.code.masked): \(answer.isRedeemable ? "redeemable" : "not redeemable"), balance \(answer.balance)")
            if !answer.isRedeemable, let lock = failed() { return await locked(lock) }
            return .balance(BalanceCheck(answer))
        } catch {
            logger.warning("balance check \(code.masked) failed: \(error.description)")
            if case .rejected(let message) = error.kind {
                if let lock = failed() { return await locked(lock) }
                return .denied(.eguma(message: message))
            }
            if error.kind == .badAnswer { return .denied(.egumaError) }  // answered (5xx, garbage): not offline
            return .offline
        }
    }

    private func failed() -> GuessGuard<C.Instant>.Lock? {
        let now = clock.now
        return guessGuard.withLock { $0.recordFailure(at: now) }
    }

    private func locked(_ lock: GuessGuard<C.Instant>.Lock) async -> GuestState {
        await record(.laneLocked, "\(lock.failures) unknown or unredeemable codes — lane paused for \(lock.pause); "
                     + "`eguma-gate unlock \(lane)` ends the pause")
        return .denied(.lanePaused)
    }

    private func record(_ type: GateEventType, _ message: String) async {
        guard let journal else {
            logger.warning("lane \(lane): \(type.rawValue) — \(message)")
            return
        }
        do { try await journal.append(GateEvent(type, lane: lane, message: message)) } catch {
            logger.error("lane \(lane): \(type.rawValue) could not be journalled (\(error)) — \(message)")
        }
    }
}
