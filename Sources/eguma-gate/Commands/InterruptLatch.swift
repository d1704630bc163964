import Foundation
import Synchronization

/// Turns SIGINT/SIGTERM into cancellation of one task, for commands that must clean up
/// hardware (a relay driven inactive) before exiting.
///
/// The C handler is installed synchronously and only writes a byte to a pipe (the one thing a
/// signal handler may safely do); a plain thread reads it and cancels the task. A signal that
/// arrives before the task is attached is remembered, so none is lost.
final class InterruptLatch: Sendable {
    private let state = Mutex<(task: Task<Void, any Error>?, fired: Bool)>((nil, false))

    /// Write end of the self-pipe; global because a C signal handler cannot capture context.
    nonisolated(unsafe) private static var pipeWriteFD: Int32 = -1

    /// Installs the handlers for SIGINT and SIGTERM and returns the latch they fire.
    static func installForInterruptAndTerminate() -> InterruptLatch {
        let latch = InterruptLatch()
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return latch }  // without a pipe, Ctrl-C keeps its default
        pipeWriteFD = fds[1]
        let readFD = fds[0]
        let thread = Thread {
            var byte: UInt8 = 0
            while true {
                let count = read(readFD, &byte, 1)
                if count == 1 { latch.fire() } else if count < 0 && errno == EINTR { continue } else { return }
            }
        }
        thread.name = "signals"
        thread.start()
        for number in [SIGINT, SIGTERM] {
            signal(number) { _ in
                var byte: UInt8 = 1
                _ = write(InterruptLatch.pipeWriteFD, &byte, 1)
            }
        }
        return latch
    }

    func fire() {
        let task = state.withLock { s in
            s.fired = true
            return s.task
        }
        task?.cancel()
    }

    func attach(_ task: Task<Void, any Error>) {
        let fired = state.withLock { s in
            s.task = task
            return s.fired
        }
        if fired { task.cancel() }
    }
}
