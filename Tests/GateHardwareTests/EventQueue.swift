import GateCore
import TestSupport

/// Collects a reader's or source's events; tests await the next one with a deadline.
final class EventQueue: @unchecked Sendable {
    let stream: AsyncStream<ScannerEvent>
    let continuation: AsyncStream<ScannerEvent>.Continuation
    private var iterator: AsyncStream<ScannerEvent>.AsyncIterator

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: ScannerEvent.self)
        iterator = stream.makeAsyncIterator()
    }

    /// The events `source` yields while it runs. The queue holds the run: `close()` (or the
    /// queue's end) cancels it.
    convenience init(running source: some CodeSource) {
        self.init()
        let sink = ScannerSink(self.sink)
        run = Task { await source.run(into: sink) }
    }

    /// The source's run, when the queue runs one.
    private var run: Task<Void, Never>?

    /// Cancels the source's run and returns when it returned — with its device closed.
    func close() async {
        run?.cancel()
        await run?.value
    }

    deinit { run?.cancel() }

    /// The sink to hand to a reader.
    var sink: @Sendable (ScannerEvent) -> Void {
        { [continuation] event in continuation.yield(event) }
    }

    /// The next event, or a `DeadlineExceeded` failure after `timeout`.
    func next(_ what: String = "the next scanner event", timeout: Duration = .seconds(5)) async throws -> ScannerEvent? {
        try await withDeadline(timeout, what) { [self] in await self.iterator.next() }
    }

    /// The next event, which must be a frame; returns its bytes as text.
    func nextFrame(timeout: Duration = .seconds(5)) async throws -> String? {
        guard case .frame(let bytes)? = try await next("a frame", timeout: timeout) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}
