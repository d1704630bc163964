import GateCore

/// Shows a lane's guest screens on a 2×20 pole display: the whole screen on every state change,
/// then, while a row is longer than 20 cells, that row one cell further every `scroll`. After an
/// admission the screen and each voucher's page (`PoleDisplayLayout.pages`) take turns every
/// `page`.
///
/// Bytes go to `write` (the serial port in the daemon, a PTY in tests); the clock is injected so
/// tests step the scrolling exactly.
struct PoleDisplayDriver<C: Clock>: Sendable where C.Duration == Duration {
    let texts: GuestTexts
    let codepage: PoleCodepage
    let scroll: Duration
    let clock: C
    var page: Duration = .seconds(2)
    let write: @Sendable ([UInt8]) async -> Void

    /// Initialises the display, shows `initial`, then every state of `states` until it ends; then
    /// "out of order" (the daemon is stopping: the display must not keep inviting guests).
    func run(initial: GuestState, states: AsyncStream<GuestState>) async {
        await write(PoleDisplayCommands.start(codepage: codepage))
        var screen = GuestScreen(texts: texts)
        _ = screen.show(initial)
        var scroller = start(PoleDisplayLayout.pages(screen, codepage: codepage))
        for await state in states {
            scroller.cancel()
            await scroller.value
            _ = screen.show(state)
            scroller = start(PoleDisplayLayout.pages(screen, codepage: codepage))
        }
        scroller.cancel()
        await scroller.value
        await write(PoleDisplayLayout(screen.show(.denied(.outOfOrder)), codepage: codepage).firstFrame)
    }

    private func start(_ pages: [PoleDisplayLayout]) -> Task<Void, Never> {
        guard pages.count > 1 else { return start(pages[0]) }
        let (write, clock, page) = (self.write, self.clock, self.page)
        return Task {
            var index = 0
            while true {
                await write(pages[index].firstFrame)
                do { try await clock.sleep(for: page) } catch { return }
                index = (index + 1) % pages.count
            }
        }
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
