/// A device node as udev describes it, reduced to what lane matching and `eguma-gate scanners`
/// need. Built by the udev adapter; pure data so matching is testable without udev.
public struct ScannerDevice: Sendable, Equatable, Hashable {
    /// `/sys/...` path; stable identity of the device while it is plugged in.
    public var syspath: String
    /// Device node, e.g. `/dev/ttyACM0`, `/dev/input/event3`, `/dev/hidraw1`.
    public var devnode: String
    /// udev subsystem: `tty`, `input` or `hidraw`.
    public var subsystem: String
    /// udev properties (`ID_VENDOR_ID`, `ID_MODEL_ID`, `ID_SERIAL`, `EGUMA_GATE_LANE`, …).
    public var properties: [String: String]
    /// udev tags (e.g. `eguma-gate` set by our rules).
    public var tags: [String]

    public init(
        syspath: String, devnode: String, subsystem: String,
        properties: [String: String] = [:], tags: [String] = []
    ) {
        self.syspath = syspath
        self.devnode = devnode
        self.subsystem = subsystem
        self.properties = properties
        self.tags = tags
    }

    /// Symlinks udev made for the node (`DEVLINKS`), e.g. `/dev/eguma-scanner-main`.
    public var devlinks: [String] {
        (properties["DEVLINKS"] ?? "").split(separator: " ").map(String.init)
    }

    /// Which reader kind could serve this node, or nil for nodes no reader handles (an input
    /// device's `mouse0`/`js0` node, a non-keyboard input device).
    public var kind: LaneScannerConfig.Kind? {
        switch subsystem {
        case "tty": return .serial
        case "hidraw": return .hidpos
        case "input":
            guard devnode.hasPrefix("/dev/input/event") else { return nil }
            // A scanner in keyboard-wedge mode presents itself as a keyboard.
            return properties["ID_INPUT_KEYBOARD"] == "1" || properties["ID_INPUT_KEY"] == "1" ? .hid : nil
        default: return nil
        }
    }
}
