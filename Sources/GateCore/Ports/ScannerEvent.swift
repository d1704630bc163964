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
/// The path of one scan is one hop: the source's reader thread frames the bytes and calls
/// `sink.yield(.frame(…))`; the lane's sink notes presence (attached/detached) synchronously and
/// yields `.scanner(event)` into the engine's one input stream (`LaneEngine.Inbox`), the stream
/// that also carries staff inputs (open, keypad, unlock) and the engine's own timers. No task
/// forwards a scan from one stream to another on its way.
///
/// `run(into:)` is called once per lane run, by the task that holds the source:
/// - it returns when that task is cancelled, and only once the device is closed — so a restarted
///   run (or the shutdown's `makeSafe`) never races the old reader for the device (EBUSY on an
///   exclusive serial open);
/// - it returns by itself when the source is gone for good (a script's end): the lane reports its
///   scanner missing and stays up. A device that goes away and may come back is a `detached`
///   event, not an end.
public protocol CodeSource: Sendable {
    func run(into sink: ScannerSink) async
}

/// Where a source puts what it reads: a value a reader thread may call from any thread. It must
/// not block — it notes presence and yields into the lane's input stream.
public struct ScannerSink: Sendable {
    private let deliver: @Sendable (ScannerEvent) -> Void

    public init(_ deliver: @escaping @Sendable (ScannerEvent) -> Void) {
        self.deliver = deliver
    }

    public func yield(_ event: ScannerEvent) {
        deliver(event)
    }
}
