import GateCore
#if canImport(Glibc)
import Glibc
#endif

extension ScannerReader {
    static let EVIOCGRAB: UInt = 0x4004_4590

    /// Opens `devnode` the way the lane's scanner kind needs (serial: exclusive + termios; HID:
    /// grabbed so codes never reach a console; HID-POS: plain hidraw) and starts reading it.
    /// `opened` runs once the node is open and configured, before the first byte is read, so a
    /// caller can announce `attached` ahead of any frame.
    public static func open(
        _ devnode: String, config: LaneScannerConfig, opened: () -> Void = {},
        sink: @escaping @Sendable (ScannerEvent) -> Void
    ) throws(DeviceError) -> ScannerReader {
        switch config.kind {
        case .serial:
            let fd = try SerialPort.open(devnode, baud: config.baud)
            opened()
            return try start(fd, devnode, SerialDecoder(terminator: config.terminator, idleMs: config.idleMs),
                             release: SerialPort.release, sink: sink)
        case .hid:
            let fd = Glibc.open(devnode, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
            guard fd >= 0 else { throw DeviceError.last("open", devnode) }
            guard ioctl(fd, EVIOCGRAB, Int32(1)) == 0 else {
                let error = DeviceError.last("grab (EVIOCGRAB)", devnode)
                close(fd)
                throw error
            }
            let decoder = EvdevDecoder(layout: .named(config.layout), idleMs: config.idleMs)
            opened()
            return try start(fd, devnode, decoder, release: ungrab, sink: sink)
        case .hidpos:
            let fd = Glibc.open(devnode, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
            guard fd >= 0 else { throw DeviceError.last("open", devnode) }
            opened()
            return try start(fd, devnode, HIDPOSDecoder(), release: { _ in }, sink: sink)
        case .stdin:
            opened()
            return try stdin(config: config, sink: sink)
        }
    }

    /// Reads lines typed on standard input (`kind = "stdin"`, demo and tests). Standard input is
    /// made non-blocking for the poll loop and never closed.
    public static func stdin(
        config: LaneScannerConfig, sink: @escaping @Sendable (ScannerEvent) -> Void
    ) throws(DeviceError) -> ScannerReader {
        let flags = fcntl(STDIN_FILENO, F_GETFL)
        _ = fcntl(STDIN_FILENO, F_SETFL, flags | O_NONBLOCK)
        return try ScannerReader(
            fd: STDIN_FILENO, device: "stdin", decoder: SerialDecoder(terminator: .lf, idleMs: config.idleMs),
            closeFD: false, sink: sink)
    }

    /// Releases an EVIOCGRAB so the keyboard works for others again after we stop.
    public static func ungrab(_ fd: Int32) {
        _ = ioctl(fd, EVIOCGRAB, Int32(0))
    }

    private static func start(
        _ fd: Int32, _ devnode: String, _ decoder: any ScannerDecoder,
        release: @escaping @Sendable (Int32) -> Void, sink: @escaping @Sendable (ScannerEvent) -> Void
    ) throws(DeviceError) -> ScannerReader {
        do {
            return try ScannerReader(fd: fd, device: devnode, decoder: decoder, release: release, sink: sink)
        } catch {
            release(fd)
            close(fd)
            throw error
        }
    }
}
