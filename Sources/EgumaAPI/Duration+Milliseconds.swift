/// In a file of its own, not beside the HTTP client: the fuzz build compiles EgumaAPI without
/// `EgumaClient.swift`, and the config's TOML writer (`TOMLText`) counts on this one formula too.
extension Duration {
    /// Whole milliseconds (truncated): log lines, and every `*_ms` key eguma-gate writes.
    public var milliseconds: Int64 {
        let (s, atto) = components
        return s * 1000 + atto / 1_000_000_000_000_000
    }
}
