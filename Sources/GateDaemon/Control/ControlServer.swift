#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The daemon's control socket: a Unix stream socket (mode 0660, so the service group may use
/// it) speaking one JSON request and one JSON answer per line.
///
/// Accepting and reading block, so they run on a dedicated thread, never on the Swift pool; each
/// request is handed to the async `handler`. The peer's uid comes from `SO_PEERCRED`, which the
/// kernel fills in and a client cannot forge.
///
/// Bounded (issue 12 item 7), so that a local user who may use the socket cannot exhaust the
/// daemon's file descriptors or threads: at most `Limits.maxConnections` are served at once (one
/// more is answered "busy" and closed at once), each must send its request line within
/// `idleTimeout` in total (a slow sender is cut off, not only a silent one), and a line longer than
/// `maxLineBytes` is refused with an error answer.
public final class ControlServer: Service, Sendable {
    public typealias Handler = @Sendable (ControlRequest, PeerCredentials) async -> ControlResponse

    /// The socket's resource limits; tests inject short ones.
    public struct Limits: Sendable {
        public var maxConnections: Int
        public var idleTimeout: Duration
        public var maxLineBytes: Int

        public init(maxConnections: Int = 16, idleTimeout: Duration = .seconds(10), maxLineBytes: Int = 64 * 1024) {
            self.maxConnections = maxConnections; self.idleTimeout = idleTimeout; self.maxLineBytes = maxLineBytes
        }
    }

    public let path: String
    public let limits: Limits
    private let handler: Handler
    private let logger: Logger
    private let listenFD = Mutex<Int32>(-1)
    private let active = Mutex(0)

    public init(path: String, limits: Limits = Limits(), logger: Logger, handler: @escaping Handler) {
        self.path = path; self.limits = limits; self.logger = logger; self.handler = handler
    }

    /// Connections being served now (tests, status).
    public var activeConnections: Int { active.withLock { $0 } }

    /// Binds the socket. Separate from `run()` so that start-up fails early with a clear error.
    public func bind() throws(ControlSocketError) {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty && !FileManager.default.fileExists(atPath: dir) {
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o750])
            } catch {
                throw ControlSocketError(path: path, operation: "create directory \(dir)", errno: EACCES)
            }
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ControlSocketError(path: path, operation: "socket", errno: errno) }
        // A socket file left by a crashed daemon is stale; one answered by a live daemon is not.
        if ControlClient.isAlive(path: path) {
            close(fd)
            throw ControlSocketError(path: path, operation: "bind (another eguma-gate daemon is running)", errno: EADDRINUSE)
        }
        unlink(path)
        var address = try sockaddrUnix(path)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { let e = errno; close(fd); throw ControlSocketError(path: path, operation: "bind", errno: e) }
        chmod(path, 0o660)
        guard listen(fd, 16) == 0 else { let e = errno; close(fd); throw ControlSocketError(path: path, operation: "listen", errno: e) }
        listenFD.withLock { $0 = fd }
    }

    public func run() async throws {
        if listenFD.withLock({ $0 }) < 0 { try bind() }
        let fd = listenFD.withLock { $0 }
        let thread = Thread { [self] in acceptLoop(fd) }
        thread.name = "control-socket"
        thread.start()
        try? await gracefulShutdown()
        stop()
    }

    /// Stops accepting and removes the socket file.
    public func stop() {
        let fd = listenFD.withLock { fd -> Int32 in let old = fd; fd = -1; return old }
        guard fd >= 0 else { return }
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
        unlink(path)
    }

    /// Closes the listening socket but leaves the file, as a crashed daemon would (tests).
    func stopKeepingFile() {
        let fd = listenFD.withLock { fd -> Int32 in let old = fd; fd = -1; return old }
        guard fd >= 0 else { return }
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    private func acceptLoop(_ fd: Int32) {
        while true {
            let client = accept(fd, nil, nil)
            if client >= 0 { _ = fcntl(client, F_SETFD, FD_CLOEXEC) }
            if client < 0 {
                if errno == EINTR { continue }
                return  // listening socket closed by stop()
            }
            let admitted = active.withLock { n -> Bool in
                guard n < limits.maxConnections else { return false }
                n += 1
                return true
            }
            guard admitted else {
                logger.warning("control socket \(path): more than \(limits.maxConnections) connections at once — one refused")
                reply(client, .failure("busy: \(limits.maxConnections) control connections are open already — try again shortly"))
                close(client)
                continue
            }
            let peer = peerCredentials(client)
            let thread = Thread { [self] in
                serve(client, peer: peer)
                active.withLock { $0 -= 1 }
            }
            thread.start()
        }
    }

    private func serve(_ fd: Int32, peer: PeerCredentials) {
        defer { close(fd) }
        // A client that does not read its answer must not hold this thread either.
        let (seconds, atto) = limits.idleTimeout.components
        var timeout = timeval(tv_sec: Int(seconds), tv_usec: Int(atto / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let line: String
        switch readLine(fd) {
        case .line(let text): line = text
        case .closed: return
        case .idle:
            reply(fd, .failure("no request within \(limits.idleTimeout) — connection closed"))
            return
        case .tooLong:
            logger.warning("control socket \(path): request line from uid \(peer.uid) longer than \(limits.maxLineBytes) bytes refused")
            reply(fd, .failure("request line longer than \(limits.maxLineBytes) bytes — send one short JSON object per line"))
            return
        }
        let response: ControlResponse
        if let request = ControlRequest.parse(line) {
            let box = Mutex<ControlResponse?>(nil)
            let done = DispatchSemaphore(value: 0)
            let handler = self.handler
            Task {
                let answer = await handler(request, peer)
                box.withLock { $0 = answer }
                done.signal()
            }
            done.wait()
            response = box.withLock { $0 } ?? .failure("no answer")
        } else {
            response = .failure("not a control request: send one JSON object per line, e.g. {\"command\":\"status\"}")
        }
        reply(fd, response)
    }

    private func reply(_ fd: Int32, _ response: ControlResponse) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var bytes = Array((try? encoder.encode(response)) ?? Data("{\"ok\":false}".utf8))
        bytes.append(UInt8(ascii: "\n"))
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    private enum Read { case line(String), closed, idle, tooLong }

    /// Reads one line within `idleTimeout` in total (not per byte: a client trickling bytes is
    /// cut off as well). A client closing after its line without a newline still counts.
    private func readLine(_ fd: Int32) -> Read {
        let deadline = ContinuousClock.now + limits.idleTimeout
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { return .idle }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let (seconds, atto) = left.components
            let ready = poll(&pfd, 1, Int32(clamping: max(1, seconds * 1000 + atto / 1_000_000_000_000_000)))
            if ready < 0 && errno == EINTR { continue }
            if ready < 0 { return .closed }
            if ready == 0 { return .idle }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return data.isEmpty ? .closed : .line(String(decoding: data, as: UTF8.self)) }
            data.append(contentsOf: buffer[0..<n])
            if let nl = data.firstIndex(of: UInt8(ascii: "\n")) {
                return nl > limits.maxLineBytes ? .tooLong : .line(String(decoding: data[..<nl], as: UTF8.self))
            }
            if data.count > limits.maxLineBytes { return .tooLong }
        }
    }

    private func peerCredentials(_ fd: Int32) -> PeerCredentials {
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; } — three 32-bit fields on Linux
        // (Glibc's Swift module hides the struct behind _GNU_SOURCE).
        var cred: [UInt32] = [0, 0, 0]
        var length = socklen_t(12)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) == 0, length == 12 else {
            return PeerCredentials(pid: 0, uid: UInt32.max, userName: "unknown")
        }
        let uid = cred[1]
        return PeerCredentials(pid: Int32(bitPattern: cred[0]), uid: uid, userName: PeerCredentials.userName(uid: uid))
    }
}

/// Builds a `sockaddr_un` for `path`, or fails when the path is too long for one.
func sockaddrUnix(_ path: String) throws(ControlSocketError) -> sockaddr_un {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
        throw ControlSocketError(path: path, operation: "use (path longer than 107 bytes)", errno: ENAMETOOLONG)
    }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        for (i, b) in bytes.enumerated() { raw[i] = b }
    }
    return address
}

/// A control socket operation that failed, with the path and what to do.
public struct ControlSocketError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let operation: String
    public let errno: Int32

    public var description: String {
        let reason = String(cString: strerror(errno))
        var hint = ""
        switch errno {
        case ENOENT, ECONNREFUSED: hint = " — is the daemon running? (systemctl status eguma-gate)"
        case EACCES, EPERM: hint = " — is this user in group eguma-gate?"
        default: break
        }
        return "control socket \(path): \(operation): \(reason.lowercased())\(hint)"
    }
}
