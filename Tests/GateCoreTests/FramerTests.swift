import GateCore
import Testing

@Suite struct FramerTests {
    private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test func crEndsAFrame() {
        var f = Framer(terminator: .cr)
        #expect(f.feed(bytes("ABC-123\r")) == [bytes("ABC-123")])
    }

    @Test func lfEndsAFrameAndCRIsDropped() {
        var f = Framer(terminator: .lf)
        #expect(f.feed(bytes("ABC\r\nDEF\n")) == [bytes("ABC"), bytes("DEF")])
    }

    @Test func crlfEndsAFrameOnlyAtTheLF() {
        var f = Framer(terminator: .crlf)
        #expect(f.feed(bytes("ABC\r")) == [])
        #expect(f.feed(bytes("\nDEF\r\n")) == [bytes("ABC"), bytes("DEF")])
    }

    @Test func idleFramingWaitsForTheGap() {
        var f = Framer(terminator: .idle)
        #expect(f.feed(bytes("ABC\r\nDEF")) == [])
        #expect(f.hasPending)
        #expect(f.idle() == bytes("ABCDEF"))
        #expect(!f.hasPending)
        #expect(f.idle() == nil)
    }

    @Test func codesAreReassembledAcrossByteByByteFeeds() {
        var f = Framer(terminator: .cr)
        var frames: [[UInt8]] = []
        for b in bytes("KJR3-ABCD-EFGH\rX") { frames += f.feed([b]) }
        #expect(frames == [bytes("KJR3-ABCD-EFGH")])
        #expect(f.hasPending)
    }

    @Test func nulAndControlBytesAreStrippedButOtherGarbageIsKept() {
        var f = Framer(terminator: .cr)
        #expect(f.feed([0x00, 0x41, 0x1B, 0x42, 0x7F, 0xFF, 0x02, 0x0D]) == [[0x41, 0x42, 0xFF]])
    }

    @Test func aLoneTerminatorIsAnEmptyFrame() {
        var f = Framer(terminator: .cr)
        #expect(f.feed(bytes("\r")) == [[]])
    }

    @Test func anOverLongFrameIsCutAndTheRestDiscardedUpToTheTerminator() throws {
        var f = Framer(terminator: .cr)
        let frames = f.feed(bytes(String(repeating: "A", count: 500) + "\rOK\r"))
        try #require(frames.count == 2)
        #expect(frames[0].count == 65)
        #expect(VoucherCode.normalise(frames[0]) == .failure(.tooLong(65)))
        #expect(frames[1] == bytes("OK"))
    }

    @Test func aFrameOfExactly64BytesIsKept() {
        var f = Framer(terminator: .cr)
        let code = String(repeating: "7", count: 64)
        #expect(f.feed(bytes(code + "\r")) == [bytes(code)])
    }
}
