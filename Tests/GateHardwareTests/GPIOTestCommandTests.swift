import Foundation
import Testing
import TestSupport

/// `eguma-gate gpio test` run as the built binary, as a technician would.
@Suite struct GPIOTestCommandTests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static let binary = URL(fileURLWithPath: GateBinary.path)

    private func run(_ arguments: [String]) throws -> Run {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path),
                     "build the binary first: swift build --build-tests (\(Self.binary.path))")
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting so a full pipe cannot block the child.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test func missingChipFailsWithAPreciseMessageAndExitCode2() throws {
        guard !FileManager.default.fileExists(atPath: "/dev/gpiochip0") else { return }
        let result = try run(["gpio", "test", "--chip", "gpiochip0", "--relay", "17", "--sensor", "27"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("open GPIO chip \"gpiochip0\": no such GPIO chip"))
        #expect(result.stderr.contains("no /dev/gpiochip*"))
        #expect(!result.stdout.contains("relay ON"))
    }

    @Test func busyLineNamesItsConsumerAndExitsWith2() throws {
        // Relay and sensor on the same line: the second request finds it held by eguma-gate.
        let result = try run(["gpio", "test", "--chip", "sim", "--relay", "4", "--sensor", "4"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("request input sim line 4: line busy, held by \"eguma-gate\""))
        #expect(!result.stdout.contains("relay ON"))
    }

    /// A lane of a config file: its relay line and pulse as configured.
    @Test func aLaneIsTestedWithItsConfiguredLines() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gpio-lane-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = dir.appendingPathComponent("k.key").path
        _ = FileManager.default.createFile(atPath: key, contents: Data("k".utf8), attributes: [.posixPermissions: 0o600])
        let config = dir.appendingPathComponent("g.toml").path
        try """
            [gate]
            name = "t"
            [outlets.o]
            api_key_file = "\(key)"
            [lanes.main]
            outlet = "o"
            price = "1.00"
            scanner = { kind = "stdin" }
            relay = { chip = "sim", line = 5, active_low = true, pulse_ms = 120 }
            """.write(toFile: config, atomically: true, encoding: .utf8)

        let result = try run(["gpio", "test", "main", "--config", config])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("relay  sim line 5 (active-low), pulse 120 ms"))
        #expect(result.stdout.contains("sim line 5 driven: active (low)"))

        let missing = try run(["gpio", "test", "side", "--config", config])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no lane \"side\""))
    }

    @Test func invalidEdgeIsAUsageError() throws {
        let result = try run(["gpio", "test", "--chip", "gpiochip0", "--relay", "17", "--edge", "sideways"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--edge must be rising, falling or both"))
    }

    @Test func simulatedChipPulsesAndLeavesTheRelayInactive() throws {
        let result = try run(["gpio", "test", "--chip", "sim", "--relay", "3", "--active-low", "--pulse-ms", "50"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("relay ON"))
        #expect(result.stdout.contains("relay OFF"))
        let record = result.stdout.split(separator: "\n").filter { $0.hasPrefix("  +") && $0.contains("sim line 3") }
        #expect(record.count == 4)  // requested, on, off, released
        #expect(record.last?.contains("released: inactive (high)") == true)
    }

    @Test func ctrlCDuringAPulseLeavesTheRelayInactive() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path))
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = ["gpio", "test", "--chip", "sim", "--relay", "5", "--pulse-ms", "60000"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = Pipe()
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var seen = try Self.read(out.fileHandleForReading, until: "relay ON", timeout: .seconds(10))
        #expect(seen.contains("relay ON"))
        kill(process.processIdentifier, SIGINT)
        seen += String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(seen.contains("interrupted — relay inactive, lines released"))
        #expect(!seen.contains("relay OFF"))
        let record = seen.split(separator: "\n").filter { $0.hasPrefix("  +") }
        #expect(record.map { $0.contains("active (high)") && !$0.contains("inactive") } == [false, true, false, false])
        #expect(record.last?.contains("released: inactive (low)") == true)
    }

    /// Reads from `handle` until `marker` appears, waiting with `poll` up to `timeout` in all.
    private static func read(_ handle: FileHandle, until marker: String, timeout: Duration) throws -> String {
        let limit = ContinuousClock.now + TestPatience.scaled(timeout)
        var text = ""
        var fds = [pollfd(fd: handle.fileDescriptor, events: Int16(POLLIN), revents: 0)]
        while !text.contains(marker) {
            let left = ContinuousClock.now.duration(to: limit)
            guard left > .zero else { break }
            let ready = poll(&fds, 1, Int32(left / .milliseconds(1)))
            guard ready > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = Foundation.read(handle.fileDescriptor, &buffer, buffer.count)
            guard count > 0 else { break }
            text += String(decoding: buffer[..<count], as: UTF8.self)
        }
        return text
    }
}
