import GateCore

/// Turns the bytes read from one scanner node into frames. One per reader, owned by its thread.
public protocol ScannerDecoder: Sendable {
    /// Bytes as read (any split); returns the frames they completed.
    mutating func consume(_ bytes: UnsafeRawBufferPointer) -> [[UInt8]]
    /// The idle gap passed with data pending: the pending frame, if any.
    mutating func idle() -> [UInt8]?
    /// How long to wait for more bytes before calling `idle()`, or nil to wait indefinitely.
    var idleTimeoutMs: Int32? { get }
}

/// Serial and stdin framing: the pure `Framer` with the lane's terminator and idle gap.
public struct SerialDecoder: ScannerDecoder {
    private var framer: Framer
    private let idleMs: Int32

    public init(terminator: LaneScannerConfig.Terminator, idleMs: Int) {
        framer = Framer(terminator: terminator)
        // With a terminator configured the gap is only a safety net, so it is long enough never
        // to cut a code a slow scanner is still sending.
        self.idleMs = terminator == .idle ? Int32(clamping: idleMs) : SerialDecoder.safetyGapMs
    }

    static let safetyGapMs: Int32 = 1000

    public mutating func consume(_ bytes: UnsafeRawBufferPointer) -> [[UInt8]] { framer.feed(bytes) }
    public mutating func idle() -> [UInt8]? { framer.idle() }
    // Always armed while something is pending: a scanner set to "no suffix" by mistake still
    // produces frames instead of silently gluing codes together.
    public var idleTimeoutMs: Int32? { framer.hasPending ? idleMs : nil }
}
