import EgumaSimulator
import Foundation
import GateDaemon
import GateHardware
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// One `eguma-gate run` child for the latency benchmark: stdin scanner fed through a pipe,
/// simulated relay (no sensor: entered when the pulse ends). "Open" is read twice: the relay
/// energised, from the simulated chip's drive trace (`EGUMA_GATE_SIM_TRACE`, CLOCK_MONOTONIC
/// nanoseconds against the instant the scan was written), and the kiosk stream's "walk through"
/// as this process receives it (the engine shows it when the relay publishes that it is
/// energised; its delivery to this process comes after). A daemon older than the trace gives only the kiosk figure.
struct GateRun {
    /// Scan written → kiosk "walk through" received, per sampled admission.
    var latencies: [Duration] = []
    /// Scan written → relay energised, per sampled admission (empty: the binary has no trace).
    var relayLatencies: [Duration] = []
    /// The floor measured right before each sampled scan (`between`): the same moment of the
    /// machine as the admission after it.
    var interleavedFloor: [Duration] = []
    /// Start to READY=1, one per daemon started (two when `merged`).
    var readyTimes: [Duration] = []
    var rssBefore = 0.0
    var rssAfter = 0.0
    var admitted = 0
    /// RSS (KiB) after so many admissions past the warm-up, ten points over the run.
    var rssSeries: [(Int, Double)] = []
    var threads = 0
    /// Where the RSS at the end sits (`residentBreakdown`).
    var breakdown = ""
    /// Per sampled admission, the fsync/fdatasync calls made between the scan's write and the
    /// relay's energise, by file name (`-wal`, the database, …); empty without the fsync shim.
    var syncsBeforeRelay: [[String]] = []

    static let warmUp = 20

    /// `self` followed by `later`, another run of the same binary: the samples of both; the
    /// memory figures of whichever admitted more (the extra admissions; `later` on a tie).
    func merged(with later: GateRun) -> GateRun {
        var both = later.admitted >= admitted ? later : self
        both.latencies = latencies + later.latencies
        both.relayLatencies = relayLatencies.isEmpty || later.relayLatencies.isEmpty ? [] : relayLatencies + later.relayLatencies
        both.interleavedFloor = interleavedFloor + later.interleavedFloor
        both.syncsBeforeRelay = syncsBeforeRelay + later.syncsBeforeRelay
        both.readyTimes = readyTimes + later.readyTimes
        return both
    }

    /// What "open" is for this run's overheads: relay energised when the binary traces it,
    /// otherwise the kiosk screen as received.
    var open: [Duration] { relayLatencies.isEmpty ? latencies : relayLatencies }
    var openName: String { relayLatencies.isEmpty ? "kiosk" : "relay" }

    static func measure(binary: String, base: String, caFile: String, voucher: String, samples: Int,
                        extraAdmissions: Int, fsyncDelayUs: Int, shim: String?,
                        between: (() async throws -> Duration)? = nil) async throws -> GateRun {
        let dir = NSTemporaryDirectory() + "bench-latency-\(getpid())-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = FileManager.default.createFile(atPath: dir + "/k.key", contents: Data(SimulatedOutlet.demo.key.utf8),
                                           attributes: [.posixPermissions: 0o600])
        let kioskPort = try BenchSocket.freePort()
        try configText(dir: dir, baseURL: base, gate: "display = \"127.0.0.1:\(kioskPort)\"", api: "ca_file = \"\(caFile)\"",
                       lane: "display = { kind = \"web\" }")
            .write(toFile: dir + "/gate.toml", atomically: true, encoding: .utf8)

        let notify = try NotifyListener(path: dir + "/notify.sock")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["run", "--config", dir + "/gate.toml", "--log-level", "warning"]
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = dir + "/notify.sock"
        environment[SimulatedGPIOChip.driveTraceVariable] = dir + "/relay.trace"
        if let shim {
            environment["LD_PRELOAD"] = shim
            environment["FSYNC_DELAY_US"] = String(fsyncDelayUs)
            environment["FSYNC_TRACE"] = dir + "/fsync.trace"
        }
        process.environment = environment
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        let stderrText = Captured()
        errors.fileHandleForReading.readabilityHandler = { stderrText.append($0.availableData) }
        let started = ContinuousClock.now
        try process.run()
        defer {
            if process.isRunning { process.terminate(); process.waitUntilExit() }
            errors.fileHandleForReading.readabilityHandler = nil
        }
        guard let readyAt = notify.waitForReady(timeout: 30) else {
            throw BenchSocket.Failure(description: "the daemon sent no READY=1 within 30 s: \(stderrText.text)")
        }
        var run = GateRun()
        run.readyTimes = [readyAt - started]
        let screens = try KioskStream(port: kioskPort, lane: "main")
        var relayTrace = RelayTrace(path: dir + "/relay.trace")
        var syncTrace = shim == nil ? nil : TraceFile(path: dir + "/fsync.trace")
        var relayMissing = false

        let line = Data((voucher + "\n").utf8)
        let total = warmUp + samples + extraAdmissions
        for i in 0..<total {
            if i == warmUp { run.rssBefore = residentKiB(pid: process.processIdentifier) }
            if i >= warmUp, (i - warmUp) % max(1, (total - warmUp) / 10) == 0 {
                run.rssSeries.append((i - warmUp, residentKiB(pid: process.processIdentifier)))
            }
            let sampled = i >= warmUp && i < warmUp + samples
            if sampled, let between { run.interleavedFloor.append(try await between()) }
            screens.drain()
            let written = SimulatedGPIOChip.monotonicNanoseconds()
            let start = ContinuousClock.now
            input.fileHandleForWriting.write(line)
            guard let opened = screens.next(state: "walk through", timeout: 30) else {
                throw BenchSocket.Failure(description: "admission \(i): no \"walk through\" screen (last: \(screens.last)); daemon said: \(stderrText.text)")
            }
            guard screens.next(state: "idle", timeout: 30) != nil else {
                throw BenchSocket.Failure(description: "admission \(i): the lane did not return to idle (last: \(screens.last))")
            }
            if sampled { run.latencies.append(opened - start) }
            // The pulse has ended ("idle" follows it): its energise is in the trace by now.
            let energised = relayTrace.nextEnergise(line: 0)
            if sampled, !relayMissing {
                if let energised { run.relayLatencies.append(.nanoseconds(energised - written)) } else { relayMissing = true; run.relayLatencies = [] }
            }
            // Every fsync of this admission is in the trace by now: the lane returns to idle only
            // after its closing committed. Those before the scan belong to the one before.
            if let lines = syncTrace?.newLines(), sampled, let energised {
                run.syncsBeforeRelay.append(lines.compactMap { line -> String? in
                    let fields = line.split(separator: " ", maxSplits: 1)
                    guard let ns = Int64(fields[0]), ns >= written, ns < energised else { return nil }
                    return fields.count == 2 ? String(fields[1].split(separator: "/").last ?? "") : "?"
                })
            }
            run.admitted = i + 1
        }
        run.rssAfter = residentKiB(pid: process.processIdentifier)
        run.rssSeries.append((total - warmUp, run.rssAfter))
        run.threads = Int(status(pid: process.processIdentifier, "Threads:") ?? 0)
        run.breakdown = residentBreakdown(pid: process.processIdentifier)
        screens.close()
        return run
    }

    /// A trace file a daemon appends lines to, read as it grows: each call reads only what was
    /// appended since the last (one handle, its offset kept), not the whole file again — 20,000
    /// admissions append 40,000 relay lines.
    struct TraceFile {
        let path: String
        private var handle: FileHandle?
        /// The end of the last read that had no newline yet.
        private var partial = Data()

        init(path: String) { self.path = path }

        /// The whole lines appended since the last call (none while the file does not exist).
        mutating func newLines() -> [Substring] {
            if handle == nil { handle = FileHandle(forReadingAtPath: path) }
            guard let fresh = try? handle?.readToEnd() else { return [] }
            var data = partial + fresh
            guard let lastNewline = data.lastIndex(of: UInt8(ascii: "\n")) else { partial = data; return [] }
            partial = data[data.index(after: lastNewline)...]
            data = data[..<lastNewline]
            return String(decoding: data, as: UTF8.self).split(separator: "\n")
        }
    }

    /// The simulated chip's drive trace of one daemon (`LINE VALUE NS` per driven change).
    struct RelayTrace {
        private var file: TraceFile

        init(path: String) { file = TraceFile(path: path) }

        /// The CLOCK_MONOTONIC nanoseconds of the next "energised" (`LINE 1 NS`) of `line` not
        /// read yet, nil if the file has none (a binary without the trace).
        mutating func nextEnergise(line: Int) -> Int64? {
            for text in file.newLines() {
                let fields = text.split(separator: " ")
                if fields.count == 3, Int(fields[0]) == line, fields[1] == "1", let ns = Int64(fields[2]) { return ns }
            }
            return nil
        }
    }

    /// A one-lane gate in `dir` (database, socket, key file `k.key`): stdin scanner, price 1.00,
    /// no debounce, simulated relay; `gate`, `api` and `lane` add lines to those tables.
    static func configText(dir: String, baseURL: String, gate: String = "", api: String = "", lane: String) -> String {
        """
        [gate]
        name = "bench"
        database = "\(dir)/g.db"
        control_socket = "\(dir)/c.sock"
        metrics = ""
        \(gate)
        [api]
        base_url = "\(baseURL)"
        \(api)
        [outlets.o]
        api_key_file = "\(dir)/k.key"
        [lanes.main]
        outlet = "o"
        price = "1.00"
        debounce_ms = 0
        scanner = { kind = "stdin" }
        relay = { chip = "sim", line = 0, pulse_ms = 50 }
        \(lane)
        """
    }

    /// VmRSS of `pid` in KiB.
    static func residentKiB(pid: Int32) -> Double { status(pid: pid, "VmRSS:") ?? 0 }

    /// The RSS of `pid` by what backs it, from /proc/PID/smaps: anonymous memory (heap, stacks,
    /// pages written after load such as relocated data) and, per file, the clean pages mapped from
    /// it — code and read-only data the kernel can drop and read again at any time.
    static func residentBreakdown(pid: Int32) -> String {
        guard let mappings = MemoryMapping.read(pid: String(pid)) else { return "" }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")) ?? ""
        func fileKiB(_ belongs: (String) -> Bool) -> Double {
            Double(mappings.filter { $0.path.hasPrefix("/") && belongs($0.path) }.reduce(0) { $0 + $1.rssKiB - $1.anonymousKiB })
        }
        let isSwift = { (path: String) in path.contains("swift") || path.contains("Foundation") || path.contains("dispatch") }
        let anonymous = Double(mappings.reduce(0) { $0 + $1.anonymousKiB })
        return String(format: "anonymous %.1f MiB (heap, stacks, relocated data); clean pages mapped from files: the eguma-gate binary %.1f, "
                      + "Swift/Foundation libraries %.1f, other libraries %.1f MiB", anonymous / 1024, fileKiB { $0 == exe } / 1024,
                      fileKiB { $0 != exe && isSwift($0) } / 1024, fileKiB { $0 != exe && !isSwift($0) } / 1024)
    }

    /// The first number of a line of /proc/PID/status.
    static func status(pid: Int32, _ key: String) -> Double? {
        guard let status = ProcFile.text("/proc/\(pid)/status"),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key) }) else { return nil }
        return line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap { Double($0) }
    }
}

/// Text a child wrote to stderr, for error messages.
final class Captured: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func append(_ more: Data) { lock.lock(); data.append(more.suffix(4_000)); lock.unlock() }
    var text: String { lock.lock(); defer { lock.unlock() }; return String(decoding: data.suffix(2_000), as: UTF8.self) }
}

/// The `NOTIFY_SOCKET` a systemd `Type=notify` service reports READY=1 to.
final class NotifyListener: @unchecked Sendable {
    private let fd: Int32
    private let condition = NSCondition()
    private var readyAt: ContinuousClock.Instant?

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[i] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw BenchSocket.Failure(description: "cannot bind the notify socket \(path): errno \(errno)") }
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4_096)
            while true {
                // One datagram per read; EINTR retried by swift-system.
                guard let n = try? buffer.withUnsafeMutableBytes({ try FileDescriptor(rawValue: fd).read(into: $0) }) else { return }
                let now = ContinuousClock.now
                if String(decoding: buffer[0..<n], as: UTF8.self).split(separator: "\n").contains("READY=1") {
                    condition.lock(); if readyAt == nil { readyAt = now }; condition.broadcast(); condition.unlock()
                }
            }
        }
    }

    func waitForReady(timeout: Double) -> ContinuousClock.Instant? {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock(); defer { condition.unlock() }
        while readyAt == nil, condition.wait(until: deadline) {}
        return readyAt
    }
}

/// The kiosk's Server-Sent Events for one lane, read on a thread; each screen's state is stamped
/// when its bytes arrive.
final class KioskStream: @unchecked Sendable {
    private let fd: Int32
    private let condition = NSCondition()
    private var queue: [(String, ContinuousClock.Instant)] = []
    private(set) var last = ""

    init(port: Int, lane: String) throws {
        // READY=1 can come a moment before the kiosk server listens: try for up to 10 s.
        var connected: Int32?
        for _ in 0..<200 {
            if let fd = try? BenchSocket.connect(port: port) { connected = fd; break }
            usleep(50_000)
        }
        guard let connected else { throw BenchSocket.Failure(description: "the kiosk server on 127.0.0.1:\(port) never accepted a connection") }
        fd = connected
        BenchSocket.noDelay(fd)
        _ = BenchSocket.writeAll(fd, Array("GET /lanes/\(lane)/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".utf8))
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 16_384)
            var pending = ""
            while true {
                let n = read(fd, &buffer, buffer.count)
                if n <= 0 { return }
                let now = ContinuousClock.now
                pending += String(decoding: buffer[0..<n], as: UTF8.self)
                while let newline = pending.firstIndex(of: "\n") {
                    let line = pending[..<newline]
                    pending = String(pending[pending.index(after: newline)...])
                    guard line.hasPrefix("data: "), let state = Self.state(in: line) else { continue }
                    condition.lock(); queue.append((state, now)); last = String(line); condition.broadcast(); condition.unlock()
                }
            }
        }
    }

    private static func state(in line: Substring) -> String? {
        guard let key = line.range(of: "\"state\":\"") else { return nil }
        let rest = line[key.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    func drain() { condition.lock(); queue.removeAll(); condition.unlock() }

    /// Waits for the next screen in `state`, dropping the ones before it.
    func next(state: String, timeout: Double) -> ContinuousClock.Instant? {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock(); defer { condition.unlock() }
        while true {
            while !queue.isEmpty {
                let (s, at) = queue.removeFirst()
                if s == state { return at }
            }
            if !condition.wait(until: deadline) { return nil }
        }
    }

    func close() { shutdown(fd, Int32(SHUT_RDWR)); Glibc.close(fd) }
}
