import Foundation
import SystemPackage
import GateCore
import GateHardware
#if canImport(Glibc)
import Glibc
#endif

/// `demo --pty`: a serial scanner another terminal can write to (`echo CODE > /dev/pts/N`).
///
/// Bytes written to a PTY's slave come out of its *master*, so one pair cannot both be written
/// by `echo` and read by a serial reader on its slave. Two pairs: other terminals write to the
/// slave of `entry` (its path is what the demo prints); a thread copies what comes out of
/// `entry`'s master into `scanner`'s master; the real serial reader (termios, exclusive open)
/// reads `scanner`'s slave, exactly as it would read a USB scanner.
final class PTYScanner: CodeSource, Sendable {
    let scanner: PseudoTerminal
    let entry: PseudoTerminal
    /// Where another terminal writes codes.
    var path: String { entry.slavePath }

    private init(scanner: PseudoTerminal, entry: PseudoTerminal) { self.scanner = scanner; self.entry = entry }

    static func open() throws -> PTYScanner {
        let scanner: PseudoTerminal, entry: PseudoTerminal
        do { (scanner, entry) = (try PseudoTerminal(), try PseudoTerminal()) } catch {
            throw CLIError.runtime("demo --pty: cannot create a pseudo-terminal: \(error)")
        }
        // The demo keeps the entry's slave open (so the master never sees a hang-up when an
        // `echo` closes it) and raw (so "\n" arrives as written, not as "\r\n").
        let held = Glibc.open(entry.slavePath, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard held >= 0 else {
            throw CLIError.runtime("demo --pty: cannot open \(entry.slavePath): \(String(cString: strerror(errno)))")
        }
        var mode = termios()
        tcgetattr(held, &mode)
        cfmakeraw(&mode)
        guard tcsetattr(held, TCSANOW, &mode) == 0 else {
            let reason = String(cString: strerror(errno))
            close(held)
            throw CLIError.runtime("demo --pty: cannot make \(entry.slavePath) raw: \(reason)")
        }
        let pty = PTYScanner(scanner: scanner, entry: entry)
        Thread { pty.copyEntryToScanner() }.start()
        return pty
    }

    /// Runs for the life of the demo: every byte written to the entry goes on to the scanner.
    private func copyEntryToScanner() {
        var buffer = [UInt8](repeating: 0, count: 512)
        let master = FileDescriptor(rawValue: entry.master)
        while true {
            let n = (try? buffer.withUnsafeMutableBytes { try master.read(into: $0) }) ?? 0  // EINTR retried
            guard n > 0 else { return }
            do { try scanner.send(Array(buffer[0..<n])) } catch { return }
        }
    }

    /// The real serial reader on the scanner's slave until cancelled; a slave that cannot be
    /// opened is the scanner gone for good (the lane reports it missing).
    func run(into sink: ScannerSink) async {
        let path = scanner.slavePath
        let config = LaneScannerConfig(kind: .serial, path: path, terminator: .lf)
        do {
            let reader = try ScannerReader.open(path, config: config, opened: { sink.yield(.attached(device: path)) }) { event in
                sink.yield(event)
            }
            await reader.readUntilCancelled()
        } catch {
            sink.yield(.detached(device: path, reason: error.description))
        }
    }
}
