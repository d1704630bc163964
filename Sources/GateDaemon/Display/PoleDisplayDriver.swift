import GateCore

/// Shows a lane's guest screens on a 2×20 pole display: the whole screen on every state change,
/// then, while a row is longer than 20 cells, that row one cell further every `scroll`.
///
/// Bytes go to `write` (the serial port in the daemon, a PTY in tests); the clock is injected so
/// tests step the scrolling exactly.
struct PoleDisplayDriver<C: Clock>: Sendable where C.Duration == Duration {
    let texts: GuestTexts
    let codepage: PoleCodepage
    let scroll: Duration
    let clock: C
    let write: @Sendable ([UInt8]) async -> Void

    /// Initialises the display, shows `initial`, then every state of `states` until it ends; then
    /// "out of order" (the daemon is stopping: the display must not keep inviting guests).
    func run(initial: GuestState, states: AsyncStream<GuestState>) async {
        await write(PoleDisplayCommands.start(codepage: codepage))
        var screen = GuestScreen(texts: texts)
        var scroller = start(PoleDisplayLayout(screen.show(initial), codepage: codepage))
        for await state in states {
            scroller.cancel()
            await scroller.value
            scroller = start(PoleDisplayLayout(screen.show(state), codepage: codepage))
        }
        scroller.cancel()
        await scroller.value
        await write(PoleDisplayLayout(screen.show(.denied(.outOfOrder)), codepage: codepage).firstFrame)
    }

    private func start(_ layout: PoleDisplayLayout) -> Task<Void, Never> {
        let (write, clock, scroll) = (self.write, self.clock, self.scroll)
        return Task {
            await write(layout.firstFrame)
            guard layout.scrolls else { return }
            var step = 0
            while true {
                do { try await clock.sleep(for: scroll) } catch { return }
                step += 1
                await write(layout.scrollFrame(step: step))
            }
        }
    }
}
