import GateCore

/// Decodes HID-POS "Scanned Data" input reports (HID usage page 0x8C, Bar Code Scanner) read
/// from hidraw, reassembling codes spread over several reports.
///
/// Report layout (as Honeywell, Zebra and Datalogic scanners send it in HID-POS mode; 64 bytes
/// with the report ID):
///
/// | byte    | content                                                       |
/// |---------|---------------------------------------------------------------|
/// | 0       | report ID, `0x02` = Scanned Data                               |
/// | 1       | number of data bytes in this report                           |
/// | 2…4     | symbology identifier (AIM, e.g. `]Q1` for QR), not part of the code |
/// | 5…      | data (at most `reportSize - 6` bytes)                          |
/// | last    | bit 0: "more data follows" in the next report                  |
///
/// Other report IDs (status, feature) are ignored. No keyboard layout is involved, so nothing
/// can be garbled. Codes longer than 64 bytes are cut like serial frames (the engine then says
/// "unreadable code").
public struct HIDPOSDecoder: ScannerDecoder {
    public static let scannedDataReportID: UInt8 = 0x02
    public let reportSize: Int
    private var pending: [UInt8] = []  // a report split across reads (pipes; hidraw reads whole reports)
    private var code: [UInt8] = []
    private var overflowed = false

    public init(reportSize: Int = 64) {
        self.reportSize = max(reportSize, 7)
    }

    public mutating func consume(_ bytes: UnsafeRawBufferPointer) -> [[UInt8]] {
        pending.append(contentsOf: bytes)
        var frames: [[UInt8]] = []
        var offset = 0
        while pending.count - offset >= reportSize {
            if let frame = report(pending[offset..<(offset + reportSize)]) { frames.append(frame) }
            offset += reportSize
        }
        pending.removeFirst(offset)
        return frames
    }

    private mutating func report(_ report: ArraySlice<UInt8>) -> [UInt8]? {
        let r = Array(report)
        guard r[0] == Self.scannedDataReportID else { return nil }
        let length = min(Int(r[1]), reportSize - 6)
        for byte in r[5..<(5 + length)] {
            if code.count <= VoucherCode.maxLength { code.append(byte) } else { overflowed = true }
        }
        let moreFollows = r[reportSize - 1] & 0x01 != 0
        if moreFollows { return nil }
        defer {
            code.removeAll(keepingCapacity: true)
            overflowed = false
        }
        return code
    }

    /// A continued code whose last report never came is dropped after the gap, not glued to the
    /// next scan.
    public mutating func idle() -> [UInt8]? {
        code.removeAll()
        pending.removeAll()
        return nil
    }

    public var idleTimeoutMs: Int32? { code.isEmpty && pending.isEmpty ? nil : 1000 }

    /// Builds the reports a scanner sends for `data` (tests, `eguma-gate` diagnostics).
    public static func reports(for data: [UInt8], symbology: [UInt8] = Array("]C0".utf8), reportSize: Int = 64) -> [[UInt8]] {
        let chunk = reportSize - 6
        var out: [[UInt8]] = []
        var start = 0
        repeat {
            let end = min(start + chunk, data.count)
            var r = [UInt8](repeating: 0, count: reportSize)
            r[0] = scannedDataReportID
            r[1] = UInt8(end - start)
            for (i, b) in symbology.prefix(3).enumerated() { r[2 + i] = b }
            for (i, b) in data[start..<end].enumerated() { r[5 + i] = b }
            r[reportSize - 1] = end < data.count ? 1 : 0
            out.append(r)
            start = end
        } while start < data.count
        return out
    }
}
