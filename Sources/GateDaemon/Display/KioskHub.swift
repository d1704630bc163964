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
    private let closed = Mutex(false)
    /// The port the kiosk server listens on, 0 until it does.
    public let port = ObservedValue(0)
    /// Open event streams (pages connected), for tests and diagnostics.
    public let connections = ObservedValue(0)

    init(lanes: [LaneRuntime]) {
        laneNames = lanes.map(\.config.name)
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
        updates.finish()
    }

    private func render(lane: String, _ screen: GuestScreen) -> Screen {
        let text = screen.current
        return Screen(lane: lane, state: screen.state.summary, outcome: text.outcome, title: text.title, lines: text.lines,
                      countdown: countdown(lane: lane, screen.state))
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
