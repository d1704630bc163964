import Testing
import TestSupport

/// Suites that open device nodes, PTYs or udev, run one at a time: while a umockdev testbed
/// exists, its preload also intercepts ioctls on real nodes opened meanwhile (a PTY's
/// TIOCGEXCL then fails), so these must not overlap with the umockdev suite — nor with the
/// end-to-end daemon tests of GateDaemonTests (`.deviceAccess` is one lock for the whole process).
@Suite(.serialized, .deviceAccess) enum DeviceAccess {}
