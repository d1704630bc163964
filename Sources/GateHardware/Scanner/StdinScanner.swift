import GateCore

/// `kind = "stdin"`: each line typed on standard input is a scan (demo, tests, a scanner
/// piped in by a shell). Attached at once; detached at end of input.
///
/// End of input is "scanner missing", not the end of the lane: the run goes on (the lane keeps
/// answering `open`, status and shutdown) until the lane cancels it. Under systemd stdin is
/// /dev/null, so a lane configured this way reports its scanner missing and nothing more.
public struct StdinScanner: CodeSource {
    public let config: LaneScannerConfig

    public init(config: LaneScannerConfig = LaneScannerConfig(kind: .stdin)) {
        self.config = config
    }

    /// Returns when cancelled, once the reader's thread ended.
    public func run(into sink: ScannerSink) async {
        sink.yield(.attached(device: "stdin"))
        let reader: ScannerReader
        do {
            reader = try ScannerReader.stdin(config: config) { event in sink.yield(event) }
        } catch {
            sink.yield(.detached(device: "stdin", reason: error.description))
            await WakeSignal().wait()  // until cancelled: the lane stays up, its scanner missing
            return
        }
        await reader.readUntilCancelled()
    }
}
