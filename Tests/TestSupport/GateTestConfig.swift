import EgumaAPI
import EgumaSimulator
import Foundation
import Glibc

/// A complete `eguma-gate.toml` for tests, written into a fresh short temp directory with the
/// database, control socket and a 0600 key file of the simulator's demo outlet beside it.
///
/// The defaults describe one lane `main` at CHF 25.00 with a serial scanner matched by udev
/// properties (Symbol, vendor 05e0), and relay and sensor on the simulated chip.
public struct GateTestConfig: Sendable {
    public var directory: String
    public var baseURL: String
    public var gateName = "e2e"
    public var price = "25.00"
    public var passageTimeoutMs = 2000
    public var debounceMs = 0
    public var metricsPort: Int?
    /// `[gate] display` (kiosk pages) on 127.0.0.1 at this port; nil = off.
    public var displayPort: Int?
    public var scanner = #"{ kind = "serial", match = { ID_VENDOR_ID = "05e0" }, terminator = "cr" }"#
    public var relay = #"{ chip = "sim", line = 0, pulse_ms = 200 }"#
    public var sensor = #"{ chip = "sim", line = 1, edge = "falling", bias = "pull-up", debounce_ms = 0 }"#
    /// Extra lines appended to `[lanes.main]`.
    public var laneExtra = ""

    public var configPath: String { directory + "/eguma-gate.toml" }
    public var keyPath: String { directory + "/demo.key" }
    public var databasePath: String { directory + "/gate.db" }

    /// Makes the directory (mode 0700) and the key file (mode 0600).
    public init(baseURL: String) throws {
        var template = Array("/tmp/eg-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw NotifySocket.SocketError(description: "mkdtemp: \(String(cString: strerror(errno)))")
        }
        directory = String(cString: made)
        self.baseURL = baseURL
        guard FileManager.default.createFile(atPath: directory + "/demo.key", contents: Data(SimulatedOutlet.demo.key.utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw NotifySocket.SocketError(description: "cannot write the key file in \(directory)")
        }
    }

    public var text: String {
        """
        # written by the end-to-end tests
        [gate]
        name = "\(gateName)"
        database = "\(databasePath)"
        control_socket = "\(directory)/control.sock"
        metrics = "\(metricsPort.map { "127.0.0.1:\($0)" } ?? "")"
        display = "\(displayPort.map { "127.0.0.1:\($0)" } ?? "")"

        [api]
        base_url = "\(baseURL)"
        connect_timeout_ms = \(TestPatience.liveConnectTimeout.milliseconds)
        request_timeout_ms = 15000

        [outlets.demo]
        api_key_file = "\(keyPath)"

        [lanes.main]
        outlet = "demo"
        price = "\(price)"
        debounce_ms = \(debounceMs)
        passage_timeout_ms = \(passageTimeoutMs)
        scanner = \(scanner)
        relay = \(relay)
        sensor = \(sensor)
        \(laneExtra)

        """
    }

    /// Writes the config file; returns its path.
    ///
    /// A plain write without fsync: a test's config needs no durability, and Foundation's atomic
    /// write fsyncs — on a slow disk that blocked a thread of Swift's cooperative pool (two on
    /// CI) and stalled every concurrent test.
    @discardableResult
    public func write(_ text: String? = nil) throws -> String {
        let bytes = Array((text ?? self.text).utf8)
        let fd = open(configPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw NotifySocket.SocketError(description: "cannot write \(configPath): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var done = 0
        while done < bytes.count {
            let n = bytes[done...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw NotifySocket.SocketError(description: "cannot write \(configPath): \(String(cString: strerror(errno)))")
            }
            done += n
        }
        return configPath
    }

    /// Removes the directory.
    public func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago (the config needs a fixed port).
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw NotifySocket.SocketError(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, length) == 0 && getsockname(fd, sa, &length) == 0
            }
        }
        guard ok else { throw NotifySocket.SocketError(description: "bind 127.0.0.1:0: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A loopback TCP port that refuses connections and that no other test can take meanwhile: a
/// socket bound to it but never listening. (A port freed by a stopped server may be reused by
/// any other server the parallel tests start — a "closed" port that suddenly answers.)
public final class RefusingPort: Sendable {
    public let port: Int
    private let fd: Int32

    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw NotifySocket.SocketError(description: "socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, length) == 0 && getsockname(fd, sa, &length) == 0
            }
        }
        guard ok else {
            close(fd)
            throw NotifySocket.SocketError(description: "bind 127.0.0.1:0: \(String(cString: strerror(errno)))")
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }
}
