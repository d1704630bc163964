import EgumaSimulator
import Foundation
import GateCore
import GateDaemon
import GateHardware
import Synchronization

/// The demo's terminal: reads what the user types (codes, y/n at the turnstile, a few commands)
/// and prints every step the gate takes — journal events, guest screen, relay and sensor lines.
final class DemoConsole: Sendable {
    /// The demo keyboard as the lane's scanner: a typed code goes straight to the lane.
    let source = FedCodeSource()
    private let walking = Mutex(false)
    private let screen: Mutex<GuestScreen>
    /// The simulated account's currency: every amount the demo prints is in it.
    private let currency: String

    init(language: DisplayLanguage = .de, currency: String) {
        self.currency = currency
        screen = Mutex(GuestScreen(texts: GuestTexts(language: language, currency: currency)))
        source.yield(.attached(device: "keyboard (demo)"))
    }

    /// Prints where a browser can follow the lane's guest screen, once the kiosk server listens.
    func printKioskURL(_ runtime: GateRuntime) async {
        guard let kiosk = runtime.kiosk, let port = await kiosk.port.wait(until: { $0 > 0 }) else { return }
        say("kiosk   guest screen: http://127.0.0.1:\(port)/lanes/main   (open it in a browser; all lanes: http://127.0.0.1:\(port)/)")
        prompt()
    }

    func printBanner(simulator: SimulatorServer, config: GateConfig, pty: String?) {
        let lane = config.lanes[0]
        let timeout = lane.settings.passageTimeout.components.seconds
        write("""

            eguma-gate demo — the whole gate on this machine: no hardware, no e-guma account.
              e-guma simulator  \(simulator.baseURL)  (outlet "demo")
              lane "main"       price \(currency) \(lane.settings.price), simulated relay (sim line 0) and passage sensor (sim line 1)
              journal           \(config.gate.database)

            Demo vouchers — \(pty == nil ? "type or paste one and press Enter, as a scanner would" : "write one to the PTY below"):
              \(DemoVouchers.plenty)   \(currency) 100.00  enough for several entries
              \(DemoVouchers.tooLittle)   \(currency)  10.00  too little: split payment, then scan another voucher
              \(DemoVouchers.redeemed)   already redeemed
              \(DemoVouchers.service)   service voucher "Spa-Tageseintritt" (product svc-spa-day)
              \(DemoVouchers.unknown)   a code e-guma does not know
              \(DemoVouchers.shortCode)               a voucher2mobile ShortCode (stands for \(DemoVouchers.shortCodeTarget))
            When the turnstile opens: y = walk through, n = stay (cancelled after \(timeout) s).
            Commands: status, help, quit.


            """)
        if let pty {
            write("Serial scanner PTY: \(pty)   e.g.  echo \(DemoVouchers.plenty.replacingOccurrences(of: "-", with: "")) > \(pty)\n\n")
        }
        prompt()
    }

    /// (Re)draws the prompt on the last line: "> ", or "walk through? [y/n] " while the turnstile is open.
    private func prompt() {
        write("\r\u{1B}[K" + (walking.withLock { $0 } ? "walk through? [y/n] " : "> "))
    }

    /// One line of output above the prompt. Events arrive while the prompt is showing: the line
    /// replaces the prompt and the prompt is drawn again below it, so the question "walk through?"
    /// never disappears behind the relay and sensor lines that follow it.
    private func say(_ text: String) {
        write("\r\u{1B}[K  \(text)\n")
        prompt()
    }

    /// Straight to the terminal, unbuffered. Not `print` + `fflush(nil)`: flushing every stream
    /// also waits for stdin's lock, which the line-reading thread holds while it waits for input.
    private func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Prints events, screen states and line changes until the gate stops.
    func show(_ runtime: GateRuntime) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                for await e in runtime.events.subscribe() {
                    var line = e.type.rawValue.padding(toLength: 17, withPad: " ", startingAt: 0)
                    if let code = e.code { line += " \(code)" }
                    if let a = e.amountCents { line += "  \(currency) \(Money(cents: a))" }
                    if let b = e.balanceCents { line += "  (balance \(currency) \(Money(cents: b)))" }
                    if let m = e.message, !m.isEmpty { line += "  — \(m)" }
                    say("event   \(line)")
                }
            }
            group.addTask { [self] in
                for await s in runtime.guestStates.subscribe() {
                    let isWalking = s.state == .walkThrough
                    walking.withLock { $0 = isWalking }
                    say("screen  \(screenText(s.state))")  // redraws the prompt for the new state
                }
            }
            group.addTask { [self] in
                for await change in runtime.simulatedChip.changeStream() {
                    // Relay and sensor only; the LEDs follow the screen line.
                    guard change.kind == .driven || change.kind == .input, change.offset < 2 else { continue }
                    if change.offset == 0 {
                        say("gpio    relay  \(change.active ? "ON  (turnstile released)" : "off")  (sim line 0)")
                    } else {
                        say("gpio    sensor \(change.physicalHigh ? "high" : "low (beam broken)")  (sim line 1)")
                    }
                }
            }
        }
    }

    /// The guest screen as one console line, in the lane's language (the same texts as the kiosk
    /// page and the pole display).
    private func screenText(_ state: GuestState) -> String {
        let text = screen.withLock { $0.show(state) }
        return ([text.title] + text.lines).joined(separator: " — ") + "  [\(text.outcome.rawValue)]"
    }

    /// Reads stdin lines on a dedicated thread; returns on EOF or `quit`.
    func readCommands(runtime: GateRuntime, pty: Bool) async {
        let (lines, sink) = AsyncStream<String>.makeStream()
        let thread = Thread {
            while let line = readLine(strippingNewline: true) { sink.yield(line) }
            sink.finish()
        }
        thread.start()
        for await raw in lines {
            let line = raw.trimmingCharacters(in: .whitespaces)
            let answer = line.lowercased()
            // While the turnstile is open only y/n (or quit) mean something: anything else asks
            // again and is never taken as a voucher code.
            if walking.withLock({ $0 }), !["quit", "exit", "q"].contains(answer) {
                if ["y", "yes"].contains(answer), let sensor = runtime.config.lanes[0].sensor {
                    do { try runtime.simulatedChip.simulatePassage(line: sensor.line) } catch {
                        say("(the simulated sensor did not take the passage: \(error))")
                    }
                } else if ["n", "no"].contains(answer) {
                    say("(the guest stays outside — waiting for the passage timeout)")
                } else {
                    say("please answer y (walk through) or n (stay outside)")
                }
                continue
            }
            switch answer {
            case "quit", "exit", "q":
                return
            case "help", "?":
                say("type a voucher code and Enter; y/n at the turnstile; status; quit")
            case "status":
                let status = await runtime.status()
                say("status  e-guma \(status.online ? "online" : "offline"), outbox \(status.outboxPending) pending \(status.outboxDead) dead, lane main: \(status.lanes.first?.state ?? "?"), \(status.lanes.first?.entriesToday ?? 0) entries today")
            default:
                if pty { say("(codes come from the PTY in --pty mode)"); continue }
                source.yield(.frame(Array(raw.utf8)))
            }
        }
    }
}
