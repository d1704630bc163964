import GateHardware

/// The one way tests open a real PTY: only under `.deviceAccess` (see `DeviceTestLock`). A suite
/// that opened one without it (the scan path test) failed now and then with "unlock PTY:
/// Inappropriate ioctl for device", when a umockdev suite's testbed existed at the same moment.
public enum TestPTY {
    public static func open() throws -> PseudoTerminal {
        try DeviceTestLock.require("a PTY")
        return try PseudoTerminal()
    }
}
