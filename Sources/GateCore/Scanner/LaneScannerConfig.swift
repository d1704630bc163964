/// The `scanner = { … }` table of one lane (SPEC §5): which device the lane reads and how.
///
/// A lane finds its scanner either by udev properties (`match`) or by a fixed device path
/// (`path`, which may also be a udev symlink such as `/dev/eguma-scanner-main`).
public struct LaneScannerConfig: Sendable, Equatable {
    /// What kind of scanner, and so which reader.
    public enum Kind: String, Sendable, CaseIterable {
        /// termios serial: USB CDC-ACM (`ttyACM*`), USB-serial (`ttyUSB*`), RS-232 (`ttyS*`).
        case serial
        /// HID keyboard wedge through evdev (`/dev/input/event*`).
        case hid
        /// HID-POS bar code scanner usage page through hidraw (`/dev/hidraw*`).
        case hidpos
        /// Lines typed on standard input (demo, tests).
        case stdin

        /// The udev subsystem whose nodes this kind reads.
        public var subsystem: String? {
            switch self {
            case .serial: "tty"
            case .hid: "input"
            case .hidpos: "hidraw"
            case .stdin: nil
            }
        }
    }

    /// How a serial scanner ends a code.
    public enum Terminator: String, Sendable, CaseIterable {
        case cr, lf, crlf
        /// A gap of `idleMs` without bytes ends the code.
        case idle
    }

    /// Keyboard layout the HID scanner is programmed for.
    public enum Layout: String, Sendable, CaseIterable {
        case us, de, ch
    }

    /// A configuration value that cannot be used, with the key it concerns.
    public struct Problem: Error, Equatable, Sendable, CustomStringConvertible {
        public let key: String
        public let reason: String
        public init(key: String, reason: String) {
            self.key = key
            self.reason = reason
        }
        public var description: String { "scanner.\(key): \(reason)" }
    }

    public static let supportedBaudRates = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400]
    public static let defaultIdleMs = 50

    public var kind: Kind
    /// udev properties that must all be equal (case-insensitively) on the device.
    public var match: [String: String]
    /// Fixed node or udev symlink; takes precedence over `match`.
    public var path: String?
    public var baud: Int
    public var terminator: Terminator
    /// Gap that ends a code for `terminator = "idle"`, and for HID scanners sending no Enter.
    public var idleMs: Int
    public var layout: Layout

    public init(
        kind: Kind, match: [String: String] = [:], path: String? = nil, baud: Int = 9600,
        terminator: Terminator = .cr, idleMs: Int = LaneScannerConfig.defaultIdleMs, layout: Layout = .us
    ) {
        self.kind = kind
        self.match = match
        self.path = path
        self.baud = baud
        self.terminator = terminator
        self.idleMs = idleMs
        self.layout = layout
    }

    /// Builds a configuration from the raw values of a config file, refusing unknown words,
    /// unsupported baud rates and a device-reading lane without `match` or `path` (it would
    /// otherwise grab whatever keyboard or serial port appears first).
    public static func parse(
        kind: String?, match: [String: String]?, path: String?, baud: Int?, terminator: String?,
        idleMs: Int?, layout: String?
    ) throws(Problem) -> LaneScannerConfig {
        guard let kindText = kind else { throw Problem(key: "kind", reason: "missing (serial, hid, hidpos or stdin)") }
        guard let k = Kind(rawValue: kindText) else {
            throw Problem(key: "kind", reason: "unknown kind \"\(kindText)\" (serial, hid, hidpos or stdin)")
        }
        var config = LaneScannerConfig(kind: k, match: match ?? [:], path: path)
        if let baud {
            guard supportedBaudRates.contains(baud) else {
                throw Problem(key: "baud", reason: "\(baud) is not supported (\(supportedBaudRates.map(String.init).joined(separator: ", ")))")
            }
            config.baud = baud
        }
        if let terminator {
            guard let t = Terminator(rawValue: terminator) else {
                throw Problem(key: "terminator", reason: "unknown terminator \"\(terminator)\" (cr, lf, crlf or idle)")
            }
            config.terminator = t
        }
        if let idleMs {
            guard (5...5000).contains(idleMs) else { throw Problem(key: "idle_ms", reason: "\(idleMs) is outside 5…5000") }
            config.idleMs = idleMs
        }
        if let layout {
            guard let l = Layout(rawValue: layout) else {
                throw Problem(key: "layout", reason: "unknown layout \"\(layout)\" (us, de or ch)")
            }
            config.layout = l
        }
        if let path, !path.hasPrefix("/") {
            throw Problem(key: "path", reason: "\"\(path)\" is not an absolute device path")
        }
        if k != .stdin, config.path == nil, config.match.isEmpty {
            throw Problem(key: "match", reason: "a \(k.rawValue) scanner needs `match = { … }` udev properties or a `path`")
        }
        return config
    }

    /// Whether this lane wants `device`: the right subsystem for the kind, and either the fixed
    /// path (node or one of its udev symlinks) or every `match` property equal.
    public func wants(_ device: ScannerDevice) -> Bool {
        guard let subsystem = kind.subsystem, device.subsystem == subsystem else { return false }
        // An input device has several nodes (event, mouse, js); only the event node is readable.
        if kind == .hid, !device.devnode.hasPrefix("/dev/input/event") { return false }
        if let path {
            return device.devnode == path || device.devlinks.contains(path)
        }
        guard !match.isEmpty else { return false }
        for (key, wanted) in match {
            guard let have = device.properties[key],
                  have.equalsIgnoringCase(wanted) else { return false }
        }
        return true
    }
}

extension String {
    fileprivate func equalsIgnoringCase(_ other: String) -> Bool {
        lowercased() == other.lowercased()
    }
}
