import Synchronization

/// A `CodeSource` that code feeds by hand: the demo's keyboard, a benchmark's load, a test's
/// script. What is fed while no lane runs it waits and is delivered, in order, when one does.
public final class FedCodeSource: CodeSource {
    private struct State {
        var sink: ScannerSink?
        var waiting: [ScannerEvent] = []
        var ended = false
    }
    private let state = Mutex(State())
    private let ending = WakeSignal()

    public init() {}

    /// Delivers `event` to the running lane (or to the next one to run).
    public func yield(_ event: ScannerEvent) {
        state.withLock { s in
            if let sink = s.sink { sink.yield(event) } else { s.waiting.append(event) }
        }
    }

    /// The source is gone for good, as stdin at end of input: the lane's run of it returns.
    public func end() {
        state.withLock { $0.ended = true }
        ending.signal()
    }

    public func run(into sink: ScannerSink) async {
        let ended = state.withLock { s in
            s.waiting.forEach(sink.yield)
            s.waiting.removeAll()
            s.sink = sink
            return s.ended
        }
        if !ended { await ending.wait() }  // end() or cancellation
        state.withLock { $0.sink = nil }
    }
}
