import EgumaSimulator
import Foundation
import Testing
import TestSupport

/// `eguma-gate demo` as a person uses it, in a real terminal: a detached tmux session, keys sent
/// with `send-keys`, the screen read with `capture-pane` until it shows what is expected.
@Suite("eguma-gate demo through tmux")
struct DemoThroughTmuxTests {
    /// One private tmux server (its own socket), without umockdev's preload.
    struct Tmux {
        let socket: String
        let session = "demo"

        func run(_ arguments: [String]) async throws -> GateBinary.Result {
            let child = try ChildProcess("/usr/bin/tmux", ["-S", socket] + arguments,
                                         environment: ["TERM": "xterm-256color"], remove: ["LD_PRELOAD", "UMOCKDEV_DIR", "TMUX"])
            let exit = try await child.waitForExit(timeout: .seconds(10), "tmux \(arguments.first ?? "")")
            return GateBinary.Result(exit: exit, stdout: child.stdout, stderr: child.stderr)
        }

        func send(_ keys: String...) async throws {
            let result = try await run(["send-keys", "-t", session] + keys)
            #expect(result.status == 0, "\(result)")
        }

        /// The pane with its scrollback.
        func screen() async throws -> String {
            try await run(["capture-pane", "-p", "-J", "-t", session, "-S", "-500"]).stdout
        }

        /// Reads the pane until `done` holds (deadline), returning the screen that satisfied it.
        @discardableResult
        func waitForScreen(_ what: String, timeout: Duration = .seconds(20),
                           _ done: @escaping @Sendable (String) -> Bool) async throws -> String {
            do {
                return try await withDeadline(timeout, "the demo screen to show \(what)") {
                    while true {
                        let text = try await screen()
                        if done(text) { return text }
                        try await Task.sleep(for: .milliseconds(50))  // repaint interval, not a wait for the event
                    }
                }
            } catch {
                Issue.record("screen when giving up:\n\(try await screen())")
                throw error
            }
        }
    }

    /// The line the cursor is on: the demo's prompt.
    static func lastLine(_ screen: String) -> String {
        screen.split(separator: "\n").last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map(String.init) ?? ""
    }

    static func count(_ needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    /// Runs `eguma-gate demo ARGUMENTS` in a fresh tmux session and `drive`s it; the private tmux
    /// server is always killed.
    private func withDemo(_ arguments: String, _ drive: (Tmux) async throws -> Void) async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") else {
            Issue.record("tmux is missing: apt-get install tmux (scripts/test installs it)")
            return
        }
        let directory = try GateTestConfig(baseURL: "http://127.0.0.1:9").directory
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let tmux = Tmux(socket: directory + "/tmux.sock")
        let binary = GateBinary.path
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw GateBinary.NotBuilt(path: binary) }
        let session = try await tmux.run(["new-session", "-d", "-s", tmux.session, "-x", "160", "-y", "50",
                                           "timeout 120 sh -c '\(binary) demo \(arguments); sleep 10'"])
        #expect(session.status == 0, "\(session)")
        // Bounded by `timeout 120` even if the kill below is never reached (the session, and
        // with it the private tmux server, ends with its command).

        do { try await drive(tmux) } catch {
            _ = try? await tmux.run(["kill-server"])
            throw error
        }
        _ = try? await tmux.run(["kill-server"])
    }

    @Test func anAcceptedEntryAndACancelledOne() async throws {
        let started = ContinuousClock.now
        try await withDemo("--passage-timeout-ms 3000", drive)
        print("demo through tmux: \(ContinuousClock.now - started)")
    }

    /// At "walk through? [y/n]" anything else asks again and is never taken as a voucher code.
    @Test func anythingButYOrNAtTheTurnstileAsksAgain() async throws {
        try await withDemo("--passage-timeout-ms 60000") { tmux in
            try await tmux.waitForScreen("the banner and the prompt") { $0.contains("Demo vouchers") && $0.contains("> ") }
            try await tmux.send(DemoVouchers.plenty.replacingOccurrences(of: "-", with: ""), "Enter")
            try await tmux.waitForScreen("the question walk through? [y/n]") { Self.lastLine($0).hasPrefix("walk through? [y/n]") }
            for answer in [DemoVouchers.tooLittle.replacingOccurrences(of: "-", with: ""), "maybe"] {
                try await tmux.send(answer, "Enter")
            }
            let asked = try await tmux.waitForScreen("the question asked again twice") {
                Self.count("please answer y (walk through) or n", in: $0) == 2 && Self.lastLine($0).hasPrefix("walk through? [y/n]")
            }
            #expect(Self.count("event   scanned", in: asked) == 1, "the typed code was not queued as a scan")
            try await tmux.send("y", "Enter")
            let entered = try await tmux.waitForScreen("event entered") { $0.contains("event   entered") }
            #expect(Self.count("event   scanned", in: entered) == 1)
            try await tmux.send("quit", "Enter")
            try await tmux.waitForScreen("the demo to stop") { $0.contains("demo stopped") }
        }
    }

    /// `demo --pty` prints the path another terminal writes to; `echo CODE > PATH` is a scan.
    @Test func aCodeEchoedToThePrintedPTYIsScanned() async throws {
        try await withDemo("--pty --passage-timeout-ms 60000") { tmux in
            let banner = try await tmux.waitForScreen("the PTY path") { $0.contains("Serial scanner PTY: /dev/pts/") && $0.contains("> ") }
            let line = try #require(banner.split(separator: "\n").first { $0.contains("Serial scanner PTY: ") })
            let path = try #require(line.split(separator: " ").first { $0.hasPrefix("/dev/pts/") }.map(String.init))
            let code = DemoVouchers.plenty.replacingOccurrences(of: "-", with: "")
            let echo = try ChildProcess("/bin/sh", ["-c", "echo \(code) > \(path)"], remove: ["LD_PRELOAD", "UMOCKDEV_DIR"])
            let wrote = try await echo.waitForExit(timeout: .seconds(10), "echo to \(path)")
            #expect(wrote.status == 0, "echo \(code) > \(path): \(echo.stderr)")
            try await tmux.waitForScreen("the question walk through? [y/n]") { Self.lastLine($0).hasPrefix("walk through? [y/n]") }
            try await tmux.send("y", "Enter")
            let entered = try await tmux.waitForScreen("event entered") { $0.contains("event   entered") }
            #expect(Self.count("event   scanned", in: entered) == 1, "one scan, from the PTY")
            try await tmux.send("quit", "Enter")
            try await tmux.waitForScreen("the demo to stop") { $0.contains("demo stopped") }
        }
    }

    /// Two guests: one walks through, one stays outside.
    private func drive(_ tmux: Tmux) async throws {
        try await tmux.waitForScreen("the banner and the prompt") { $0.contains("Demo vouchers") && $0.contains("> ") }

        // An accepted entry: code, the turnstile opens, the guest walks through.
        try await tmux.send(DemoVouchers.plenty.replacingOccurrences(of: "-", with: ""), "Enter")
        try await tmux.waitForScreen("the question walk through? [y/n]") { Self.lastLine($0).hasPrefix("walk through? [y/n]") }
        try await tmux.send("y", "Enter")
        let entered = try await tmux.waitForScreen("event entered") { $0.contains("event   entered") }
        #expect(entered.contains("relay  ON"))

        // Another voucher, and the guest stays outside: cancelled after the passage timeout.
        try await tmux.send(DemoVouchers.shortCodeTarget.replacingOccurrences(of: "-", with: ""), "Enter")
        try await tmux.waitForScreen("the question walk through? [y/n] again") {
            Self.count("screen  Please walk through", in: $0) == 2 && Self.lastLine($0).hasPrefix("walk through? [y/n]")
        }
        try await tmux.send("n", "Enter")
        // The event and the guest screen are printed by different tasks: wait for both.
        let cancelled = try await tmux.waitForScreen("event cancelled and the cancel screen") {
            $0.contains("event   cancelled") && $0.contains("screen  No passage — Payment cancelled")
        }
        #expect(cancelled.contains("event   no_passage"))
        let enteredAt = try #require(cancelled.range(of: "event   entered"))
        let cancelledAt = try #require(cancelled.range(of: "event   cancelled"))
        #expect(enteredAt.lowerBound < cancelledAt.lowerBound, "entered, then cancelled")
        #expect(Self.count("event   entered", in: cancelled) == 1)

        try await tmux.send("quit", "Enter")
        try await tmux.waitForScreen("the demo to stop") { $0.contains("demo stopped") }
    }
}
