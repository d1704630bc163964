/// The command subset of the Epson DM-D ("ESC/POS customer display") set that 2×20 VFD/LCD pole
/// displays commonly understand (Epson DM-D110/210, Bixolon BCD-1100, Partner, most no-name
/// USB-serial displays in "Epson" emulation). See docs/display.md.
public enum PoleDisplayCommands {
    public static let columns = 20
    public static let rows = 2

    /// `ESC @`: initialise (clears, cursor home, default settings).
    public static let initialize: [UInt8] = [0x1B, 0x40]
    /// `US MD1` (`0x1F 0x01`): overwrite mode, so writing the 20th cell never scrolls the screen.
    public static let overwriteMode: [UInt8] = [0x1F, 0x01]
    /// `FF` (`0x0C`): clear the screen, cursor home.
    public static let clear: [UInt8] = [0x0C]

    /// `US $ x y`: cursor to column `x` (1…20), row `y` (1…2).
    public static func moveTo(column: Int, row: Int) -> [UInt8] {
        [0x1F, 0x24, UInt8(clamping: column), UInt8(clamping: row)]
    }

    /// What is sent once after opening the port.
    public static func start(codepage: PoleCodepage) -> [UInt8] {
        initialize + overwriteMode + (codepage.selectCommand ?? [])
    }
}
