import GateCore
#if canImport(Glibc)
import Glibc
#endif

/// Opening a serial scanner: exclusive (TIOCEXCL), termios raw mode, 8N1, no flow control.
public enum SerialPort {
    // ioctl request numbers from <asm-generic/ioctls.h>; not all are imported as Swift constants.
    static let TIOCEXCL: UInt = 0x540C
    static let TIOCNXCL: UInt = 0x540D
    static let TIOCGEXCL: UInt = 0x8004_5440

    /// Opens `path` non-blocking and configures it. The caller owns the fd; release the lock
    /// with `release(_:)` before closing it.
    public static func open(_ path: String, baud: Int) throws(DeviceError) -> Int32 {
        guard let speed = speed(for: baud) else { throw DeviceError("set baud rate \(baud) on", path, errno: EINVAL) }
        let fd = Glibc.open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw DeviceError.last("open", path) }
        // Exclusive first, so nobody opens the port between our open and the lock.
        // ENOTTY here means the node does not support the lock (umockdev's emulated ttys); a
        // node that is no tty at all is refused by tcgetattr right below.
        if ioctl(fd, TIOCEXCL) != 0, Glibc.errno != ENOTTY {
            let error = DeviceError.last("lock (TIOCEXCL)", path)
            close(fd)
            throw error
        }
        var tio = termios()
        guard tcgetattr(fd, &tio) == 0 else {
            let error = DeviceError.last("read settings (termios) of", path)
            release(fd)
            close(fd)
            throw error
        }
        cfmakeraw(&tio)
        tio.c_cflag &= ~(tcflag_t(PARENB) | tcflag_t(CSTOPB) | tcflag_t(CSIZE) | tcflag_t(CRTSCTS))
        tio.c_cflag |= tcflag_t(CS8) | tcflag_t(CLOCAL) | tcflag_t(CREAD)
        withUnsafeMutableBytes(of: &tio.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        cfsetispeed(&tio, speed)
        cfsetospeed(&tio, speed)
        guard tcsetattr(fd, TCSANOW, &tio) == 0 else {
            let error = DeviceError.last("configure (termios)", path)
            release(fd)
            close(fd)
            throw error
        }
        // Whatever sat in the buffer before we came is not a code for this admission.
        tcflush(fd, TCIFLUSH)
        return fd
    }

    /// Drops the exclusive lock so the next open (by us after a restart, or by an operator's
    /// terminal program) succeeds.
    public static func release(_ fd: Int32) {
        _ = ioctl(fd, TIOCNXCL)
    }

    /// Whether the tty behind `fd` is in exclusive mode (TIOCGEXCL), for tests and diagnostics.
    public static func isExclusive(_ fd: Int32) -> Bool? {
        var flag: Int32 = 0
        guard ioctl(fd, TIOCGEXCL, &flag) == 0 else { return nil }
        return flag != 0
    }

    static func speed(for baud: Int) -> speed_t? {
        switch baud {
        case 1200: speed_t(B1200)
        case 2400: speed_t(B2400)
        case 4800: speed_t(B4800)
        case 9600: speed_t(B9600)
        case 19200: speed_t(B19200)
        case 38400: speed_t(B38400)
        case 57600: speed_t(B57600)
        case 115200: speed_t(B115200)
        case 230400: speed_t(B230400)
        default: nil
        }
    }
}
