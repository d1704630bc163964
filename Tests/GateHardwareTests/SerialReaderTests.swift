import GateCore
import GateHardware
import Glibc
import Testing
import TestSupport

extension DeviceAccess {
    /// The serial reader against a real PTY with real termios.
    @Suite struct SerialReaderTests {
        private func start(_ pty: PseudoTerminal, _ config: LaneScannerConfig) throws -> (ScannerReader, EventQueue) {
            let events = EventQueue()
            let reader = try ScannerReader.open(pty.slavePath, config: config, sink: events.sink)
            return (reader, events)
        }

        @Test func aCodeSplitOverManyWritesIsOneFrame() async throws {
            let pty = try TestPTY.open()
            let (reader, events) = try start(pty, LaneScannerConfig(kind: .serial, path: pty.slavePath, terminator: .cr))
            for piece in ["KJ", "R3-", "A", "BCD-E", "FGH", "\r"] { try pty.send(piece) }
            #expect(try await events.nextFrame() == "KJR3-ABCD-EFGH")
            await reader.stop()
        }

        @Test(arguments: [
            (LaneScannerConfig.Terminator.cr, "AAA\rBBB\r"),
            (.lf, "AAA\nBBB\n"),
            (.crlf, "AAA\r\nBBB\r\n"),
        ])
        func everyTerminatorEndsFrames(terminator: LaneScannerConfig.Terminator, wire: String) async throws {
            let pty = try TestPTY.open()
            let (reader, events) = try start(pty, LaneScannerConfig(kind: .serial, path: pty.slavePath, terminator: terminator))
            try pty.send(wire)
            #expect(try await events.nextFrame() == "AAA")
            #expect(try await events.nextFrame() == "BBB")
            await reader.stop()
        }

        @Test func idleFramingEndsACodeAfterTheGap() async throws {
            let pty = try TestPTY.open()
            let (reader, events) = try start(pty, LaneScannerConfig(kind: .serial, path: pty.slavePath, terminator: .idle, idleMs: 30))
            let sent = ContinuousClock.now
            try pty.send("1234")
            try pty.send("5678")
            #expect(try await events.nextFrame() == "12345678")
            #expect(ContinuousClock.now - sent >= .milliseconds(30))
            try pty.send("ABC")
            #expect(try await events.nextFrame() == "ABC")
            await reader.stop()
        }

        @Test func garbageReachesTheEngineWithControlBytesStripped() async throws {
            let pty = try TestPTY.open()
            let (reader, events) = try start(pty, LaneScannerConfig(kind: .serial, path: pty.slavePath, terminator: .cr))
            try pty.send([0x00, 0x02, 0x41, 0xC3, 0xA4, 0x1B, 0x42, 0x0D])
            let event = try await events.next()
            #expect(event == .frame([0x41, 0xC3, 0xA4, 0x42]))
            if case .frame(let bytes)? = event { #expect(VoucherCode.normalise(bytes) == .failure(.invalidCharacters)) }
            await reader.stop()
        }

        @Test func overLongInputIsCutAndTheNextCodeStillReads() async throws {
            let pty = try TestPTY.open()
            let (reader, events) = try start(pty, LaneScannerConfig(kind: .serial, path: pty.slavePath, terminator: .cr))
            for _ in 0..<10 { try pty.send(String(repeating: "X", count: 100)) }
            try pty.send("\rGOOD-CODE\r")
            let long = try #require(try await events.nextFrame())
            #expect(long.count == 65)
            #expect(try await events.nextFrame() == "GOOD-CODE")
            await reader.stop()
        }

        @Test func theOtherSideHangingUpIsADetachNotACrash() async throws {
            let pty = try TestPTY.open()
            let (reader, events) = try start(pty, LaneScannerConfig(kind: .serial, path: pty.slavePath, terminator: .cr))
            try pty.send("LAST\r")
            #expect(try await events.nextFrame() == "LAST")
            pty.hangUp()
            guard case .detached(let device, _)? = try await events.next("detached after hang-up") else {
                Issue.record("expected detached")
                return
            }
            #expect(device == pty.slavePath)
            try await withDeadline(.seconds(5), "the reader thread to end") { await reader.finished() }
        }

        @Test func theReaderSetsRawMode8N1AndTheBaudRate() async throws {
            let pty = try TestPTY.open()
            let (reader, _) = try start(pty, LaneScannerConfig(kind: .serial, path: pty.slavePath, baud: 19200))
            let fd = open(pty.slavePath, O_RDWR | O_NOCTTY)
            try #require(fd >= 0)
            defer { close(fd) }
            var tio = termios()
            try #require(tcgetattr(fd, &tio) == 0)
            #expect(tio.c_lflag & tcflag_t(ICANON | ECHO) == 0)
            #expect(tio.c_cflag & tcflag_t(CSIZE) == tcflag_t(CS8))
            #expect(tio.c_cflag & tcflag_t(PARENB | CSTOPB) == 0)
            #expect(cfgetispeed(&tio) == speed_t(B19200))
            await reader.stop()
        }

        @Test func stoppingReleasesTheExclusiveLock() async throws {
            let pty = try TestPTY.open()
            let (reader, _) = try start(pty, LaneScannerConfig(kind: .serial, path: pty.slavePath))
            let probe = open(pty.slavePath, O_RDWR | O_NOCTTY | O_NONBLOCK)
            if probe >= 0 {
                // root may open an exclusive tty; then the flag itself shows the lock
                #expect(SerialPort.isExclusive(probe) == true)
                close(probe)
            } else {
                #expect(errno == EBUSY)
            }
            await reader.stop()
            let second = open(pty.slavePath, O_RDWR | O_NOCTTY | O_NONBLOCK)
            #expect(second >= 0, "a second open after stop must succeed")
            if second >= 0 {
                #expect(SerialPort.isExclusive(second) == false)
                close(second)
            }
            // and we can take it again
            let (again, events) = try start(pty, LaneScannerConfig(kind: .serial, path: pty.slavePath))
            try pty.send("AGAIN\r")
            #expect(try await events.nextFrame() == "AGAIN")
            await again.stop()
        }

        @Test func openingAMissingNodeSaysWhatToDo() {
            #expect {
                _ = try ScannerReader.open("/dev/ttyACM-missing", config: LaneScannerConfig(kind: .serial, path: "/dev/ttyACM-missing")) { _ in }
            } throws: { error in
                "\(error)".contains("open /dev/ttyACM-missing") && "\(error)".contains("plugged in")
            }
        }
    }
}
