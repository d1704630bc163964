import Glibc

/// A real PTY pair standing in for a serial scanner: the reader opens `slavePath` with real
/// termios; whoever holds the master writes the scanner's bytes (tests, `demo --pty`).
/// `@unchecked`: `master` changes only in `hangUp`, which callers do not race with `send`.
public final class PseudoTerminal: @unchecked Sendable {
    public private(set) var master: Int32
    public let slavePath: String

    public init() throws(PTYError) {
        // posix_openpt/grantpt/unlockpt are not in Swift's Glibc module; these are their ioctls.
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard master >= 0 else { throw PTYError(what: "open /dev/ptmx", errno: errno) }
        var unlock: Int32 = 0
        var number: UInt32 = 0
        guard ioctl(master, UInt(0x4004_5431) /* TIOCSPTLCK */, &unlock) == 0,
              ioctl(master, UInt(0x8004_5430) /* TIOCGPTN */, &number) == 0 else {
            let error = PTYError(what: "unlock PTY", errno: errno)
            close(master)
            throw error
        }
        slavePath = "/dev/pts/\(number)"
    }

    deinit { hangUp() }

    /// Writes as the scanner would, in one `write`.
    public func send(_ bytes: [UInt8]) throws(PTYError) {
        let n = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
        guard n == bytes.count else { throw PTYError(what: "write to PTY master", errno: errno) }
    }

    public func send(_ text: String) throws(PTYError) { try send(Array(text.utf8)) }

    /// The scanner goes away: closing the master hangs up the slave side.
    public func hangUp() {
        if master >= 0 {
            close(master)
            master = -1
        }
    }
}

/// Creating or writing a PTY failed.
public struct PTYError: Error, CustomStringConvertible {
    public let what: String
    public let errno: Int32
    public init(what: String, errno: Int32) { self.what = what; self.errno = errno }
    public var description: String { "\(what): \(String(cString: strerror(errno)))" }
}
