import GateCore
import GateHardware
import Glibc
import Testing
import TestSupport

/// What a keyboard-wedge scanner programmed for a layout sends: golden tables written out by
/// hand (key code, shift) for every allowed character `[A-Za-z0-9.-]`.
enum GoldenKeys {
    static let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-"

    /// Key codes of lower-case letters on a QWERTY (us) keyboard.
    static let qwerty: [Character: UInt16] = [
        "q": 16, "w": 17, "e": 18, "r": 19, "t": 20, "y": 21, "u": 22, "i": 23, "o": 24, "p": 25,
        "a": 30, "s": 31, "d": 32, "f": 33, "g": 34, "h": 35, "j": 36, "k": 37, "l": 38,
        "z": 44, "x": 45, "c": 46, "v": 47, "b": 48, "n": 49, "m": 50,
    ]
    static let digits: [Character: UInt16] = [
        "1": 2, "2": 3, "3": 4, "4": 5, "5": 6, "6": 7, "7": 8, "8": 9, "9": 10, "0": 11,
    ]

    static func table(_ layout: LaneScannerConfig.Layout) -> [Character: (code: UInt16, shift: Bool)] {
        var t: [Character: (UInt16, Bool)] = [:]
        for (c, code) in qwerty {
            var code = code
            if layout != .us, c == "y" { code = 44 }  // QWERTZ
            if layout != .us, c == "z" { code = 21 }
            t[c] = (code, false)
            t[Character(c.uppercased())] = (code, true)
        }
        for (c, code) in digits { t[c] = (code, false) }
        t["."] = (52, false)
        t["-"] = layout == .us ? (12, false) : (53, false)
        return t
    }

    /// The byte-exact `input_event` stream for typing `text` (with SYN reports and key-ups, as
    /// the kernel delivers it), ended by Enter unless `enter` is false.
    static func stream(_ text: String, layout: LaneScannerConfig.Layout, enter: Bool = true) -> [UInt8] {
        let t = table(layout)
        var out: [UInt8] = []
        func ev(_ type: UInt16, _ code: UInt16, _ value: Int32) { out += EvdevDecoder.encode(type: type, code: code, value: value) }
        func tap(_ code: UInt16) {
            ev(4, 4, 0x7001E)  // EV_MSC MSC_SCAN, as USB keyboards report it
            ev(1, code, 1); ev(0, 0, 0)
            ev(1, code, 0); ev(0, 0, 0)
        }
        for c in text {
            guard let (code, shift) = t[c] else { continue }
            if shift { ev(1, 42, 1); ev(0, 0, 0) }
            tap(code)
            if shift { ev(1, 42, 0); ev(0, 0, 0) }
        }
        if enter { tap(28) }
        return out
    }
}

extension DeviceAccess {
    @Suite struct EvdevReaderTests {
        private func decode(_ bytes: [UInt8], layout: LaneScannerConfig.Layout) -> [[UInt8]] {
            var d = EvdevDecoder(layout: .named(layout), idleMs: 50)
            return bytes.withUnsafeBytes { d.consume($0) }
        }

        @Test(arguments: LaneScannerConfig.Layout.allCases)
        func everyAllowedCharacterDecodesInItsLayout(layout: LaneScannerConfig.Layout) {
            for c in GoldenKeys.alphabet {
                let frames = decode(GoldenKeys.stream(String(c), layout: layout), layout: layout)
                #expect(frames == [Array(String(c).utf8)], "\(layout): \(c)")
            }
        }

        @Test(arguments: LaneScannerConfig.Layout.allCases)
        func theWholeAlphabetThroughTheRealReader(layout: LaneScannerConfig.Layout) async throws {
            let pipe = try KernelPipe()
            let events = EventQueue()
            let reader = try ScannerReader(
                fd: pipe.readEnd, device: "pipe", decoder: EvdevDecoder(layout: .named(layout), idleMs: 50), sink: events.sink)
            let bytes = GoldenKeys.stream(GoldenKeys.alphabet, layout: layout)
            // in uneven chunks, so events are split across reads
            var i = 0
            while i < bytes.count {
                let n = min(37, bytes.count - i)
                try pipe.send(Array(bytes[i..<(i + n)]))
                i += n
            }
            #expect(try await events.nextFrame() == GoldenKeys.alphabet)
            await reader.stop()
        }

        @Test func aSwissScannerReadsRightWithChAndYZSwappedWithUs() async throws {
            let code = "ZUERICH-YZ.2025"
            let wire = GoldenKeys.stream(code, layout: .ch)
            for (layout, expected) in [(LaneScannerConfig.Layout.ch, code), (.us, "YUERICH/ZY.2025")] {
                let pipe = try KernelPipe()
                let events = EventQueue()
                let reader = try ScannerReader(
                    fd: pipe.readEnd, device: "pipe", decoder: EvdevDecoder(layout: .named(layout), idleMs: 50), sink: events.sink)
                try pipe.send(wire)
                #expect(try await events.nextFrame() == expected, "\(layout)")
                await reader.stop()
            }
        }

        @Test func capsLockInvertsLettersAndShiftUndoesIt() {
            var bytes: [UInt8] = []
            func ev(_ code: UInt16, _ value: Int32) { bytes += EvdevDecoder.encode(type: 1, code: code, value: value) }
            ev(58, 1); ev(58, 0)  // caps lock on
            ev(30, 1); ev(30, 0)  // a → A
            ev(54, 1); ev(30, 1); ev(30, 0); ev(54, 0)  // right shift + a → a
            ev(3, 1); ev(3, 0)  // 2 stays 2
            ev(30, 2)  // auto-repeat ignored
            ev(28, 1)
            #expect(decode(bytes, layout: .us) == [Array("Aa2".utf8)])
        }

        @Test func anIdleGapEndsACodeFromAScannerWithoutEnter() async throws {
            let pipe = try KernelPipe()
            let events = EventQueue()
            let reader = try ScannerReader(
                fd: pipe.readEnd, device: "pipe", decoder: EvdevDecoder(layout: .named(.us), idleMs: 20), sink: events.sink)
            try pipe.send(GoldenKeys.stream("12345", layout: .us, enter: false))
            #expect(try await events.nextFrame() == "12345")
            await reader.stop()
        }

        @Test func anOverLongSequenceIsCut() {
            let frames = decode(GoldenKeys.stream(String(repeating: "a", count: 200), layout: .us), layout: .us)
            #expect(frames.map(\.count) == [65])
        }

        @Test func theDeviceGoingAwayIsADetach() async throws {
            let pipe = try KernelPipe()
            let events = EventQueue()
            let reader = try ScannerReader(
                fd: pipe.readEnd, device: "pipe", decoder: EvdevDecoder(layout: .named(.us), idleMs: 20), sink: events.sink)
            pipe.closeWriter()
            guard case .detached? = try await events.next("detached") else {
                Issue.record("expected detached")
                return
            }
            try await withDeadline(.seconds(5), "the reader thread to end") { await reader.finished() }
        }

        @Test func aNodeThatCannotBeGrabbedIsRefusedWithTheReason() throws {
            let pipe = try KernelPipe()
            let path = "/proc/self/fd/\(pipe.readEnd)"
            #expect {
                _ = try ScannerReader.open(path, config: LaneScannerConfig(kind: .hid, path: path)) { _ in }
            } throws: { error in
                "\(error)".contains("grab (EVIOCGRAB)")
            }
        }
    }
}
