/// A guest screen laid out on a 2×20 pole display: the title on row 1, the detail lines joined
/// on row 2. A row longer than 20 cells scrolls (a marquee: the text, three blanks, again).
public struct PoleDisplayLayout: Sendable, Equatable {
    /// The encoded rows, one byte per cell, not yet cut to 20.
    public let rows: [[UInt8]]
    static let gap: [UInt8] = [0x20, 0x20, 0x20]

    public init(_ text: GuestText, codepage: PoleCodepage) {
        rows = [codepage.encode(text.title), codepage.encode(text.lines.joined(separator: " "))]
    }

    /// Two rows as given (a page of an admission's vouchers: `GuestTexts.polePage`).
    public init(top: String, bottom: String, codepage: PoleCodepage) {
        rows = [codepage.encode(top), codepage.encode(bottom)]
    }

    /// The pages a screen shows in turn: the screen's title, then, after an admission, one page per
    /// voucher (masked code and amount, new balance), so a split payment shows both. One page
    /// (no paging) for every other screen.
    public static func pages(_ screen: GuestScreen, codepage: PoleCodepage) -> [PoleDisplayLayout] {
        let vouchers = screen.vouchers
        guard !vouchers.isEmpty else { return [PoleDisplayLayout(screen.current, codepage: codepage)] }
        // One voucher: the screen's own first page reads as before (title, new balance); a split
        // payment's first page is the title alone, its vouchers follow.
        let bottom = vouchers.count == 1 ? screen.texts.polePage(vouchers[0]).1 : ""
        return [PoleDisplayLayout(top: screen.current.title, bottom: bottom, codepage: codepage)]
            + vouchers.map { voucher in
                let (top, bottom) = screen.texts.polePage(voucher)
                return PoleDisplayLayout(top: top, bottom: bottom, codepage: codepage)
            }
    }

    /// Whether any row needs to scroll.
    public var scrolls: Bool { rows.contains { $0.count > PoleDisplayCommands.columns } }

    /// Row `row` (0 or 1) at scroll step `step`: exactly 20 cells, padded with blanks.
    public func window(row: Int, step: Int) -> [UInt8] {
        let text = rows[row]
        let width = PoleDisplayCommands.columns
        guard text.count > width else { return text + Array(repeating: 0x20, count: width - text.count) }
        let loop = text + Self.gap
        let start = step % loop.count
        return (0..<width).map { loop[(start + $0) % loop.count] }
    }

    /// The bytes that show the whole screen at scroll step 0: clear, row 1, row 2.
    public var firstFrame: [UInt8] {
        PoleDisplayCommands.clear
            + PoleDisplayCommands.moveTo(column: 1, row: 1) + window(row: 0, step: 0)
            + PoleDisplayCommands.moveTo(column: 1, row: 2) + window(row: 1, step: 0)
    }

    /// The bytes that advance the scrolling rows to `step` (nothing for rows that fit).
    public func scrollFrame(step: Int) -> [UInt8] {
        var out: [UInt8] = []
        for row in rows.indices where rows[row].count > PoleDisplayCommands.columns {
            out += PoleDisplayCommands.moveTo(column: 1, row: row + 1) + window(row: row, step: step)
        }
        return out
    }
}
