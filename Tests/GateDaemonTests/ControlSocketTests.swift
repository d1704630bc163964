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
            try ControlClient(path: path).send(ControlRequest(command: "open", lane: "main"))
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
            try rawExchange(path: path, line: "hello\n")
        }
        #expect(answer.contains("\"ok\":false"))
        #expect(answer.contains("one JSON object per line"))
    }
}

/// Writes one raw line and reads the answer (to send what ControlClient would not).
private func rawExchange(path: String, line: String) throws -> String {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
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
