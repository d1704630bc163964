import Foundation
import Glibc
import Synchronization

/// The systemd side of `Type=notify`: a datagram socket a child gets as `NOTIFY_SOCKET`, and
/// the messages it sent (`READY=1\nSTATUS=…`, `RELOADING=1`, `STOPPING=1`), awaitable with a deadline.
public final class NotifySocket: Sendable {
    public let path: String
    /// One datagram, numbered from 0 in arrival order.
    public struct Message: Sendable {
        public let index: Int
        public let text: String
        public var lines: [Substring] { text.split(separator: "\n") }
    }

    /// Every datagram received, in order.
    public let messages = Recorder<Message>()
    private let fd: Int32
    private let stopped = StopFlag()

    /// A socket failed to open or bind.
    public struct SocketError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Binds `path` (below 108 bytes) and starts receiving on a dedicated thread.
    public init(path: String) throws {
        self.path = path
        unlink(path)
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError(description: "socket(AF_UNIX, SOCK_DGRAM): \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            Glibc.close(fd)
            throw SocketError(description: "socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else {
            let why = String(cString: strerror(errno))
            Glibc.close(fd)
            throw SocketError(description: "bind \(path): \(why)")
        }
        let socketFD = fd, stopped = self.stopped, messages = self.messages
        Thread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            var index = 0
            var poller = pollfd(fd: socketFD, events: Int16(POLLIN), revents: 0)
            while !stopped.isSet {
                // A short poll timeout only to notice `close()`; datagrams wake it at once.
                guard poll(&poller, 1, 100) > 0 else { continue }
                let n = recv(socketFD, &buffer, buffer.count, 0)
                guard n > 0 else { continue }
                messages.append(Message(index: index, text: String(decoding: buffer[..<n], as: UTF8.self)))
                index += 1
            }
            Glibc.close(socketFD)
        }.start()
    }

    /// How many datagrams arrived so far.
    public var count: Int { messages.values.count }

    /// Waits until the child sent a datagram with the line `line` (e.g. `READY=1`), ignoring the
    /// first `after` datagrams (to await the READY that follows a reload).
    public func waitFor(_ line: String, after: Int = 0, timeout: Duration = .seconds(20)) async throws {
        try await messages.waitFor("\(line) on NOTIFY_SOCKET", timeout: timeout) { message in
            message.index >= after && message.lines.contains { $0 == line }
        }
    }

    /// Stops receiving and closes the socket.
    public func close() {
        stopped.set()
        unlink(path)
    }

    deinit { close() }
}

/// Tells the receiving thread to stop.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}
