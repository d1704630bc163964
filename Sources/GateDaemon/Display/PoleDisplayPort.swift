import GateCore
import GateHardware
import Logging

/// The serial port of a lane's pole display, opened on first use and reopened after it failed
/// (a USB-serial display unplugged and plugged back in): a display problem is logged, never
/// stops the lane.
actor PoleDisplayPort {
    let path: String
    let baud: Int
    let codepage: PoleCodepage
    private var display: SerialPoleDisplay?
    private var lastAttempt: ContinuousClock.Instant?
    private var reported = false
    private let logger: Logger
    static let reopenInterval: Duration = .seconds(5)

    init(path: String, baud: Int, codepage: PoleCodepage, logger: Logger) {
        self.path = path; self.baud = baud; self.codepage = codepage; self.logger = logger
    }

    func write(_ bytes: [UInt8]) async {
        if display == nil {
            if let last = lastAttempt, ContinuousClock.now - last < Self.reopenInterval { return }
            lastAttempt = .now
            do {
                let opened = try SerialPoleDisplay(path: path, baud: baud)
                try await opened.write(PoleDisplayCommands.start(codepage: codepage))
                display = opened
                if reported { logger.notice("pole display \(path) is back") }
                reported = false
            } catch {
                report(error)
                return
            }
        }
        do {
            try await display?.write(bytes)
        } catch {
            display = nil
            report(error)
        }
    }

    private func report(_ error: DeviceError) {
        guard !reported else { return }
        reported = true
        logger.error("pole display: \(error.description); retrying every \(Self.reopenInterval)")
    }
}
