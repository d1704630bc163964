import GateCore
import Logging
import ServiceLifecycle

// Receipt printing (`receipt`, `printer` per lane): one service for all lanes with a printer.
extension GateRuntime {
    /// The receipt service, or nil when no lane prints receipts.
    func receiptPart() -> ServiceGroupConfiguration.ServiceConfiguration? {
        let lanes = self.lanes.compactMap { lane -> ReceiptService.Lane? in
            let input = lane.config.guestInput
            guard input.receipt != .off, let printer = input.printer, lane.config.mode == .gate else { return nil }
            let texts = lane.guestTexts
            return ReceiptService.Lane(name: lane.config.name, mode: input.receipt, printer: printer,
                                       language: texts.language, currency: texts.currency)
        }
        guard !lanes.isEmpty else { return nil }
        let journal = ObservedJournal(database: database, file: config.gate.database, events: events, metrics: metrics,
                                      logger: logger, health: journalHealth)
        let logger = self.logger
        let service = ReceiptService(venue: config.gate.name, lanes: lanes, hub: kiosk, metrics: metrics,
                                     logger: Logger(label: "eguma-gate.receipts")) { event in
            do { try await journal.append(event) } catch {
                logger.warning("\(event.type.rawValue) on lane \(event.lane): the journal did not take the event: \(error)")
            }
        }
        return part("receipts") { [guestStates] in
            await service.run(states: guestStates.subscribe())
        }
    }
}
