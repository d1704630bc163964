import GateCore

/// Decodes a keyboard-wedge scanner's evdev `input_event` stream (24 bytes each on 64-bit Linux:
/// seconds, microseconds, type, code, value) into frames.
///
/// Key-down only (auto-repeat and key-up ignored except for modifiers); left/right Shift held,
/// Caps Lock toggled; Enter or keypad Enter ends a code, and so does an idle gap for scanners
/// programmed without Enter. Characters go through the same `Framer` as serial bytes, so an
/// over-long sequence is discarded the same way.
public struct EvdevDecoder: ScannerDecoder {
    static let eventSize = 24
    static let evKey: UInt16 = 1
    static let keyEnter: UInt16 = 28
    static let keyKeypadEnter: UInt16 = 96
    static let keyLeftShift: UInt16 = 42
    static let keyRightShift: UInt16 = 54
    static let keyCapsLock: UInt16 = 58

    private let layout: KeyboardLayout
    private let idleMs: Int32
    private var framer = Framer(terminator: .cr)
    private var pending: [UInt8] = []  // bytes of an input_event split across reads
    private var leftShift = false
    private var rightShift = false
    private var capsLock = false

    public init(layout: KeyboardLayout, idleMs: Int) {
        self.layout = layout
        self.idleMs = Int32(clamping: idleMs)
    }

    public mutating func consume(_ bytes: UnsafeRawBufferPointer) -> [[UInt8]] {
        pending.append(contentsOf: bytes)
        var frames: [[UInt8]] = []
        var offset = 0
        while pending.count - offset >= Self.eventSize {
            let type = UInt16(pending[offset + 16]) | UInt16(pending[offset + 17]) << 8
            let code = UInt16(pending[offset + 18]) | UInt16(pending[offset + 19]) << 8
            let value = Int32(bitPattern: UInt32(pending[offset + 20]) | UInt32(pending[offset + 21]) << 8
                | UInt32(pending[offset + 22]) << 16 | UInt32(pending[offset + 23]) << 24)
            offset += Self.eventSize
            if type == Self.evKey { frames += key(code, value: value) }
        }
        pending.removeFirst(offset)
        return frames
    }

    private mutating func key(_ code: UInt16, value: Int32) -> [[UInt8]] {
        switch code {
        case Self.keyLeftShift: leftShift = value != 0; return []
        case Self.keyRightShift: rightShift = value != 0; return []
        default: break
        }
        guard value == 1 else { return [] }  // 0 = up, 2 = auto-repeat
        switch code {
        case Self.keyCapsLock:
            capsLock.toggle()
            return []
        case Self.keyEnter, Self.keyKeypadEnter:
            return framer.feed([0x0D])
        default:
            guard let c = layout.character(for: code, shift: leftShift || rightShift, capsLock: capsLock) else { return [] }
            return framer.feed(Array(String(c).utf8))
        }
    }

    public mutating func idle() -> [UInt8]? { framer.idle() }
    public var idleTimeoutMs: Int32? { framer.hasPending ? idleMs : nil }

    /// Encodes one `input_event` as the kernel delivers it (time zero), for tests and tools.
    public static func encode(type: UInt16, code: UInt16, value: Int32) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 16)
        bytes += [UInt8(type & 0xFF), UInt8(type >> 8), UInt8(code & 0xFF), UInt8(code >> 8)]
        let v = UInt32(bitPattern: value)
        bytes += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
        return bytes
    }
}
