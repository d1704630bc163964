#if canImport(Glibc)
import Glibc
#endif
import Foundation
@testable import GateDaemon
import Logging
import Synchronization
import TestSupport
import Testing

/// The control socket over a real Unix socket: request/answer, peer credentials, permissions.
/// Blocking client calls run `offPool`: the server serves on the cooperative pool (two threads
/// on two cores), which blocked test threads would starve.
struct ControlSocketTests {
    private func socketPath() -> String {
        "/tmp/eguma-ctl-\(UUID().uuidString.prefix(8)).sock"
    }

    @Test func aRequestReachesTheHandlerWithThePeersUser() async throws {
        let path = socketPath()
        let seen = Mutex<(ControlRequest, PeerCredentials)?>(nil)
        let server = ControlServer(path: path, logger: Logger(label: "test")) { request, peer in
            seen.withLock { $0 = (request, peer) }
            return ControlResponse(ok: true, message: "opened \(request.lane ?? "")")
        }
        try server.bind()
        let task = Task { try await server.run() }
        defer { task.cancel(); server.stop() }

        let response = try await withDeadline(.seconds(10), "control answer") {
            try await offPool { try ControlClient(path: path).send(ControlRequest(command: "open", lane: "main")) }
        }
        #expect(response == ControlResponse(ok: true, message: "opened main"))
        let (request, peer) = try #require(seen.withLock { $0 })
        #expect(request == ControlRequest(command: "open", lane: "main"))
        #expect(peer.uid == getuid())
        #expect(peer.pid == getpid())
        #expect(!peer.userName.isEmpty)
    }

    @Test func theSocketIsGroupAccessibleOnly() throws {
        let path = socketPath()
        let server = ControlServer(path: path, logger: Logger(label: "test")) { _, _ in ControlResponse(ok: true) }
        try server.bind()
        defer { server.stop() }
        let mode = try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        #expect(mode == 0o660)
    }

    @Test func aSecondDaemonOnTheSameSocketIsRefused() throws {
        let path = socketPath()
        let first = ControlServer(path: path, logger: Logger(label: "test")) { _, _ in ControlResponse(ok: true) }
        try first.bind()
        defer { first.stop() }
        let second = ControlServer(path: path, logger: Logger(label: "test")) { _, _ in ControlResponse(ok: true) }
        #expect(throws: ControlSocketError.self) { try second.bind() }
    }

    @Test func aStaleSocketFileFromACrashIsReplaced() throws {
        let path = socketPath()
        let crashed = ControlServer(path: path, logger: Logger(label: "test")) { _, _ in ControlResponse(ok: true) }
        try crashed.bind()
        // A crash: the socket file stays, nobody listens any more.
        crashed.stopKeepingFile()
        #expect(FileManager.default.fileExists(atPath: path))
        let next = ControlServer(path: path, logger: Logger(label: "test")) { _, _ in ControlResponse(ok: true) }
        try next.bind()
        next.stop()
    }

    @Test func noDaemonGivesAnErrorThatSaysWhatToCheck() {
        do {
            _ = try ControlClient(path: "/tmp/nonexistent-eguma.sock").send(ControlRequest(command: "status"))
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("is the daemon running?"))
        }
    }

    @Test func garbageGetsAnAnswerNotACrash() async throws {
        let path = socketPath()
        let server = ControlServer(path: path, logger: Logger(label: "test")) { _, _ in ControlResponse(ok: true) }
        try server.bind()
        let task = Task { try await server.run() }
        defer { task.cancel(); server.stop() }
        let answer = try await withDeadline(.seconds(10), "answer to garbage") {
            try await offPool { try rawExchange(path: path, line: "hello\n") }
        }
        #expect(answer.contains("\"ok\":false"))
        #expect(answer.contains("one JSON object per line"))
    }

    // MARK: Limits (issue 12 item 7)

    private func limitedServer(_ limits: ControlServer.Limits) throws -> (ControlServer, String, Task<Void, any Error>) {
        let path = socketPath()
        let server = ControlServer(path: path, limits: limits, logger: Logger(label: "test")) { _, _ in
            ControlResponse(ok: true, message: "served")
        }
        try server.bind()
        return (server, path, Task { try await server.run() })
    }

    @Test func anIdleConnectionIsAnsweredAndClosedAfterTheTimeout() async throws {
        let (server, path, task) = try limitedServer(.init(idleTimeout: .milliseconds(300)))
        defer { task.cancel(); server.stop() }
        let started = ContinuousClock.now
        let answer = try await withDeadline(.seconds(10), "the idle connection to be closed") {
            try await offPool { try rawExchange(path: path, line: "") }  // connects, sends nothing
        }
        #expect(answer.contains("no request within"), "\(answer)")
        // The server's 300 ms limit answered (the text says so), not the client's own timeout;
        // the bound only catches a wait for the client (a loaded CI machine took 5.1 s once).
        #expect(ContinuousClock.now - started < .seconds(9))
        #expect(server.activeConnections <= 1)
    }

    @Test func anOverLongLineIsRefusedWithAClearError() async throws {
        let (server, path, task) = try limitedServer(.init(maxLineBytes: 1024))
        defer { task.cancel(); server.stop() }
        let answer = try await withDeadline(.seconds(10), "answer to a long line") {
            try await offPool { try rawExchange(path: path, line: "{\"command\":\"" + String(repeating: "s", count: 5000) + "\"}\n") }
        }
        #expect(answer.contains("longer than 1024 bytes"), "\(answer)")
        let normal = try await withDeadline(.seconds(10), "a normal request after it") {
            try await offPool { try rawExchange(path: path, line: "{\"command\":\"status\"}\n") }
        }
        #expect(normal.contains("served"))
    }

    @Test func connectionsOverTheCapAreToldBusyAndTheServerRecovers() async throws {
        let (server, path, task) = try limitedServer(.init(maxConnections: 2, idleTimeout: .seconds(30)))
        defer { task.cancel(); server.stop() }
        let idle = try (0..<2).map { _ in try connectIdle(path) }
        try await withDeadline(.seconds(10), "both idle connections to be served") {
            while server.activeConnections < 2 { await Task.yield() }
        }
        let refused = try await withDeadline(.seconds(10), "the third connection's answer") {
            try await offPool { try rawExchange(path: path, line: "{\"command\":\"status\"}\n") }
        }
        #expect(refused.contains("busy"), "\(refused)")
        for fd in idle { close(fd) }
        try await withDeadline(.seconds(10), "the idle connections' slots to be freed") {
            while server.activeConnections > 0 { await Task.yield() }
        }
        let served = try await withDeadline(.seconds(10), "a request after the flood") {
            try await offPool { try rawExchange(path: path, line: "{\"command\":\"status\"}\n") }
        }
        #expect(served.contains("served"))
    }
}

/// A connection that sends nothing.
/// Close-on-exec like every socket in the suite: a child process another test spawns meanwhile
/// must not inherit it — an inherited copy kept the server's side open after `close` (the
/// "slots to be freed" wait timed out in a fresh-clone run).
private func connectIdle(_ path: String) throws -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    var address = try sockaddrUnix(path)
    let rc = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard rc == 0 else { close(fd); throw ControlSocketError(path: path, operation: "connect", errno: errno) }
    return fd
}

/// Writes one raw line and reads the answer (to send what ControlClient would not).
private func rawExchange(path: String, line: String) throws -> String {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in path.utf8.enumerated() { raw[i] = b } }
    let rc = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard rc == 0 else { throw ControlSocketError(path: path, operation: "connect", errno: errno) }
    _ = line.withCString { send(fd, $0, strlen($0), 0) }
    var buffer = [UInt8](repeating: 0, count: 4096)
    let n = recv(fd, &buffer, buffer.count, 0)
    return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : ""
}
