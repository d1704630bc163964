import Testing

/// Suites that open device nodes, PTYs or udev, run one at a time: while a umockdev testbed
/// exists, its preload also intercepts ioctls on real nodes opened meanwhile (a PTY's
/// TIOCGEXCL then fails), so these must not overlap with the umockdev suite.
@Suite(.serialized) enum DeviceAccess {}
