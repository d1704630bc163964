import Foundation
import GateDaemon
import Logging
import Synchronization
import Testing

struct GateLogHandlerTests {
    final class Lines: Sendable {
        let storage = Mutex<[String]>([])
        func append(_ s: String) { storage.withLock { $0.append(s) } }
        var all: [String] { storage.withLock { $0 } }
    }

    @Test func underSystemdLinesCarrySyslogPriorityPrefixes() {
        let lines = Lines()
        var logger = Logger(label: "lane.main") { label in
            GateLogHandler(label: label, level: .debug, environment: ["JOURNAL_STREAM": "8:1234"], sink: lines.append)
        }
        logger.logLevel = .debug
        logger.warning("scanner missing")
        logger.error("relay failed")
        logger.info("entered")
        #expect(lines.all == ["<4>lane.main: scanner missing\n", "<3>lane.main: relay failed\n", "<6>lane.main: entered\n"])
    }

    @Test func fromAShellLinesCarryTimeAndLevelAndStayOneLine() throws {
        let lines = Lines()
        let logger = Logger(label: "gate") { label in
            GateLogHandler(label: label, environment: [:], sink: lines.append)
        }
        logger.info("two\nlines", metadata: ["lane": "main"])
        let line = try #require(lines.all.first)
        #expect(line.contains("INFO gate: two ⏎ lines lane=main"))
        #expect(line.filter { $0 == "\n" }.count == 1)
        #expect(!line.hasPrefix("<"))
    }
}
