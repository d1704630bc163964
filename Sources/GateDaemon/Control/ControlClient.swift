#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SystemPackage

/// Talks to a running daemon over its control socket (`status`, `open`, `sim passage`, `reload`).
public struct ControlClient: Sendable {
    public let path: String
    public var timeout: Duration

    public init(path: String, timeout: Duration = .seconds(10)) { self.path = path; self.timeout = timeout }

    /// Sends one request and waits for its answer (blocking, with `timeout`; call it from a CLI).
    public func send(_ request: ControlRequest) throws(ControlSocketError) -> ControlResponse {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ControlSocketError(path: path, operation: "socket", errno: errno) }
        defer { close(fd) }
        let (seconds, atto) = timeout.components
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int(atto / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = try sockaddrUnix(path)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { throw ControlSocketError(path: path, operation: "connect", errno: errno) }
        var line = Array((try? JSONEncoder().encode(request)) ?? Data())
        line.append(UInt8(ascii: "\n"))
        guard line.withUnsafeBytes({ Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == line.count else {
            throw ControlSocketError(path: path, operation: "send", errno: errno)
        }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n: Int
            do {
                n = try buffer.withUnsafeMutableBytes { try FileDescriptor(rawValue: fd).read(into: $0) }  // EINTR retried
            } catch {
                let code = (error as? Errno)?.rawValue ?? EIO
                throw ControlSocketError(path: path, operation: "read answer", errno: code == EAGAIN ? ETIMEDOUT : code)
            }
            if n == 0 { break }
            data.append(contentsOf: buffer[0..<n])
            if data.last == UInt8(ascii: "\n") { break }
        }
        guard let response = try? JSONDecoder().decode(ControlResponse.self, from: Data(data)) else {
            throw ControlSocketError(path: path, operation: "read answer (not a control response)", errno: EPROTO)
        }
        return response
    }

    /// True when a daemon answers on `path` (used to refuse starting a second daemon).
    public static func isAlive(path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        guard var address = try? sockaddrUnix(path) else { return false }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        } == 0
    }
}
