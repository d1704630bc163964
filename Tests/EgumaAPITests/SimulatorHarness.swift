import EgumaAPI
import EgumaSimulator
import Foundation
import Logging
import Synchronization
import TestSupport
import Testing

/// A simulator on a random loopback port and a real `EgumaClient` pointed at it.
struct SimulatorHarness {
    let server: SimulatorServer
    let client: EgumaClient
    let key: APIKey

    var account: SimulatedAccount { server.account }

    /// Starts both, runs `body`, and always shuts both down.
    static func with<T>(
        tls: Bool = false, trustCA: Bool = true,
        outlets: [SimulatedOutlet] = [.demo], vouchers: SimulatedVoucherFile = .demo,
        now: @escaping @Sendable () -> Date = { Date() },
        connectTimeout: Duration = TestPatience.liveConnectTimeout, requestTimeout: Duration = .seconds(30), maxResponseBytes: Int = 64 * 1024,
        logger: Logger = Logger(label: "test-eguma", factory: { _ in SwiftLogNoOpLogHandler() }),
        key: APIKey? = nil,
        _ body: (SimulatorHarness) async throws -> T
    ) async throws -> T {
        let server = try await SimulatorServer.start(.init(
            tls: tls, outlets: outlets, vouchers: vouchers, now: now,
            logger: Logger(label: "sim", factory: { _ in SwiftLogNoOpLogHandler() })))
        let client: EgumaClient
        do {
            client = try EgumaClient(
                configuration: .init(baseURL: server.baseURL, connectTimeout: connectTimeout,
                                     requestTimeout: requestTimeout, caFile: trustCA ? server.caFile : nil,
                                     maxResponseBytes: maxResponseBytes),
                logger: logger)
        } catch {
            await server.stop()
            throw error
        }
        let harness = SimulatorHarness(server: server, client: client, key: key ?? APIKey(outlets[0].key))
        do {
            let result = try await body(harness)
            try? await client.shutdown()
            await server.stop()
            return result
        } catch {
            try? await client.shutdown()
            await server.stop()
            throw error
        }
    }
}

/// Runs `body` and returns the `EgumaError` it throws; nil (and a recorded issue for any other
/// error) otherwise.
func expectEgumaError<T>(_ body: () async throws -> T,
                         sourceLocation: SourceLocation = #_sourceLocation) async -> EgumaError? {
    do {
        _ = try await body()
        return nil
    } catch let error as EgumaError {
        return error
    } catch {
        Issue.record("expected an EgumaError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// A clock for the simulator that a test moves by hand (ShortCode expiry).
final class ManualWallClock: Sendable {
    private let current: Mutex<Date>
    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = Mutex(start) }
    var now: Date { current.withLock { $0 } }
    func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// Collects every log event of the loggers made with it, for the "no key in logs" test.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    var all: [String] { lines.withLock { $0 } }

    func logger(label: String = "captured") -> Logger {
        var logger = Logger(label: label, factory: { _ in CapturingLogHandler(capture: self) })
        logger.logLevel = .trace
        return logger
    }

    fileprivate func append(_ line: String) { lines.withLock { $0.append(line) } }
}

private struct CapturingLogHandler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    var logLevel: Logger.Level = .trace

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        capture.append("\(event.level) \(event.message) \(merged) \(event.error.map { "\($0)" } ?? "")")
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
}
