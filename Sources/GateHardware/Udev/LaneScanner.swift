import GateCore

/// One lane's scanner found through udev: the `CodeSource` of the lane's engine.
///
/// Whenever a device the lane wants (`LaneScannerConfig.wants`) is present and none is being
/// read, it is opened (`attached`); its frames follow. Unplugging it (udev remove, or the reader
/// seeing EIO/hang-up first) gives one `detached`; when it (or another wanted device) comes
/// back the lane resumes by itself.
public struct LaneScanner: CodeSource {
    public let lane: String
    public let config: LaneScannerConfig
    public let watcher: UdevWatcher

    public init(lane: String, config: LaneScannerConfig, watcher: UdevWatcher) {
        self.lane = lane
        self.config = config
        self.watcher = watcher
    }

    private enum Input: Sendable {
        case udev(UdevWatcher.Change)
        case readerGone(generation: Int, event: ScannerEvent)
    }

    /// Follows udev until cancelled; returns once the reader it holds has stopped.
    public func run(into sink: ScannerSink) async {
        let (inputs, inputContinuation) = AsyncStream.makeStream(of: Input.self)
        let changes = watcher.changes()
        let config = config
        await withDiscardingTaskGroup { group in
            // udev's changes and the readers' ends meet in one stream: the state machine below
            // sees them in order. Frames do not pass here: readers yield them to `sink`.
            group.addTask {
                for await change in changes { inputContinuation.yield(.udev(change)) }
                inputContinuation.finish()
            }
            await Self.run(config: config, inputs: inputs, inputContinuation: inputContinuation, output: sink)
            group.cancelAll()
        }
    }

    private static func run(
        config: LaneScannerConfig, inputs: AsyncStream<Input>,
        inputContinuation: AsyncStream<Input>.Continuation, output: ScannerSink
    ) async {
        var present: [String: ScannerDevice] = [:]  // wanted devices by syspath
        var active: (device: ScannerDevice, reader: ScannerReader, generation: Int)?
        var generation = 0

        func attachNext() {
            guard active == nil else { return }
            for device in present.values.sorted(by: { $0.devnode < $1.devnode }) {
                generation += 1
                let gen = generation
                do {
                    let reader = try ScannerReader.open(device.devnode, config: config, opened: {
                        output.yield(.attached(device: device.devnode))
                    }) { event in
                        if case .detached = event {
                            inputContinuation.yield(.readerGone(generation: gen, event: event))
                        } else {
                            output.yield(event)
                        }
                    }
                    active = (device, reader, gen)
                    return
                } catch {
                    // Not readable now (permissions, busy): reported; retried when udev says
                    // the device changed or comes back.
                    output.yield(.detached(device: device.devnode, reason: error.description))
                    present.removeValue(forKey: device.syspath)
                }
            }
        }

        for await input in inputs {
            switch input {
            case .udev(.added(let device)):
                guard config.wants(device) else {
                    // A device whose properties changed so that it no longer matches.
                    if present.removeValue(forKey: device.syspath) != nil, let a = active, a.device.syspath == device.syspath {
                        active = nil
                        await a.reader.stop()
                        output.yield(.detached(device: device.devnode, reason: "\(device.devnode) no longer matches this lane"))
                    }
                    continue
                }
                present[device.syspath] = device
                attachNext()
            case .udev(.removed(let device)):
                present.removeValue(forKey: device.syspath)
                if let a = active, a.device.syspath == device.syspath {
                    active = nil
                    await a.reader.stop()
                    output.yield(.detached(device: device.devnode, reason: "\(device.devnode) unplugged"))
                    attachNext()
                }
            case .readerGone(let gen, let event):
                guard let a = active, a.generation == gen else { continue }
                active = nil
                // The node is unusable; wait for udev to report it again rather than spin
                // reopening a dying device.
                present.removeValue(forKey: a.device.syspath)
                output.yield(event)
                attachNext()
            }
        }
        if let a = active { await a.reader.stop() }
    }
}
