import AsyncHTTPClient
import EgumaAPI
import EgumaSimulator
import Foundation
@testable import GateDaemon
import Glibc
import NIOCore
import Testing
import TestSupport

/// Issue 12 items 3, 5 and 7 against the real `eguma-gate run` binary (PTY scanner under
/// umockdev, simulator over HTTP, control socket): a guest guessing codes, e-guma echoing the
/// API key in a 200 answer, and a local user flooding the control socket.
@Suite("hostile guests end to end", .serialized, .deviceAccess, .enabled(if: UmockdevEnvironment.shouldRun))
struct HostileGuestEndToEndTests {
    typealias Rig = RunEndToEndTests.Rig
    static let unknown = ["AAAA1111BBBB", "CCCC2222DDDD", "EEEE3333FFFF", "GGGG4444HHHH", "JJJJ5555KKKK"]

    private func balanceCalls(_ rig: Rig) async -> [SimulatorRequestRecord] {
        await rig.simulator.account.requestLog().filter { $0.endpoint == .balance }
    }

    @Test func fiveUnknownCodesLockTheLaneNoScanDuringThePauseReachesEgumaAndUnlockEndsIt() async throws {
        try await Rig.with { rig in
            try await rig.plugScanner()
            for code in Self.unknown { try rig.scan(code) }
            let locked = try await rig.events.waitFor("lane_locked")
            #expect(locked.message?.contains("eguma-gate unlock main") == true, "\(locked)")
            #expect(rig.gate.child.stderr.contains("lane_locked"), "logged (as a warning)")
            #expect(await balanceCalls(rig).count == 5)

            // During the pause: a real voucher and more guesses are refused without any e-guma call.
            try rig.scan()
            try rig.scan("ZZZZ9999YYYY")
            try await rig.events.waitFor("denied", count: 2) { $0.message?.contains("paused") == true }
            #expect(await balanceCalls(rig).count == 5, "no Balance call during the pause")
            let status = try await rig.cli("status", "--json")
            let lane = try #require(try JSONDecoder().decode(GateStatus.self, from: Data(status.stdout.utf8)).lanes.first)
            #expect(lane.state.contains("paused"), "\(lane.state)")

            // Staff unlock: recorded with the user; the next guest pays and enters.
            let unlock = try await rig.cli("unlock", "main")
            #expect(unlock.status == 0, "\(unlock)")
            #expect(unlock.stdout.contains("unlocked by \(RunEndToEndTests.userName)"), "\(unlock)")
            let unlocked = try await rig.events.waitFor("lane_unlocked")
            #expect(unlocked.message == "unlocked by \(RunEndToEndTests.userName)")
            try rig.scan()
            try await rig.events.waitFor("opened")
            #expect(try await rig.cli("sim", "passage", "main").status == 0)
            try await rig.events.waitFor("entered")
            #expect(await balanceCalls(rig).count == 6)
            let again = try await rig.cli("unlock", "main")
            #expect(again.stdout.contains("was not paused"), "\(again)")
        }
    }

    @Test func aShortCodeSweepStopsAfterTheBudgetAndNeverFindsTheLiveShortCode() async throws {
        try await Rig.with { rig in
            try await rig.plugScanner()
            let target = DemoVouchers.plenty
            let short = try #require(await rig.simulator.account.issueShortCode(for: target, preferred: "57"))
            for n in 0..<100 { try rig.scan(n < 10 ? "0\(n)" : "\(n)") }
            try await rig.events.waitFor("denied", count: 100, timeout: .seconds(60))
            let calls = await balanceCalls(rig)
            #expect(calls.count == 3, "three ShortCodes per minute reach e-guma: \(calls.map { $0.code ?? "" })")
            #expect(!calls.contains { $0.code == short })
            #expect(rig.events.events.filter { $0.type == "lane_locked" }.count == 1)
            #expect(rig.events.events.filter { $0.type == "redeemed" }.isEmpty)
            #expect(await rig.simulator.balance(of: target) == 10_000)
        }
    }

    @Test func aKeyInThe200BalanceMessageShowsNowhere() async throws {
        let key = SimulatedOutlet.demo.key
        let leaky = "Gesperrt: https://api.e-guma.ch/v1/vouchers/X/balance.json?apikey=\(key) (\(key))"
        let body = #"{"code":"\#(RunEndToEndTests.scanned)","is_redeemable":false,"balance_in_cents":0,"total_amount_in_cents":10000,"message":"\#(leaky)"}"#
        let display = try GateTestConfig.freePort()
        try await Rig.with({ $0.displayPort = display }) { rig in
            try await rig.plugScanner()
            await rig.simulator.setFault(.status(200, body: body), for: .balance)
            try rig.scan()
            let denied = try await rig.events.waitFor("denied")
            #expect(denied.message?.contains("Gesperrt") == true, "e-guma's message is still shown: \(denied)")

            let kiosk = try await withDeadline(.seconds(20), "the kiosk's current screen") { () async throws -> String in
                let response = try await HTTPClient.shared.execute(
                    HTTPClientRequest(url: "http://127.0.0.1:\(display)/lanes/main/events"), timeout: .seconds(10))
                var received = ""
                for try await chunk in response.body {
                    received += String(buffer: chunk)
                    if received.contains("Gesperrt") { break }
                }
                return received
            }
            let events = try await rig.cli("events", "--json")
            let status = try await rig.cli("status", "--json")
            let outputs = ["log": rig.gate.child.stderr, "events --json": events.stdout, "status --json": status.stdout,
                           "kiosk": kiosk, "events -f": rig.events.child.stdout]
            for (name, text) in outputs {
                #expect(!text.contains(key), "the API key leaked into \(name): \(text)")
            }
            #expect(kiosk.contains("Gesperrt"), "\(kiosk)")
            #expect(events.stdout.contains("Gesperrt"), "\(events.stdout)")
        }
    }

    @Test func theControlSocketBoundsConnectionsRefusesLongLinesAndKeepsServing() async throws {
        try await Rig.with { rig in
            let socketPath = rig.config.directory + "/control.sock"
            let fdsBefore = try openFDs(rig.gate.child.pid)

            // 40 idle connections: at most 16 are held, the others are told "busy" and closed.
            var held: [Int32] = []
            defer { for fd in held { close(fd) } }
            for _ in 0..<40 { held.append(try connectUnix(socketPath)) }
            let fds = held
            let answers = await offPool { answered(fds, expecting: 24, within: .seconds(10)) }
            #expect(answers.count == 24, "\(answers.count) of 40 connections answered at once: \(answers)")
            #expect(answers.allSatisfy { $0.contains("busy") }, "\(answers)")
            // The refused connections are closed after their "busy" is written: a client can read
            // the answer before the daemon's close went through (seen under load: 45 of 44 fds).
            // Held at most 16: the count settles at or below the bound, within a deadline.
            let bound = fdsBefore + 16 + 4
            let pid = rig.gate.child.pid
            var fdsDuring = try openFDs(pid)
            let settleBy = ContinuousClock.now + TestPatience.scaled(.seconds(10))
            while fdsDuring > bound, ContinuousClock.now < settleBy {
                await Task.yield()
                fdsDuring = try openFDs(pid)
            }
            #expect(fdsDuring <= bound, "daemon fds \(fdsBefore) → \(fdsDuring) with 40 connections")
            print("control socket: daemon fds \(fdsBefore) idle → \(fdsDuring) with 40 connections open")
            for fd in held { close(fd) }
            held = []

            // The daemon still serves normal requests.
            let status = try await withDeadline(.seconds(30), "status after the flood") { () async throws -> GateBinary.Result in
                // The closed connections' slots are freed as their threads see EOF: retry until then.
                while true {
                    let result = try await rig.cli("status", "--json")
                    if result.status == 0 { return result }
                }
            }
            #expect(status.stdout.contains("\"gate\""))

            // An over-long request line gets a clear error answer.
            let line = Array(("{\"command\":\"status\",\"lane\":\"" + String(repeating: "x", count: 70_000) + "\"}\n").utf8)
            let refused = try await withDeadline(.seconds(30), "the answer to an over-long line") { () async throws -> String in
                while true {
                    let long = try connectUnix(socketPath)
                    defer { close(long) }
                    _ = line.withUnsafeBytes { send(long, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    let answer = await offPool { readAnswer(long) }
                    if !answer.contains("busy") { return answer }  // a slot of the flood not yet freed
                }
            }
            #expect(refused.contains("longer than 65536 bytes"), "\(refused)")
        }
    }

    /// Runs a blocking socket wait on its own thread, not on the (two-thread) cooperative pool
    /// that the embedded simulators of parallel tests need.
    private func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: work()) }.start()
        }
    }

    private func openFDs(_ pid: pid_t) throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
    }

    private func connectUnix(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        try #require(fd >= 0)
        var address = try sockaddrUnix(path)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(rc == 0, "connect \(path): \(String(cString: strerror(errno)))")
        return fd
    }

    /// The answers of those of `fds` that answered (and closed) within `within`, waiting until
    /// `expecting` did or the time is up. Connections held open by the daemon do not answer.
    private func answered(_ fds: [Int32], expecting: Int, within: Duration) -> [String] {
        let deadline = ContinuousClock.now + TestPatience.scaled(within)
        var answers: [Int32: String] = [:]
        while answers.count < expecting, ContinuousClock.now < deadline {
            var polled = fds.filter { answers[$0] == nil }.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            guard poll(&polled, nfds_t(polled.count), 200) > 0 else { continue }
            for p in polled where p.revents != 0 { answers[p.fd] = readAnswer(p.fd) }
        }
        return Array(answers.values)
    }

    /// Reads until the peer closes or a newline (5 s receive timeout).
    private func readAnswer(_ fd: Int32) -> String {
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            data.append(contentsOf: buffer[0..<n])
            if data.last == UInt8(ascii: "\n") { break }
        }
        return String(decoding: data, as: UTF8.self)
    }
}
