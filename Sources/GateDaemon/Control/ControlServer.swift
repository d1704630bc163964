#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The daemon's control socket: a Unix stream socket (mode 0660, so the service group may use
/// it) speaking one JSON request and one JSON answer per line.
///
/// The socket is bound here (so that start-up fails early with a clear error, and a stale file
/// from a crash is told from a live daemon); SwiftNIO then accepts and serves it (issue 24: one
/// primitive for sockets — no accept thread, no thread per connection, no hand-written poll or
/// EINTR loop). Each connection is a child task of `run()`, so nothing outlives the server. The
/// peer's uid comes from `SO_PEERCRED`, which the kernel fills in and a client cannot forge: who
/// opened a lane or dropped an outbox entry is recorded with it.
///
/// Bounded (issue 12 item 7), so that a local user who may use the socket cannot exhaust the
/// daemon: at most `Limits.maxConnections` are served at once (one more is answered "busy" and
/// closed at once), each must send its request line within `idleTimeout` in total (a slow sender
/// is cut off, not only a silent one) and read its answer within the same time, and a line longer
/// than `maxLineBytes` is refused with an error answer.
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
    /// The bound socket until `run()` hands it to NIO, then NIO's server channel.
    private let listening = Mutex<Listening>(.none)
    private let active = Mutex(0)

    private enum Listening {
        case none
        case bound(Int32)
        /// `run()` is handing the bound socket to NIO: NIO owns it now.
        case starting
        case serving(any Channel)
        case stopped
    }

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
        // A socket file left by a crashed daemon is stale; one answered by a live daemon is not.
        if ControlClient.isAlive(path: path) {
            throw ControlSocketError(path: path, operation: "bind (another eguma-gate daemon is running)", errno: EADDRINUSE)
        }
        // NIO takes a bound socket but has no synchronous bind: these three calls stay here, once.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw ControlSocketError(path: path, operation: "socket", errno: errno) }
        unlink(path)
        var address = try sockaddrUnix(path)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { let e = errno; close(fd); throw ControlSocketError(path: path, operation: "bind", errno: e) }
        chmod(path, 0o660)
        guard listen(fd, 16) == 0 else { let e = errno; close(fd); throw ControlSocketError(path: path, operation: "listen", errno: e) }
        listening.withLock { $0 = .bound(fd) }
    }

    public func run() async throws {
        if case .none = listening.withLock({ $0 }) { try bind() }
        let bound = listening.withLock { state -> Int32? in
            guard case .bound(let fd) = state else { return nil }
            state = .starting
            return fd
        }
        guard let fd = bound else { return }  // stopped before it ran
        let maxLine = limits.maxLineBytes
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(fd) { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(ByteToMessageHandler(RequestLineDecoder(maxBytes: maxLine)))
                    return try NIOAsyncChannel<RequestLine, ByteBuffer>(wrappingChannelSynchronously: child)
                }
            }
        let stoppedMeanwhile = listening.withLock { state -> Bool in
            if case .stopped = state { return true }
            state = .serving(server.channel)
            return false
        }
        if stoppedMeanwhile { try? await server.channel.close() }
        try await withGracefulShutdownHandler {
            try await server.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in connections {
                        let admitted = active.withLock { n -> Bool in
                            guard n < limits.maxConnections else { return false }
                            n += 1
                            return true
                        }
                        group.addTask { [self] in
                            guard admitted else { return await refuseBusy(connection) }
                            await serve(connection)
                            active.withLock { $0 -= 1 }
                        }
                    }
                }
            }
        } onGracefulShutdown: { [self] in
            stop()
        }
    }

    /// Stops accepting and removes the socket file.
    public func stop() {
        stopListening()
        unlink(path)
    }

    /// Stops listening but leaves the file, as a crashed daemon would (tests).
    func stopKeepingFile() {
        stopListening()
    }

    private func stopListening() {
        let previous = listening.withLock { state -> Listening in
            defer { state = .stopped }
            return state
        }
        switch previous {
        case .bound(let fd):
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
        case .serving(let channel):
            channel.close(promise: nil)
        case .none, .starting, .stopped:
            break  // starting: `run()` closes NIO's channel when it sees `.stopped`
        }
    }

    private func refuseBusy(_ connection: NIOAsyncChannel<RequestLine, ByteBuffer>) async {
        logger.warning("control socket \(path): more than \(limits.maxConnections) connections at once — one refused")
        try? await connection.executeThenClose { _, outbound in
            try await outbound.write(Self.encode(.failure("busy: \(limits.maxConnections) control connections are open already — try again shortly")))
        }
    }

    /// Reads one request line within `idleTimeout`, answers it, closes.
    private func serve(_ connection: NIOAsyncChannel<RequestLine, ByteBuffer>) async {
        let peer = await Self.peerCredentials(connection.channel)
        let limits = self.limits, handler = self.handler, logger = self.logger, path = self.path
        do {
            try await connection.executeThenClose { inbound, outbound in
                let line: RequestLine? = try await Self.within(limits.idleTimeout) {
                    var lines = inbound.makeAsyncIterator()
                    return try await lines.next() ?? .closed
                }
                let response: ControlResponse
                switch line {
                case nil:
                    response = .failure("no request within \(limits.idleTimeout) — connection closed")
                case .closed?:
                    return
                case .tooLong?:
                    logger.warning("control socket \(path): request line from uid \(peer.uid) longer than \(limits.maxLineBytes) bytes refused")
                    response = .failure("request line longer than \(limits.maxLineBytes) bytes — send one short JSON object per line")
                case .line(let text)?:
                    if let request = ControlRequest.parse(text) {
                        response = await handler(request, peer)
                    } else {
                        response = .failure("not a control request: send one JSON object per line, e.g. {\"command\":\"status\"}")
                    }
                }
                // A client that does not read its answer must not hold the connection either.
                _ = try await Self.within(limits.idleTimeout) { try await outbound.write(Self.encode(response)) }
            }
        } catch {
            logger.debug("control socket \(path): connection of uid \(peer.uid) ended: \(error)")
        }
    }

    /// `body`'s result, or nil when `limit` passed first (then `body` is cancelled).
    private static func within<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }

    private static func encode(_ response: ControlResponse) -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var bytes = Array((try? encoder.encode(response)) ?? Data("{\"ok\":false}".utf8))
        bytes.append(UInt8(ascii: "\n"))
        return ByteBuffer(bytes: bytes)
    }

    /// struct ucred { pid_t pid; uid_t uid; gid_t gid; } as the kernel fills it in (Glibc's Swift
    /// module hides the struct behind _GNU_SOURCE).
    private struct UCred: Sendable { var pid: Int32 = 0; var uid: UInt32 = 0; var gid: UInt32 = 0 }

    private static func peerCredentials(_ channel: any Channel) async -> PeerCredentials {
        guard let provider = channel as? any SocketOptionProvider,
              let cred: UCred = try? await provider.unsafeGetSocketOption(
                level: .socket, name: NIOBSDSocket.Option(rawValue: SO_PEERCRED)).get() else {
            return PeerCredentials(pid: 0, uid: UInt32.max, userName: "unknown")
        }
        return PeerCredentials(pid: cred.pid, uid: cred.uid, userName: PeerCredentials.userName(uid: cred.uid))
    }
}

/// What a control connection sent: its request line, a line over the limit, or nothing at all.
enum RequestLine: Sendable {
    case line(String), tooLong, closed
}

/// Splits a control connection's bytes into its first request line: a newline ends it, and so
/// does the client closing its side after a line without one. More than `maxBytes` before a
/// newline is `tooLong` (the rest is not read).
struct RequestLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = RequestLine
    let maxBytes: Int
    private var done = false

    init(maxBytes: Int) { self.maxBytes = maxBytes }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard !done else {
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return .needMoreData
        }
        if let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - buffer.readerIndex
            done = true
            if length > maxBytes {
                buffer.moveReaderIndex(to: buffer.writerIndex)
                context.fireChannelRead(wrapInboundOut(.tooLong))
            } else {
                let text = buffer.readString(length: length) ?? ""
                buffer.moveReaderIndex(to: buffer.writerIndex)
                context.fireChannelRead(wrapInboundOut(.line(text)))
            }
            return .continue
        }
        if buffer.readableBytes > maxBytes {
            done = true
            buffer.moveReaderIndex(to: buffer.writerIndex)
            context.fireChannelRead(wrapInboundOut(.tooLong))
        }
        return .needMoreData
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        if !done, buffer.readableBytes > 0 {
            done = true
            let text = buffer.readString(length: buffer.readableBytes) ?? ""
            context.fireChannelRead(wrapInboundOut(.line(text)))
        }
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
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
