import EgumaAPI
import Foundation
import GateCore
import GateHardware
import GateStore
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

// Reload (SIGHUP from `systemctl reload`, or the control socket's `reload` request): prices, texts and
// timings change without a restart.
extension GateRuntime {
    func reloadOn(_ signals: UnixSignalsSequence) async {
        await withGracefulShutdownHandler {
            for await _ in signals.cancelOnGracefulShutdown() {
                _ = await reload()
            }
        } onGracefulShutdown: {}
    }

    /// Re-reads the configuration: prices, products and policies apply at once, lanes keep
    /// running. Hardware and lane set changes need a restart (said in the log and the answer).
    public func reload() async -> ControlResponse {
        notifier.reloading()
        defer { notifier.ready(status: "reloaded") }
        let fresh: GateConfig
        do {
            fresh = try GateConfig.load(path: config.file)
        } catch {
            logger.error("reload refused, still running the previous configuration: \(error.description)")
            return .failure("configuration is not valid, nothing changed:\n\(error.description)")
        }
        var notes: [String] = []
        for lane in lanes {
            guard let updated = fresh.lane(lane.config.name) else {
                notes.append("lane \(lane.config.name) was removed: restart to apply")
                continue
            }
            await lane.engine?.update(settings: updated.settings)
            await lane.relay?.update(pulse: updated.settings.pulse)
            lane.screen.update(hold: updated.screenHold)
            lane.update(price: updated.settings.price)
            if updated.scanner != lane.config.scanner || updated.relay != lane.config.relay || updated.sensor != lane.config.sensor {
                notes.append("lane \(lane.config.name): scanner/relay/sensor changes apply after a restart")
            }
            if updated.guestInput != lane.config.guestInput {
                notes.append("lane \(lane.config.name): keypad/receipt/printer changes apply after a restart")
            }
        }
        for name in fresh.laneNames where lane(name) == nil { notes.append("new lane \(name): restart to start it") }
        let message = (["configuration reloaded"] + notes).joined(separator: "; ")
        logger.notice("\(message)")
        return ControlResponse(ok: true, message: message)
    }
}
