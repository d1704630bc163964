import GateCore
import Testing

@Suite struct PoleDisplayLayoutTests {
    @Test func cp437MapsUmlautsAndAccentsToSingleBytes() {
        #expect(PoleCodepage.cp437.encode("Grüße à l’été") == [0x47, 0x72, 0x81, 0xE1, 0x65, 0x20, 0x85, 0x20, 0x6C, 0x27, 0x82, 0x74, 0x82])
    }

    @Test func cp850HasTheAccentedCapitalsThatCp437Lacks() {
        #expect(PoleCodepage.cp850.encode("ÈÀ") == [0xD4, 0xB7])
        #expect(PoleCodepage.cp437.encode("ÈÀ") == Array("EA".utf8))
    }

    @Test func asciiTransliteratesGermanAndFrench() {
        #expect(PoleCodepage.ascii.encode("Grüße, Ärger, Öl, été, ç…") == Array("Gruesse, Aerger, Oel, ete, c...".utf8))
        #expect(PoleCodepage.ascii.encode("→") == Array("?".utf8))
    }

    @Test func codePagesAreSelectedWithEscT() {
        #expect(PoleCodepage.cp437.selectCommand == [0x1B, 0x74, 0])
        #expect(PoleCodepage.cp850.selectCommand == [0x1B, 0x74, 2])
        #expect(PoleCodepage.ascii.selectCommand == nil)
        #expect(PoleDisplayCommands.start(codepage: .cp850) == [0x1B, 0x40, 0x1F, 0x01, 0x1B, 0x74, 2])
    }

    @Test func shortRowsArePaddedToTwentyCellsAndDoNotScroll() {
        let layout = PoleDisplayLayout(GuestText(title: "Willkommen", lines: ["Guthaben CHF 75.00"], outcome: .success), codepage: .cp437)
        #expect(!layout.scrolls)
        #expect(layout.window(row: 0, step: 7) == Array("Willkommen          ".utf8))
        #expect(layout.firstFrame == [0x0C, 0x1F, 0x24, 1, 1] + Array("Willkommen          ".utf8)
            + [0x1F, 0x24, 1, 2] + Array("Guthaben CHF 75.00  ".utf8))
        #expect(layout.scrollFrame(step: 1).isEmpty)
    }

    @Test func aLongRowScrollsAsAMarqueeWithAGap() {
        let text = "ABCDEFGHIJKLMNOPQRSTUVWXY"  // 25 cells
        let layout = PoleDisplayLayout(GuestText(title: "T", lines: [text], outcome: .failure), codepage: .ascii)
        #expect(layout.scrolls)
        #expect(layout.window(row: 1, step: 0) == Array("ABCDEFGHIJKLMNOPQRST".utf8))
        #expect(layout.window(row: 1, step: 6) == Array("GHIJKLMNOPQRSTUVWXY ".utf8))
        #expect(layout.window(row: 1, step: 24) == Array("Y   ABCDEFGHIJKLMNOP".utf8))
        #expect(layout.window(row: 1, step: 28) == layout.window(row: 1, step: 0))
        #expect(layout.scrollFrame(step: 1) == [0x1F, 0x24, 1, 2] + Array("BCDEFGHIJKLMNOPQRSTU".utf8))
    }
}
