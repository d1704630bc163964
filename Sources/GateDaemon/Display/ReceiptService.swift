import Dispatch
import Foundation
import GateCore
import GateHardware
import Logging

/// Receipts (`receipt = "always" | "ask"`, `printer = { … }`), off the admission path: follows
/// each lane's guest screens, and once an admission has **entered** (accepted → walk through →
/// idle; never for a cancelled one) prints its receipt ("always") or offers it on the kiosk page
/// ("ask", `KioskHub.offerReceipt`). A printer that fails — paper out, offline, missing — is a
/// `printer_failed` operator event and a metric; the guest has long been let in.
final class ReceiptService: Sendable {
    struct Lane: Sendable {
        var name: String
        var mode: LaneGuestInputConfig.ReceiptMode
        var printer: LaneGuestInputConfig.Printer
        var language: DisplayLanguage
        var currency: @Sendable () -> String
    }

    let venue: String
    let lanes: [String: Lane]
    private let hub: KioskHub?
    private let record: @Sendable (GateEvent) async -> Void
    private let metrics: GateMetrics
    private let logger: Logger
    private let queue = DispatchQueue(label: "eguma-gate.receipts")

    init(venue: String, lanes: [Lane], hub: KioskHub?, metrics: GateMetrics, logger: Logger,
         record: @escaping @Sendable (GateEvent) async -> Void) {
        self.venue = venue; self.hub = hub; self.metrics = metrics; self.logger = logger; self.record = record
        self.lanes = Dictionary(lanes.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Follows `states` until it ends; receipts asked for on the kiosk come in through the hub.
    func run(states: AsyncStream<LaneFeedback.LaneState>) async {
        await withTaskGroup(of: Void.self) { group in
            if let hub {
                group.addTask { [self] in
                    for await (lane, receipt) in hub.receiptsRequested { await print(receipt, lane: lane) }
                }
            }
            var pending: [String: [VoucherPaid]] = [:]
            var walked: Set<String> = []
            for await change in states {
                guard let lane = lanes[change.lane] else { continue }
                switch change.state {
                case .accepted(_, let vouchers) where !vouchers.isEmpty:
                    pending[lane.name] = vouchers
                    walked.remove(lane.name)
                    hub?.withdrawReceipt(lane: lane.name)
                case .accepted, .walkThrough:
                    if pending[lane.name] != nil { walked.insert(lane.name) }
                case .idle:
                    guard let vouchers = pending.removeValue(forKey: lane.name), walked.remove(lane.name) != nil else { continue }
                    let receipt = layout(lane, vouchers)
                    if lane.mode == .ask, let hub {
                        hub.offerReceipt(lane: lane.name, receipt)
                    } else {
                        group.addTask { [self] in await print(receipt, lane: lane.name) }
                    }
                default:
                    pending[lane.name] = nil; walked.remove(lane.name)
                    hub?.withdrawReceipt(lane: lane.name)
                }
            }
            group.cancelAll()
        }
    }

    func layout(_ lane: Lane, _ vouchers: [VoucherPaid]) -> ReceiptLayout {
        let formatter = DateFormatter()
        formatter.dateFormat = "dd.MM.yyyy HH:mm"
        return ReceiptLayout(venue: venue, date: formatter.string(from: Date()), lane: lane.name, vouchers: vouchers,
                             currency: lane.currency(), language: lane.language)
    }

    /// Prints on the receipt queue (one receipt at a time); a failure is recorded, never thrown.
    func print(_ receipt: ReceiptLayout, lane name: String) async {
        guard let lane = lanes[name] else { return }
        let printer = lane.printer
        let result: Result<Void, ReceiptPrinterDevice.Failure> = await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: Result { () throws(ReceiptPrinterDevice.Failure) in
                    try ReceiptPrinterDevice.print(receipt.bytes, path: printer.path, baud: printer.kind == .serial ? printer.baud : nil)
                })
            }
        }
        guard case .failure(let failure) = result else { return }
        let reason = if case .paperOut = failure { "paper_out" } else { "offline" }
        metrics.printerFailed(lane: name, reason: reason)
        logger.error("lane \(name): receipt not printed: \(failure.description) (the guest was admitted)")
        await record(GateEvent(.printerFailed, lane: name, message: "receipt not printed: \(failure.description)"))
    }
}
