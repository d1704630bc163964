import Foundation
import Logging

/// Log lines on stderr, readable by people and by journald.
///
/// Under systemd (`JOURNAL_STREAM` or `INVOCATION_ID` set) each line starts with a `<N>` syslog
/// priority prefix, which journald turns into the entry's priority and strips; timestamps are left
/// to the journal. From a shell, lines carry an ISO time and the level word instead.
///
/// Nothing here masks secrets: callers never pass URLs, keys or unmasked codes (the e-guma client
/// and the engine mask codes themselves). Metadata values are printed as given.
public struct GateLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String
    private let journald: Bool
    private let sink: @Sendable (String) -> Void

    public init(label: String, level: Logger.Level = .info,
                environment: [String: String] = ProcessInfo.processInfo.environment,
                sink: (@Sendable (String) -> Void)? = nil) {
        self.label = label
        self.logLevel = level
        self.journald = environment["JOURNAL_STREAM"] != nil || environment["INVOCATION_ID"] != nil
        self.sink = sink ?? { line in FileHandle.standardError.write(Data(line.utf8)) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let meta = merged.isEmpty ? "" : " " + merged.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let text = "\(event.message)\(meta)".replacingOccurrences(of: "\n", with: " ⏎ ")
        if journald {
            sink("<\(GateLogHandler.syslogPriority(event.level))>\(label): \(text)\n")
        } else {
            let time = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false))
            sink("\(time) \(event.level.rawValue.uppercased()) \(label): \(text)\n")
        }
    }

    /// swift-log levels mapped to syslog priorities (sd-daemon(3) prefixes).
    public static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}
