/// Cuts a serial byte stream into frames (SPEC §4): ended by CR, LF, CR LF, or an idle gap.
///
/// Partial reads are reassembled across `feed` calls. NUL and other control bytes that are not
/// the terminator are dropped. A frame growing past `maxLength` bytes is not kept: the rest up to
/// the next terminator is discarded, and the frame is delivered cut to `maxLength + 1` bytes so
/// that normalising it yields "too long" and the guest gets the "unreadable code" feedback
/// instead of silence, while memory stays bounded whatever a broken scanner sends.
public struct Framer: Sendable {
    public let terminator: LaneScannerConfig.Terminator
    public let maxLength: Int
    private var buffer: [UInt8] = []
    private var overflowed = false

    public init(terminator: LaneScannerConfig.Terminator, maxLength: Int = VoucherCode.maxLength) {
        self.terminator = terminator
        self.maxLength = maxLength
        buffer.reserveCapacity(maxLength + 1)
    }

    /// True while bytes of an unfinished frame are held (the reader then arms its idle timer).
    public var hasPending: Bool { !buffer.isEmpty || overflowed }

    /// Adds bytes as read; returns the frames they completed, in order.
    public mutating func feed<S: Sequence>(_ bytes: S) -> [[UInt8]] where S.Element == UInt8 {
        var frames: [[UInt8]] = []
        for byte in bytes {
            if isTerminator(byte) {
                if let frame = take() { frames.append(frame) }
                continue
            }
            if byte < 0x20 || byte == 0x7F { continue }  // NUL, CR/LF not terminating here, other controls
            if buffer.count <= maxLength {
                buffer.append(byte)
            } else {
                overflowed = true
            }
        }
        return frames
    }

    /// The idle gap passed: ends the pending frame (for `idle` framing, and as a safety net for
    /// scanners that send no terminator at all).
    public mutating func idle() -> [UInt8]? {
        guard hasPending else { return nil }
        return take()
    }

    private func isTerminator(_ byte: UInt8) -> Bool {
        switch terminator {
        case .cr: byte == 0x0D
        case .lf, .crlf: byte == 0x0A  // for crlf the CR before LF is a dropped control byte
        case .idle: false
        }
    }

    /// Ends the current frame. A lone terminator yields an empty frame on purpose: the engine
    /// answers it with the "empty code" message.
    private mutating func take() -> [UInt8]? {
        defer {
            buffer.removeAll(keepingCapacity: true)
            overflowed = false
        }
        return buffer
    }
}
