/// What a lane's scanner reports: a device came or went, or a raw frame was read.
///
/// Frames are raw bytes as framed by the reader (terminator removed); normalising them into a
/// voucher code is the engine's job (`VoucherCode.normalise`), so that unreadable input gets the
/// same feedback whatever the scanner kind.
public enum ScannerEvent: Sendable, Equatable {
    /// A scanner for this lane is present and being read. `device` is its node, e.g. `/dev/ttyACM0`.
    case attached(device: String)
    /// The scanner went away (unplugged, hang-up, I/O error). `reason` is for logs and operators.
    case detached(device: String, reason: String)
    /// One framed read, terminator removed. May still contain garbage; may be empty.
    case frame([UInt8])
}

/// A port: the source of one lane's scanner events (serial, evdev, HID-POS, stdin, or a test script).
///
/// `events()` is called once per lane run; the stream finishes when the source is stopped.
public protocol CodeSource: Sendable {
    func events() -> AsyncStream<ScannerEvent>
}

/// A source that holds a device: `open()` gives the events and a wait that stops the source and
/// returns once its device is closed. A lane awaits it when its run ends, so a restarted run (or
/// the shutdown) never finds the old reader still holding the device (EBUSY on an exclusive
/// serial open).
public protocol ClosableCodeSource: CodeSource {
    func open() -> OpenedSource
}

/// One run of a `CodeSource`: its events and how to await its end.
public struct OpenedSource: Sendable {
    public let events: AsyncStream<ScannerEvent>
    /// Stops the source (if it still runs) and returns when its device is closed.
    public let close: @Sendable () async -> Void

    public init(events: AsyncStream<ScannerEvent>, close: @escaping @Sendable () async -> Void) {
        self.events = events; self.close = close
    }
}

extension CodeSource {
    /// This source's run: a `ClosableCodeSource`'s own; others (scripts, tests) hold no device
    /// of their own and have nothing to wait for.
    public func opened() -> OpenedSource {
        (self as? any ClosableCodeSource)?.open() ?? OpenedSource(events: events(), close: {})
    }
}
