import Foundation
import Synchronization
import TOMLKit
#if canImport(Glibc)
import Glibc
#endif

/// Keeps a malformed file from killing the process that reads it.
///
/// toml++ (inside TOMLKit) stops the whole process on some malformed TOML — a failed assertion,
/// e.g. `x =[}` (docs/fuzzing.md). A technician's typo followed by `systemctl reload` would kill
/// the running gate, and every restart after it. So, in the eguma-gate binary, each text is first
/// parsed by a child process running the same binary (the hidden `toml-syntax-check` command).
/// A child that dies instead of answering means the text would have killed us: it becomes an
/// ordinary configuration error, with the first line from which a prefix of the file already
/// stops the parser (found by bisection, a few more children).
///
/// Off (`executable == nil`) in library users and the tests' own process; the tests check it
/// through the binary. A check costs one process start (~20 ms), once per load or reload.
public enum TOMLSyntaxGuard {
    private static let path = Mutex<String?>(nil)

    /// The binary whose hidden `toml-syntax-check` command parses in a child; nil = no check.
    public static var executable: String? {
        get { path.withLock { $0 } }
        set { path.withLock { $0 = newValue } }
    }

    /// Throws when `text` stops the TOML parser instead of being parsed or refused.
    static func check(_ text: String, file: String) throws(ConfigError) {
        guard let executable, survives(text, executable: executable) == false else { return }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        // The shortest prefix (in lines) that already stops the parser ends at the culprit.
        var low = 1, high = lines.count
        while low < high {
            let middle = (low + high) / 2
            if survives(lines[..<middle].joined(separator: "\n") + "\n", executable: executable) == false {
                high = middle
            } else {
                low = middle + 1
            }
        }
        throw ConfigError(file: file, key: nil, line: low,
                          reason: "not valid TOML: the parser cannot read this line or what it opens (an unclosed [ or {, "
                            + "a value missing after =, a stray character?) — fix it and run eguma-gate config check")
    }

    /// Parses `text` in a child; false when the child died (the parser's abort), true when it
    /// answered (valid or refused with a message), nil when no child could be started.
    static func survives(_ text: String, executable: String) -> Bool? {
        var input: [Int32] = [-1, -1]
        guard pipe(&input) == 0 else { return nil }
        _ = fcntl(input[1], F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // No crash report: the abort is the answer, not news (and it is quicker without).
        let environment: [String] = ["SWIFT_BACKTRACE=enable=no", "PATH=/usr/bin:/bin"]
        let arguments: [String] = [executable, "toml-syntax-check"]
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer { for p in argv + envp { free(p) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        close(input[0])
        guard spawned == 0 else { close(input[1]); return nil }
        _ = InterruptedCall.writeAll(Array(text.utf8), to: input[1])  // failed: the child died early, its status tells
        close(input[1])
        var status: Int32 = 0
        _ = InterruptedCall.retrying { waitpid(pid, &status, 0) }
        return status & 0x7f == 0  // exited (0: valid, 1: refused with a message) — not killed
    }

    /// The hidden `toml-syntax-check` command: parses standard input with TOMLKit and exits 0
    /// (valid) or 1 (refused); an abort inside the parser ends it by signal, without a core file.
    public static func childMain() -> Int32 {
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        setrlimit(Int32(RLIMIT_CORE.rawValue), &none)
        let text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        do {
            _ = try TOMLTable(string: text)
            return 0
        } catch {
            return 1
        }
    }
}
