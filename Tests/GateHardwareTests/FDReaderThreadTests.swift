import Foundation
import GateHardware
import Glibc
import Synchronization
import SystemPackage
import Testing
import TestSupport

/// The one "read an fd on its own thread" primitive, on real pipes: stopping while blocked in
/// poll, after the reader ended by itself (the SIGPIPE bug class), twice, and data before EOF.
@Suite struct FDReaderThreadTests {
    /// What the thread saw, for the test to await.
    final class Seen: Sendable {
        let bytes = Recorder<UInt8>()
        let endings = Recorder<String>()
        let cleanups = Mutex(0)
    }

    /// A reader that reads bytes until EOF, recording everything.
    private func start(_ pipe: KernelPipe, _ seen: Seen) throws -> FDReaderThread {
        let fd = FileDescriptor(rawValue: pipe.readEnd)
        return try FDReaderThread(
            fd: fd, name: "test pipe", initial: 0,
            body: { count, readiness in
                guard readiness == .readable || readiness == .hangUp else { return .keepReading }
                var buffer = [UInt8](repeating: 0, count: 64)
                switch buffer.withUnsafeMutableBytes({ fd.readAvailable(into: $0) }) {
                case .success(nil): return .keepReading
                case .success(0?):
                    seen.endings.append("eof after \(count)")
                    return .finish
                case .success(let n?):
                    count += n
                    for byte in buffer[0..<n] { seen.bytes.append(byte) }
                    return .keepReading
                case .failure(let error):
                    seen.endings.append("error \(error)")
                    return .finish
                }
            },
            cleanup: { _ in seen.cleanups.withLock { $0 += 1 } })
    }

    @Test func stopWhileBlockedInPollReturnsPromptlyAndRunsTheCleanupOnce() async throws {
        let pipe = try KernelPipe()
        let seen = Seen()
        let reader = try start(pipe, seen)
        #expect(!reader.hasEnded)
        try await withDeadline(.seconds(5), "stop of a reader blocked in poll") { await reader.stop() }
        #expect(reader.hasEnded)
        #expect(seen.cleanups.withLock { $0 } == 1)
        #expect(seen.endings.values.isEmpty, "a stopped reader reports no ending of its own")
    }

    @Test func stopAfterTheReaderEndedByItselfRaisesNoSIGPIPEAndReturns() async throws {
        // SIGPIPE at its default action here would kill the whole test process: the honest check.
        let pipe = try KernelPipe()
        let seen = Seen()
        let reader = try start(pipe, seen)
        pipe.closeWriter()  // EOF: the loop ends on its own
        try await withDeadline(.seconds(5), "the reader to end at EOF") { await reader.finished() }
        #expect(seen.endings.values == ["eof after 0"])
        try await withDeadline(.seconds(5), "stop after EOF") { await reader.stop() }
        #expect(seen.cleanups.withLock { $0 } == 1)
    }

    @Test func stoppingTwiceAndFromSyncCodeIsHarmless() async throws {
        let pipe = try KernelPipe()
        let seen = Seen()
        let reader = try start(pipe, seen)
        try await withDeadline(.seconds(5), "first stop") { await reader.stop() }
        try await withDeadline(.seconds(5), "second stop") { await reader.stop() }
        reader.stopAndWait()
        #expect(seen.cleanups.withLock { $0 } == 1)
    }

    @Test func dataThenEOFDeliversEveryByteBeforeTheEnd() async throws {
        let pipe = try KernelPipe()
        let seen = Seen()
        let reader = try start(pipe, seen)
        let payload = Array("K7QM2XPA9HTD\r".utf8)
        try pipe.send(payload)
        pipe.closeWriter()
        try await withDeadline(.seconds(5), "the reader to end at EOF") { await reader.finished() }
        #expect(seen.bytes.values == payload)
        #expect(seen.endings.values == ["eof after \(payload.count)"])
        await reader.stop()
    }

    @Test func theIdleTimeoutWakesTheBodyWithoutData() async throws {
        let pipe = try KernelPipe()
        let idles = Recorder<Int>()
        let reader = try FDReaderThread(
            fd: FileDescriptor(rawValue: pipe.readEnd), name: "idle pipe", initial: 0,
            timeout: { _ in 10 },
            body: { count, readiness in
                guard readiness == .idle else { return .keepReading }
                count += 1
                idles.append(count)
                return count == 3 ? .finish : .keepReading
            })
        try await withDeadline(.seconds(5), "three idle wake-ups") { await reader.finished() }
        #expect(idles.values == [1, 2, 3])
        await reader.stop()
    }
}
