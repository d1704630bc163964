import Synchronization

/// A balance-check lane (`mode = "balance"`): a scanner and a display, no relay. Each scan asks
/// e-guma's Balance (the integration guide's "Check-Balance-Function") and shows redeemable or
/// not with e-guma's message, the balance and the total. It never redeems.
///
/// Beside `LaneEngine` and sharing its first step (`VoucherCode.normalise`); pure like it: the
/// daemon logs what `report` tells it. The answer stays on screen for the lane's
/// `screen_hold_ms` (a `ScreenHold` around `feedback`), then the lane invites the next guest.
///
/// A balance lane answers whether a code exists — exactly what a guesser wants — so it has the
/// same code-guessing guard as a gate lane (`GuessGuard`): during a pause no scan reaches e-guma.
public final class BalanceCheckLane<C: Clock>: Sendable where C.Duration == Duration, C.Instant: Sendable {
    /// What one scan came to, for the daemon's log.
    public enum Report: Sendable, Equatable {
        case answered(VoucherBalance)
        case failed(VoucherCode, VoucherServiceError)
    }

    public let lane: String
    public let service: any VoucherService
    public let feedback: any GuestFeedback
    public let report: @Sendable (Report) -> Void
    let clock: C
    /// Where `lane_locked` / `lane_unlocked` go (nil in tests that do not look at them).
    let journal: (any AdmissionJournal)?
    private let guessGuard: Mutex<GuessGuard<C.Instant>>

    public init(lane: String = "balance", service: any VoucherService, feedback: any GuestFeedback, clock: C,
                guessPolicy: GuessPolicy = GuessPolicy(), journal: (any AdmissionJournal)? = nil,
                report: @escaping @Sendable (Report) -> Void = { _ in }) {
        self.lane = lane; self.service = service; self.feedback = feedback; self.clock = clock
        self.journal = journal; self.report = report
        guessGuard = Mutex(GuessGuard(policy: guessPolicy))
        (inputs, inbox) = AsyncStream.makeStream()
    }

    /// The lane's scanner events, made once per lane: the source's reader yields into it (through
    /// the lane's `ScannerSink`); finished on graceful shutdown. Staff's `unlock` is answered at
    /// once and has no need of it.
    public let inbox: AsyncStream<ScannerEvent>.Continuation
    private let inputs: AsyncStream<ScannerEvent>

    /// Runs until `inbox` is finished.
    public func run() async {
        for await event in inputs {
            switch event {
            case .attached:
                await feedback.show(.idle)
            case .detached:
                await feedback.show(.denied(.outOfOrder))
            case .frame(let bytes):
                await feedback.show(await check(bytes))
            }
        }
    }

    /// Staff ended a guard pause (`eguma-gate unlock LANE`). Returns whether the lane was paused.
    @discardableResult
    public func unlock(by reason: String) async -> Bool {
        let now = clock.now
        guard guessGuard.withLock({ $0.unlock(at: now) }) else { return false }
        await record(.laneUnlocked, reason)
        await feedback.show(.idle)
        return true
    }

    public var isPaused: Bool {
        let now = clock.now
        return guessGuard.withLock { $0.pausedUntil.map { now < $0 } ?? false }
    }

    /// The screen for one scanned frame.
    public func check(_ bytes: [UInt8]) async -> GuestState {
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
            report(.answered(answer))
            if !answer.isRedeemable, let lock = failed() { return await locked(lock) }
            return .balance(BalanceCheck(answer))
        } catch {
            report(.failed(code, error))
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

    /// The journal logs and counts a failed write itself (the daemon's `ObservedJournal`); the
    /// lane goes on either way — a guard event that could not be stored changes no money.
    private func record(_ type: GateEventType, _ message: String) async {
        do { try await journal?.append(GateEvent(type, lane: lane, message: message)) } catch {}
    }
}

extension BalanceCheckLane where C == ContinuousClock {
    /// A lane on the real clock with the default guard and no journal (tests of the screens).
    public convenience init(service: any VoucherService, feedback: any GuestFeedback,
                            report: @escaping @Sendable (Report) -> Void = { _ in }) {
        self.init(service: service, feedback: feedback, clock: ContinuousClock(), report: report)
    }
}
