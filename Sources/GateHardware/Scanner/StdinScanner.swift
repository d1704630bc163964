import GateCore

/// `kind = "stdin"`: each line typed on standard input is a scan (demo, tests, a scanner
/// piped in by a shell). Attached at once; detached at end of input.
public struct StdinScanner: CodeSource {
    public let config: LaneScannerConfig

    public init(config: LaneScannerConfig = LaneScannerConfig(kind: .stdin)) {
        self.config = config
    }

    public func events() -> AsyncStream<ScannerEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: ScannerEvent.self)
        continuation.yield(.attached(device: "stdin"))
        let reader: ScannerReader
        do {
            reader = try ScannerReader.stdin(config: config) { event in
                continuation.yield(event)
                if case .detached = event { continuation.finish() }
            }
        } catch {
            continuation.yield(.detached(device: "stdin", reason: error.description))
            continuation.finish()
            return stream
        }
        continuation.onTermination = { _ in Task { await reader.stop() } }
        return stream
    }
}
