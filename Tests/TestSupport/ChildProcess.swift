import Foundation
import Synchronization

/// A child process (usually the built `eguma-gate`) whose stdout and stderr are drained on
/// dedicated threads, so a chatty child never blocks on a full pipe, and whose exit a test awaits
/// with a deadline.
public final class ChildProcess: @unchecked Sendable {
    /// How a child ended.
    public struct Exit: Sendable, Equatable, CustomStringConvertible {
        public var status: Int32
        /// True when `status` is the number of the signal that killed it.
        public var signalled: Bool
        public var description: String { signalled ? "killed by signal \(status)" : "exit \(status)" }
        public init(status: Int32, signalled: Bool) { self.status = status; self.signalled = signalled }
    }

    public let pid: pid_t
    private let exitState = ExitState()
    private let out = OutputBuffer(lines: Recorder<String>())
    private let err = OutputBuffer(lines: Recorder<String>())
    /// Every complete stdout line, as it arrives.
    public var stdoutLines: Recorder<String> { out.lines! }
    /// Every complete stderr line (the daemon's log), as it arrives.
    public var stderrLines: Recorder<String> { err.lines! }
    private let drained = DispatchGroup()

    /// Could not start the child.
    public struct SpawnError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts `executable` with posix_spawn, stdin from /dev/null. The environment is this
    /// process's (so umockdev's `LD_PRELOAD` and `UMOCKDEV_DIR` carry over) with `environment`
    /// applied on top; `remove` drops variables. Signal dispositions and mask are reset, so the
    /// child reacts to SIGTERM/SIGHUP as it would under systemd.
    ///
    /// Not Foundation's `Process`: its exit monitoring missed children that end very quickly
    /// (a `tmux new-session -d` client stayed a zombie), and a test must never hang on that.
    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                remove: [String] = []) throws {
        var env = Self.currentEnvironment()
        for key in remove { env[key] = nil }
        env.merge(environment) { $1 }

        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else {
            throw SpawnError(description: "pipe: \(String(cString: strerror(errno)))")
        }
        // Not inherited by other children this process starts meanwhile (pipe2 is not exported).
        for fd in outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        // Nothing else of the test process reaches the child: without this, every daemon a test
        // started inherited the ~1,300 descriptors the concurrent tests held open at that moment
        // (sockets, PTYs, other children's pipes) and kept them open while it ran.
        guard Self.addCloseFrom(&actions, 3) == 0 else {
            throw SpawnError(description: "posix_spawn_file_actions_addclosefrom_np failed")
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t(), defaults = sigset_t()
        sigemptyset(&empty)
        sigemptyset(&defaults)
        for signal in [SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv + envp { free(p) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        close(outPipe[1])
        close(errPipe[1])
        guard spawned == 0 else {
            close(outPipe[0])
            close(errPipe[0])
            throw SpawnError(description: "spawn \(executable): \(String(cString: strerror(spawned)))")
        }
        self.pid = pid
        let childPID = pid
        drain(outPipe[0], into: out)
        drain(errPipe[0], into: err)
        let exitState = self.exitState
        Thread {
            var status: Int32 = 0
            while waitpid(childPID, &status, 0) < 0 && errno == EINTR {}
            let signal = status & 0x7f
            let exit = signal == 0 ? Exit(status: (status >> 8) & 0xff, signalled: false) : Exit(status: signal, signalled: true)
            let waiters = exitState.value.withLock { s -> [CheckedContinuation<Exit?, Never>] in
                s.exit = exit
                defer { s.waiters = [] }
                return s.waiters.map(\.continuation)
            }
            for w in waiters { w.resume(returning: exit) }
        }.start()
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which Swift's Glibc module
    /// does not declare.
    private static let addCloseFrom: @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32 = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else {
            fatalError("glibc 2.34 or later is needed: posix_spawn_file_actions_addclosefrom_np is missing")
        }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    /// This process's environment as it is now, read from `environ`: umockdev's testbed sets
    /// `UMOCKDEV_DIR` after start-up, which a cached copy would miss.
    public static func currentEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }

    public var isRunning: Bool { exitState.value.withLock { $0.exit == nil } }
    public var stdout: String { out.text }
    public var stderr: String { err.text }

    /// Sends `signal` (SIGTERM, SIGHUP …) if the child still runs.
    public func signal(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Waits for the child to end; after `timeout` it is killed (SIGKILL) and the wait fails.
    /// A cancelled wait leaves the child running.
    /// Returns once its output is drained too.
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(30), _ what: String = "the child process to exit") async throws -> Exit {
        let exit: Exit
        do {
            exit = try await withDeadline(timeout, what) { [self] in
                guard let exit = await exitStatus() else { throw CancellationError() }
                return exit
            }
        } catch let error as DeadlineExceeded {
            signal(SIGKILL)
            throw error
        }
        // Output is complete once both pipes hit EOF; a grandchild that kept them open must not
        // hang the test, so give up on the rest after a few seconds.
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let once = ResumeOnce(c)
            drained.notify(queue: .global()) { once.resume() }
            DispatchQueue.global().asyncAfter(deadline: .now() + 5) { once.resume() }
        }
        return exit
    }

    /// Kills the child if it still runs (cleanup in `defer`).
    public func killIfRunning() {
        signal(SIGKILL)
    }

    /// The exit status once the child ended; nil when the waiting task is cancelled first
    /// (a deadline must be able to give up on a child that does not end).
    private func exitStatus() async -> Exit? {
        let id = UUID()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Exit?, Never>) in
                let done = exitState.value.withLock { s -> Exit?? in
                    if let e = s.exit { return .some(e) }
                    if Task.isCancelled { return .some(nil) }
                    s.waiters.append((id, c))
                    return nil
                }
                if let done { c.resume(returning: done) }
            }
        } onCancel: {
            let waiter = exitState.value.withLock { s -> CheckedContinuation<Exit?, Never>? in
                guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return s.waiters.remove(at: i).continuation
            }
            waiter?.resume(returning: nil)
        }
    }

    /// Reads `handle` to EOF on its own thread (a blocking read never runs on the cooperative pool).
    private func drain(_ fd: Int32, into buffer: OutputBuffer) {
        drained.enter()
        let group = drained
        let thread = Thread {
            var pending = Data()
            var chunk = [UInt8](repeating: 0, count: 16_384)
            while true {
                let n = read(fd, &chunk, chunk.count)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }
                let data = Data(chunk[..<n])
                buffer.data.withLock { $0.append(data) }
                guard let lines = buffer.lines else { continue }
                pending.append(data)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    lines.append(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                    pending.removeSubrange(pending.startIndex...newline)
                }
            }
            close(fd)
            group.leave()
        }
        thread.start()
    }
}

/// What a child printed on one stream, and (for stdout) its lines as they arrive.
final class OutputBuffer: Sendable {
    let data = Mutex(Data())
    let lines: Recorder<String>?
    init(lines: Recorder<String>?) { self.lines = lines }
    var text: String { String(decoding: data.withLock { $0 }, as: UTF8.self) }
}

/// The exit status once known, and who waits for it.
final class ExitState: Sendable {
    let value = Mutex<(exit: ChildProcess.Exit?, waiters: [(id: UUID, continuation: CheckedContinuation<ChildProcess.Exit?, Never>)])>((nil, []))
}

/// Resumes a continuation the first time only.
final class ResumeOnce: Sendable {
    private let continuation: Mutex<CheckedContinuation<Void, Never>?>
    init(_ continuation: CheckedContinuation<Void, Never>) { self.continuation = Mutex(continuation) }
    func resume() { continuation.withLock { c in defer { c = nil }; return c }?.resume() }
}
