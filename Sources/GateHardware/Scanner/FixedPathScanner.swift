import GateCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A lane's scanner at a fixed `path`, opened directly — without asking udev, which does not
/// list a pseudo-terminal from socat or ser2net (network scanners), nor anything in a
/// container without udevd.
///
/// The path is looked at every `interval` (a cheap `stat`): when it appears the node is opened
/// (`attached`); when it disappears or now names another node (a replug, a restarted socat) the
/// reader is stopped (`detached`) and the new node opened. A node that failed or hung up is not
/// reopened in a loop: a different node is opened at once, the same one after a back-off.
public struct FixedPathScanner<C: Clock>: CodeSource where C.Duration == Duration {
    public let config: LaneScannerConfig
    public let path: String
    public let clock: C
    public let interval: Duration

    public init(config: LaneScannerConfig, path: String, clock: C, interval: Duration = .milliseconds(500)) {
        self.config = config; self.path = path; self.clock = clock; self.interval = interval
    }

    /// Which node a path names now (through symlinks): same identity, same open device.
    struct NodeIdentity: Equatable {
        var device: UInt64
        var inode: UInt64
        var rdev: UInt64

        init?(path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            device = UInt64(info.st_dev); inode = UInt64(info.st_ino); rdev = UInt64(info.st_rdev)
        }
    }

    /// Watches the path until cancelled; returns once the reader it holds has stopped.
    public func run(into sink: ScannerSink) async {
        await watch(output: sink)
    }

    private func watch(output: ScannerSink) async {
        var active: (reader: ScannerReader, node: NodeIdentity, ended: EndFlag)?
        // The node that failed or hung up, when, and how often in a row: retried when the path
        // names another node, or after a back-off (a restarted socat may get the same pts
        // number, hence the same identity), never in a tight loop.
        var failed: (node: NodeIdentity, at: C.Instant, count: Int)?
        var saidMissing = false
        while !Task.isCancelled {
            let node = NodeIdentity(path: path)
            if let current = active {
                if current.ended.isSet {
                    // The reader saw EOF/hang-up/EIO and already sent `detached`.
                    active = nil
                    failed = (current.node, clock.now, (failed?.count ?? 0) + 1)
                    saidMissing = true
                } else if node != current.node {
                    active = nil
                    await current.reader.stop()
                    output.yield(.detached(device: path, reason: node == nil ? "\(path) was removed" : "\(path) now names another device"))
                    failed = nil
                    saidMissing = true
                }
            }
            if active == nil, let node, retryDue(node, failed) {
                let ended = EndFlag()
                do {
                    let reader = try ScannerReader.open(path, config: config, opened: { output.yield(.attached(device: path)) }) { event in
                        if case .detached = event { ended.set() }
                        output.yield(event)
                    }
                    active = (reader, node, ended)
                    saidMissing = false
                    if failed?.node != node { failed = nil }
                } catch {
                    output.yield(.detached(device: path, reason: error.description))
                    failed = (node, clock.now, (failed?.count ?? 0) + 1)
                }
            } else if active == nil, node == nil, !saidMissing {
                output.yield(.detached(device: path, reason: "\(path) does not exist — waiting for it to appear"))
                saidMissing = true
            }
            do { try await clock.sleep(for: interval) } catch { break }
        }
        if let current = active { await current.reader.stop() }
    }

    /// Whether to (re)open `node` now: a new node at once; the node that just failed after
    /// 1 s, doubling per failure in a row up to a minute.
    private func retryDue(_ node: NodeIdentity, _ failed: (node: NodeIdentity, at: C.Instant, count: Int)?) -> Bool {
        guard let failed, failed.node == node else { return true }
        let backOff = Duration.seconds(1 << min(failed.count - 1, 6))
        return failed.at.duration(to: clock.now) >= min(backOff, .seconds(60))
    }
}

/// Set by a reader thread when its device ended; read by the watch loop.
final class EndFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
