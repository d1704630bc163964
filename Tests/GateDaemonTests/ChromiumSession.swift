import Foundation
import GateCore
import GateDaemon
import Glibc
import Synchronization
import TestSupport

/// A real headless Chromium driven over the DevTools protocol on `--remote-debugging-pipe`
/// (NUL-terminated JSON on fds 3 and 4): the test loads a page once and then reads the live DOM
/// as Server-Sent Events change it. Replies are read on a dedicated thread.
final class ChromiumSession: Sendable {
    struct Failure: Error, CustomStringConvertible { let description: String }

    let pid: pid_t
    private let commands: Int32
    private let replies = ObservedValue<[Int: Data]>([:])
    private let nextID = Atomic<Int>(0)
    private let session = Mutex<String?>(nil)
    /// Set when Chromium closes its end of the pipe (it exited).
    private let ended = ObservedValue(false)

    static var executable: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Starts Chromium on `url` with a throw-away profile in `profile`.
    init(url: String, profile: String, windowSize: String = "1280,720") throws {
        guard let binary = Self.executable else { throw Failure(description: "chromium is not installed (apt-get install chromium)") }
        var toChrome: [Int32] = [0, 0], fromChrome: [Int32] = [0, 0]
        guard pipe(&toChrome) == 0, pipe(&fromChrome) == 0 else {
            throw Failure(description: "pipe: \(String(cString: strerror(errno)))")
        }
        // Only the dup2'ed copies (fds 3 and 4) reach Chromium.
        for fd in toChrome + fromChrome { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChrome[0], 3)
        posix_spawn_file_actions_adddup2(&actions, fromChrome[1], 4)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let args = [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
                    "--no-first-run", "--no-default-browser-check", "--user-data-dir=\(profile)",
                    "--window-size=\(windowSize)", url]
        var argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // Without umockdev's preload: the browser has no business in the testbed, and its
        // /dev/shm files created there kept umockdev from removing the testbed (a fatal error).
        var env: [UnsafeMutablePointer<CChar>?] = Self.environmentWithoutUmockdev().map { strdup($0) } + [nil]
        defer { env.forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, binary, &actions, nil, &argv, &env)
        Glibc.close(toChrome[0]); Glibc.close(fromChrome[1])
        guard rc == 0 else { throw Failure(description: "spawn chromium: \(String(cString: strerror(rc)))") }
        pid = child
        commands = toChrome[1]
        let input = fromChrome[0]
        let replies = self.replies
        let ended = self.ended
        Thread {
            var buffer: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                buffer += chunk[0..<n]
                while let end = buffer.firstIndex(of: 0) {
                    let message = Data(buffer[..<end])
                    buffer.removeSubrange(...end)
                    if let object = try? JSONSerialization.jsonObject(with: message) as? [String: Any], let id = object["id"] as? Int {
                        replies.update { $0[id] = message }
                    }
                }
            }
            Glibc.close(input)
            ended.update { $0 = true }
        }.start()
    }

    /// This process's environment (`NAME=value`) without `LD_PRELOAD` and `UMOCKDEV_*`.
    static func environmentWithoutUmockdev() -> [String] {
        ChildProcess.currentEnvironment().filter { $0.key != "LD_PRELOAD" && !$0.key.hasPrefix("UMOCKDEV_") }
            .map { "\($0.key)=\($0.value)" }
    }

    /// Sends one DevTools command and returns its `result` (as JSON data).
    func call(_ method: String, _ params: [String: Any] = [:], inPage: Bool = true) async throws -> [String: Any] {
        let id = nextID.add(1, ordering: .relaxed).newValue
        var message: [String: Any] = ["id": id, "method": method, "params": params]
        if inPage, let session = session.withLock({ $0 }) { message["sessionId"] = session }
        var bytes = [UInt8](try JSONSerialization.data(withJSONObject: message))
        bytes.append(0)
        let written = bytes.withUnsafeBytes { write(commands, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw Failure(description: "write to chromium: \(String(cString: strerror(errno)))") }
        let replies = self.replies
        let data = try await withDeadline(.seconds(20), "chromium's answer to \(method)") {
            guard let all = await replies.wait(until: { $0[id] != nil }), let data = all[id] else { throw CancellationError() }
            return data
        }
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        if let error = object["error"] { throw Failure(description: "\(method): \(error)") }
        return object["result"] as? [String: Any] ?? [:]
    }

    /// Attaches to the page tab (it appears shortly after start).
    func attachToPage() async throws {
        try await withDeadline(.seconds(30), "chromium's page target") { [self] in
            while true {
                let targets = try await call("Target.getTargets", inPage: false)["targetInfos"] as? [[String: Any]] ?? []
                if let page = targets.first(where: { $0["type"] as? String == "page" }), let id = page["targetId"] as? String {
                    let attached = try await call("Target.attachToTarget", ["targetId": id, "flatten": true], inPage: false)
                    session.withLock { $0 = attached["sessionId"] as? String }
                    return
                }
                try await Task.sleep(for: .milliseconds(100))  // polling the browser for its tab, not waiting for our event
            }
        }
    }

    /// Evaluates `expression` in the page and returns its value as a string.
    func evaluate(_ expression: String) async throws -> String {
        let result = try await call("Runtime.evaluate", ["expression": expression, "returnByValue": true])
        let value = (result["result"] as? [String: Any])?["value"]
        return value.map { "\($0)" } ?? ""
    }

    /// Polls the page until `expression` yields a string containing `text`; returns the last value.
    @discardableResult
    func waitFor(_ text: String, in expression: String = "document.body.innerText", timeout: Duration = .seconds(20)) async throws -> String {
        try await withDeadline(timeout, "\"\(text)\" on the kiosk page") { [self] in
            while true {
                let value = try await evaluate(expression)
                if value.contains(text) { return value }
                try await Task.sleep(for: .milliseconds(100))  // polling the browser's DOM, bounded by the deadline
            }
        }
    }

    /// A PNG screenshot of the page.
    func screenshot(to path: String) async throws {
        let result = try await call("Page.captureScreenshot", ["format": "png"])
        guard let base64 = result["data"] as? String, let png = Data(base64Encoded: base64) else {
            throw Failure(description: "no screenshot data")
        }
        try png.write(to: URL(fileURLWithPath: path))
    }

    func close() async {
        _ = try? await call("Browser.close", inPage: false)
        Glibc.close(commands)
        let ended = self.ended
        if (try? await withDeadline(.seconds(10), "chromium to exit", { await ended.wait(until: { $0 }) })) == nil {
            kill(pid, SIGKILL)
        }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
}
