import Glibc
import GateHardware

/// A pipe feeding a reader byte-exact device streams (evdev `input_event`s, hidraw reports).
final class KernelPipe: @unchecked Sendable {
    let readEnd: Int32
    private(set) var writeEnd: Int32

    init() throws {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw PTYError(what: "pipe", errno: errno) }
        readEnd = fds[0]
        writeEnd = fds[1]
        _ = fcntl(readEnd, F_SETFL, fcntl(readEnd, F_GETFL) | O_NONBLOCK)
    }

    deinit { closeWriter() }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(writeEnd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw PTYError(what: "write to pipe", errno: errno) }
            offset += n
        }
    }

    func closeWriter() {
        if writeEnd >= 0 {
            close(writeEnd)
            writeEnd = -1
        }
    }
}
