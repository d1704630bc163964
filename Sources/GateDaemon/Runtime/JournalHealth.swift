import Synchronization

/// Which parts of the gate (lanes, the outbox worker) cannot write the journal right now, and why.
///
/// A lane whose journal write failed is "out of order": it refuses new admissions (the engine
/// never sends a redeem without its durable intent) and says so in `status` and /healthz. It is
/// back in service as soon as a write works again — its own next write, or the housekeeping
/// probe — with no restart. Other lanes and the daemon keep running throughout.
public final class JournalHealth: Sendable {
    private let failing = Mutex<[String: String]>([:])

    public init() {}

    /// Records a failed write of `part`; true when `part` was writing fine until now.
    @discardableResult
    func failed(_ part: String, reason: String) -> Bool {
        failing.withLock { f in
            defer { f[part] = reason }
            return f[part] == nil
        }
    }

    /// Records a successful write of `part`; true when it was failing until now.
    @discardableResult
    func worked(_ part: String) -> Bool {
        failing.withLock { $0.removeValue(forKey: part) != nil }
    }

    /// Everything failing is back (the probe wrote); the parts that recovered.
    func allWorked() -> [String] {
        failing.withLock { f in
            defer { f = [:] }
            return f.keys.sorted()
        }
    }

    /// Why `part` cannot write, or nil when it can.
    public func problem(_ part: String) -> String? { failing.withLock { $0[part] } }

    public var isFailing: Bool { failing.withLock { !$0.isEmpty } }

    /// "lane main: …; outbox: …" for /healthz and logs.
    public var summary: String? {
        let all = failing.withLock { $0 }
        guard !all.isEmpty else { return nil }
        return all.sorted { $0.key < $1.key }.map { "\($0.key): journal cannot be written (\($0.value))" }.joined(separator: "; ")
    }
}
