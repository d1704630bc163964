import GateCore
import GateHardware
import Testing
import TestSupport

@Suite struct HIDPOSReaderTests {
    /// A Scanned Data report laid out by hand (report ID 2, length, AIM id, data, continued flag).
    private func report(_ data: String, more: Bool = false) -> [UInt8] {
        var r = [UInt8](repeating: 0, count: 64)
        r[0] = 0x02
        r[1] = UInt8(data.utf8.count)
        r[2] = UInt8(ascii: "]"); r[3] = UInt8(ascii: "Q"); r[4] = UInt8(ascii: "1")
        for (i, b) in data.utf8.enumerated() { r[5 + i] = b }
        r[63] = more ? 1 : 0
        return r
    }

    private func decode(_ reports: [[UInt8]]) -> [[UInt8]] {
        var d = HIDPOSDecoder()
        return reports.flatMap { r in r.withUnsafeBytes { d.consume($0) } }
    }

    @Test func aSingleReportIsOneCodeWithoutTheSymbologyId() {
        #expect(decode([report("KJR3-ABCD-EFGH")]) == [Array("KJR3-ABCD-EFGH".utf8)])
    }

    @Test func aCodeOverSeveralReportsIsReassembled() {
        let parts = ["0123456789", "ABCDEFGHIJ", "xyz"]
        #expect(decode([report(parts[0], more: true), report(parts[1], more: true), report(parts[2])])
            == [Array(parts.joined().utf8)])
    }

    @Test func otherReportsAreIgnored() {
        var status = [UInt8](repeating: 0, count: 64)
        status[0] = 0x04
        #expect(decode([status, report("123456")]) == [Array("123456".utf8)])
    }

    @Test func theEncoderAndDecoderAgreeForLongCodes() {
        let code = Array(String(repeating: "Z9", count: 32).utf8)
        let reports = HIDPOSDecoder.reports(for: code)
        #expect(reports.count == 2)
        #expect(decode(reports) == [code])
    }

    @Test func multiReportCodesThroughTheRealReader() async throws {
        let pipe = try KernelPipe()
        let events = EventQueue()
        let reader = try ScannerReader(fd: pipe.readEnd, device: "pipe", decoder: HIDPOSDecoder(), sink: events.sink)
        try pipe.send(report("SPA-", more: true) + report("NORTH-", more: true) + report("42"))
        try pipe.send(report("SECOND"))
        #expect(try await events.nextFrame() == "SPA-NORTH-42")
        #expect(try await events.nextFrame() == "SECOND")
        await reader.stop()
    }
}
