import Foundation
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// A TCP proxy on loopback that holds every chunk for a fixed time in each direction, so the
/// simulator on the same machine answers like e-guma across a network with that round-trip time.
///
/// Chunks are delivered at arrival + delay, in order, without adding up: a reader thread per
/// direction stamps each chunk, and one serial queue per connection writes it when it is due.
final class DelayProxy: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let targetPort: Int
    private let oneWay: Double

    /// Listens on 127.0.0.1 (a free port) and forwards to 127.0.0.1:`targetPort` with `rttMs`/2 each way.
    init(targetPort: Int, rttMs: Double) throws {
        (listener, port) = try BenchSocket.listen()
        self.targetPort = targetPort
        oneWay = rttMs / 2000
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)  // swift-system has no accept: the one raw retry
            if client < 0 { if errno == EINTR { continue } else { return } }
            guard let server = try? BenchSocket.connect(port: targetPort) else { close(client); continue }
            BenchSocket.noDelay(client); BenchSocket.noDelay(server)
            let queue = DispatchQueue(label: "proxy")
            let finished = Counter()
            for (from, to) in [(client, server), (server, client)] {
                Thread.detachNewThread { [oneWay] in
                    var buffer = [UInt8](repeating: 0, count: 65_536)
                    while true {
                        let n = read(from, &buffer, buffer.count)
                        let due = DispatchTime.now() + oneWay
                        if n <= 0 {
                            if n < 0 { shutdown(from, Int32(SHUT_RDWR)); shutdown(to, Int32(SHUT_RDWR)) }
                            queue.asyncAfter(deadline: due) {
                                shutdown(to, Int32(SHUT_WR))
                                if finished.increment() == 2 { close(client); close(server) }
                            }
                            return
                        }
                        let chunk = Array(buffer[0..<n])
                        let send: @Sendable () -> Void = { _ = BenchSocket.writeAll(to, chunk) }
                        if oneWay == 0 { queue.async(execute: send) } else { queue.asyncAfter(deadline: due, execute: send) }
                    }
                }
            }
        }
    }

    func stop() { shutdown(listener, Int32(SHUT_RDWR)); close(listener) }
}

/// Counts from several threads.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func increment() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value }
}

/// Blocking loopback sockets for the benchmark's proxy, kiosk stream and notify socket.
enum BenchSocket {
    struct Failure: Error, CustomStringConvertible { let description: String }

    static func listen() throws -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, Glibc.listen(fd, 64) == 0 else { throw Failure(description: "cannot listen on 127.0.0.1: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// A port that was free a moment ago (for the kiosk server's `host:port`).
    static func freePort() throws -> Int {
        let (fd, port) = try listen()
        close(fd)
        return port
    }

    static func connect(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = loopback(port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { close(fd); throw Failure(description: "cannot connect to 127.0.0.1:\(port): errno \(errno)") }
        return fd
    }

    static func noDelay(_ fd: Int32) {
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        (try? FileDescriptor(rawValue: fd).writeAll(bytes)) != nil  // short writes and EINTR: swift-system
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
