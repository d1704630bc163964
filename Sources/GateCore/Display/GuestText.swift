/// One guest screen, rendered: a title, detail lines and the colour class. Displays lay it out
/// (the kiosk page as large text, the pole display on two rows of 20).
public struct GuestText: Sendable, Equatable, Codable {
    public var title: String
    public var lines: [String]
    public var outcome: DisplayOutcome

    public init(title: String, lines: [String] = [], outcome: DisplayOutcome) {
        self.title = title; self.lines = lines; self.outcome = outcome
    }
}
