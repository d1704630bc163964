/// "Did you mean …?" for a mistyped config key or lane name: the closest known name by edit
/// distance, if it is close enough to be a typo rather than a different word.
///
/// One place for every caller (config keys, `open`, `events --lane`, `gpio test`), so the rule
/// of what counts as a typo is the same everywhere.
public enum NameSuggestion {
    /// The known name nearest to `name`, or nil when none is within a typo's distance
    /// (one edit for short names, up to a third of the length for longer ones).
    public static func closest(to name: String, among known: some Sequence<String>) -> String? {
        let limit = max(1, name.count / 3)
        var best: (name: String, distance: Int)?
        for candidate in known where candidate != name {
            let distance = editDistance(name.lowercased(), candidate.lowercased())
            if distance <= limit, distance < (best?.distance ?? .max) { best = (candidate, distance) }
        }
        return best?.name
    }

    /// ` — did you mean "x"?`, or empty: ready to append to a message.
    public static func hint(for name: String, among known: some Sequence<String>) -> String {
        closest(to: name, among: known).map { " — did you mean \"\($0)\"?" } ?? ""
    }

    /// The one message for a lane name that is not configured (CLI and control socket alike):
    /// `no lane maim (lanes: main, side) — did you mean "main"?`.
    public static func unknownLane(_ name: String, among lanes: [String]) -> String {
        "no lane \(name) (lanes: \(lanes.joined(separator: ", ")))\(hint(for: name, among: lanes))"
    }

    /// Levenshtein distance (insert, delete, substitute; a swap of neighbours counts once).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var before = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], before[j - 2] + 1)
                }
            }
            (before, previous, current) = (previous, current, before)
        }
        return previous[b.count]
    }
}
