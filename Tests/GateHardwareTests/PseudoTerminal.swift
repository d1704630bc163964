import Glibc

/// A real PTY pair standing in for a serial scanner: the reader opens `slavePath` with real
/// termios; the test writes the scanner's bytes to the master side.
final class PseudoTerminal: @unchecked Sendable {
    private(set) var master: Int32
    let slavePath: String

    init() throws {
        master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard master >= 0, grantpt(master) == 0, unlockpt(master) == 0, let name = ptsname(master) else {
            throw PTYError(what: "open a PTY", errno: errno)
        }
        slavePath = String(cString: name)
    }

    deinit { hangUp() }

    /// Writes as the scanner would, in one `write`.
    func send(_ bytes: [UInt8]) throws {
        let n = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
        guard n == bytes.count else { throw PTYError(what: "write to PTY master", errno: errno) }
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// The scanner goes away: closing the master hangs up the slave side.
    func hangUp() {
        if master >= 0 {
            close(master)
            master = -1
        }
    }
}

struct PTYError: Error, CustomStringConvertible {
    let what: String
    let errno: Int32
    var description: String { "\(what): \(String(cString: strerror(errno)))" }
}
