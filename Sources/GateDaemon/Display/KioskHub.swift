import Foundation
import GateCore
import Synchronization

/// The kiosk pages' live state: each lane's current guest screen (in the lane's language) and a
/// stream of screen changes the Server-Sent-Events connections follow.
public final class KioskHub: Sendable {
    /// One lane's screen, as sent to the page.
    public struct Screen: Sendable, Equatable, Encodable {
        public var lane: String
        public var state: String
        public var outcome: DisplayOutcome
        public var title: String
        public var lines: [String]
        /// On the walk-through screen of a lane with a passage sensor: the seconds the guest has;
        /// while waiting for another voucher: the seconds until the split payment gives up (the
        /// page counts them down). Absent otherwise.
        public var countdown: Int?
        /// `receipt = "ask"`: true while the page offers a receipt for the admission that just entered.
        public var receipt: Bool?
    }

    enum Update: Sendable {
        case screen(Screen)
        case heartbeat
    }

    /// The lanes in config order.
    public let laneNames: [String]
    private let screens: Mutex<[String: GuestScreen]>
    /// Seconds to walk through, per lane with a passage sensor.
    private let passageSeconds: [String: Int]
    /// Seconds a split payment waits for the next voucher, per gate lane.
    private let splitSeconds: [String: Int]
    let updates = Broadcast<Update>()
    /// The secret of each lane whose screen takes input (keypad, receipt button: `KeypadKeys`).
    private let screenKeys: [String: String]
    /// Keypad lanes: where a typed code goes.
    private let keypads: [String: @Sendable ([UInt8]) -> Void]
    /// `receipt = "ask"` lanes, and the receipt each one offers now (with the offer's number).
    private let receiptLanes: Set<String>
    private let offers = Mutex<[String: Offer]>([:])
    private let offerCount = Mutex<UInt64>(0)
    /// One offer holds its timer: whatever ends the offer (a newer one, the next guest, the
    /// button, its time, the hub's end) cancels the timer with it (`endOffer`).
    private struct Offer {
        let receipt: ReceiptLayout
        let id: UInt64
        let timer: Task<Void, Never>
    }
    /// Receipts a guest asked for on the kiosk page, for `ReceiptService` to print.
    let receiptsRequested: AsyncStream<(String, ReceiptLayout)>
    private let requestReceipt: AsyncStream<(String, ReceiptLayout)>.Continuation
    /// How long a receipt stays offered after the guest walked through.
    static let receiptOffer: Duration = .seconds(30)

    /// What became of a typed code.
    enum Submission: Equatable {
        /// Handed to the lane like a scan.
        case accepted
        /// Not this lane's screen (no or wrong secret), or the lane has no keypad: nothing reached the lane.
        case forbidden
        /// Empty or longer than any voucher code: nothing reached the lane.
        case malformed
    }

    /// The longest code the keypad takes (e-guma codes are far shorter).
    static let maximumCodeLength = 64
    private let closed = Mutex(false)
    /// The port the kiosk server listens on, 0 until it does.
    public let port = ObservedValue(0)
    /// Open event streams (pages connected), for tests and diagnostics.
    public let connections = ObservedValue(0)

    /// - Parameter keys: each keypad lane's secret (`KeypadKeys`); a keypad lane without one refuses every code.
    init(lanes: [LaneRuntime], keys: [String: String] = [:]) {
        laneNames = lanes.map(\.config.name)
        var keypads: [String: @Sendable ([UInt8]) -> Void] = [:]
        for lane in lanes where lane.config.guestInput.keypad && lane.config.mode == .gate {
            keypads[lane.config.name] = { [lane] in lane.keypad($0) }
        }
        self.keypads = keypads
        screenKeys = keys
        receiptLanes = Set(lanes.filter { $0.config.guestInput.receipt == .ask && $0.config.guestInput.printer != nil }.map(\.config.name))
        (receiptsRequested, requestReceipt) = AsyncStream.makeStream()
        var initial: [String: GuestScreen] = [:]
        for lane in lanes {
            var screen = GuestScreen(texts: lane.guestTexts)
            _ = screen.show(lane.feedback.state)
            initial[lane.config.name] = screen
        }
        screens = Mutex(initial)
        var seconds: [String: Int] = [:]
        for lane in lanes where lane.config.mode == .gate && lane.config.settings.hasSensor {
            seconds[lane.config.name] = Int(lane.config.settings.passageTimeout.components.seconds)
        }
        passageSeconds = seconds
        splitSeconds = Dictionary(uniqueKeysWithValues: lanes.filter { $0.config.mode == .gate }.map {
            ($0.config.name, Int($0.config.settings.splitTimeout.components.seconds))
        })
    }

    /// The lane's screen now; nil for an unknown lane.
    public func screen(lane: String) -> Screen? {
        screens.withLock { all in all[lane].map { render(lane: lane, $0) } }
    }

    /// The lane's language (the page's `lang`).
    func language(lane: String) -> String {
        screens.withLock { $0[lane]?.texts.language.rawValue } ?? "de"
    }

    /// Whether `key` is the secret of `lane`'s own screen (the page then shows its keypad and
    /// receipt button); false for a lane that takes no input.
    func isOwnScreen(lane: String, key: String?) -> Bool { KeypadKeys.matches(key, screenKeys[lane]) }

    func hasKeypad(lane: String) -> Bool { keypads[lane] != nil }
    func asksForReceipt(lane: String) -> Bool { receiptLanes.contains(lane) }

    /// A code typed on `lane`'s screen: checked against the lane's secret before anything reaches
    /// the lane, so a stranger can neither admit nor trip the lane's guess guard.
    func submit(lane: String, key: String?, code: [UInt8]) -> Submission {
        guard let submit = keypads[lane], isOwnScreen(lane: lane, key: key) else { return .forbidden }
        guard !code.isEmpty, code.count <= Self.maximumCodeLength else { return .malformed }
        submit(code)
        return .accepted
    }

    /// `receipt = "ask"`: the page shows a receipt button for `receiptOffer` (or until the next guest).
    func offerReceipt(lane: String, _ receipt: ReceiptLayout) {
        guard receiptLanes.contains(lane) else { return }
        let id = offerCount.withLock { n in n += 1; return n }
        let timer = Task { [weak self] in
            guard (try? await Task.sleep(for: Self.receiptOffer)) != nil else { return }
            self?.withdrawReceipt(lane: lane, id: id)
        }
        offers.withLock { $0.updateValue(Offer(receipt: receipt, id: id, timer: timer), forKey: lane) }?.timer.cancel()
        resend(lane: lane)
    }

    /// The offer ends (the next guest, or its time ran out); `id` nil ends any offer.
    func withdrawReceipt(lane: String, id: UInt64? = nil) {
        if endOffer(lane: lane, id: id) != nil { resend(lane: lane) }
    }

    /// Removes the lane's offer (only offer `id`, when given) and cancels its timer; returns it.
    private func endOffer(lane: String, id: UInt64? = nil) -> Offer? {
        let offer = offers.withLock { all -> Offer? in
            guard let offer = all[lane], id == nil || offer.id == id else { return nil }
            return all.removeValue(forKey: lane)
        }
        offer?.timer.cancel()
        return offer
    }

    deinit {
        for offer in offers.withLock({ Array($0.values) }) { offer.timer.cancel() }
    }

    /// The guest pressed the receipt button: false when nothing is offered (too late, or not this screen).
    func takeReceipt(lane: String, key: String?) -> Bool {
        guard isOwnScreen(lane: lane, key: key), let offer = endOffer(lane: lane) else { return false }
        requestReceipt.yield((lane, offer.receipt))
        resend(lane: lane)
        return true
    }

    private func resend(lane: String) {
        if let screen = screen(lane: lane) { updates.send(.screen(screen)) }
    }

    func apply(_ state: LaneFeedback.LaneState) {
        let screen = screens.withLock { all -> Screen? in
            guard var screen = all[state.lane] else { return nil }
            _ = screen.show(state.state)
            all[state.lane] = screen
            return render(lane: state.lane, screen)
        }
        if let screen { updates.send(.screen(screen)) }
    }

    var isClosed: Bool { closed.withLock { $0 } }

    /// Ends every event stream (graceful shutdown: the pages reconnect to the next daemon).
    func close() {
        closed.withLock { $0 = true }
        requestReceipt.finish()
        updates.finish()
    }

    private func render(lane: String, _ screen: GuestScreen) -> Screen {
        let text = screen.current
        let offered = receiptLanes.contains(lane) && offers.withLock { $0[lane] != nil }
        return Screen(lane: lane, state: screen.state.summary, outcome: text.outcome, title: text.title, lines: text.lines,
                      countdown: countdown(lane: lane, screen.state), receipt: offered ? true : nil)
    }

    /// The seconds the page counts down: to walk through, or until a split payment gives up.
    private func countdown(lane: String, _ state: GuestState) -> Int? {
        switch state {
        case .walkThrough: passageSeconds[lane]
        case .awaitingMore: splitSeconds[lane]
        default: nil
        }
    }

    /// One Server-Sent Event carrying `screen` as JSON.
    static func event(_ screen: Screen) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = (try? encoder.encode(screen)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return "event: state\ndata: \(json)\n\n"
    }
}
