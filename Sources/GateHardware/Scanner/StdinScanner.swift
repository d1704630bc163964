import GateCore

/// `kind = "stdin"`: each line typed on standard input is a scan (demo, tests, a scanner
/// piped in by a shell). Attached at once; detached at end of input.
///
/// End of input is "scanner missing", not the end of the lane: the stream stays open (the lane
/// keeps answering `open`, status and shutdown) until its consumer goes away. Under systemd
/// stdin is /dev/null, so a lane configured this way reports its scanner missing and nothing more.
public struct StdinScanner: ClosableCodeSource {
    public let config: LaneScannerConfig

    public init(config: LaneScannerConfig = LaneScannerConfig(kind: .stdin)) {
        self.config = config
    }

    public func events() -> AsyncStream<ScannerEvent> { open().events }

    /// `close` stops the reader and returns once its thread ended (stopping twice is harmless).
    public func open() -> OpenedSource {
        let (stream, continuation) = AsyncStream.makeStream(of: ScannerEvent.self)
        continuation.yield(.attached(device: "stdin"))
        let reader: ScannerReader
        do {
            reader = try ScannerReader.stdin(config: config) { event in continuation.yield(event) }
        } catch {
            continuation.yield(.detached(device: "stdin", reason: error.description))
            return OpenedSource(events: stream, close: {})
        }
        continuation.onTermination = { _ in reader.requestStop() }
        return OpenedSource(events: stream, close: { await reader.stop() })
    }
}
