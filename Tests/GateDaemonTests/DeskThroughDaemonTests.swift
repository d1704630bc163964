import EgumaSimulator
import Foundation
import GateCore
import GateStore
import Testing
import TestSupport

/// The counter's commands while the daemon runs (issue 25): a desk redemption runs inside the
/// daemon (`desk_redeem` over the control socket: the daemon hands out admission ids), and a void
/// written by the command is sent by the daemon's own outbox worker, woken over the socket.
@Suite("desk and void through the running daemon", .serialized, .deviceAccess, .enabled(if: UmockdevEnvironment.shouldRun))
struct DeskThroughDaemonTests {
    typealias Rig = OperationsCommandsTests.Rig

    @Test func aDeskRedemptionRunsInTheDaemonAndItsVoidIsSentByTheDaemonsOutbox() async throws {
        try await Rig.with { rig in
            let code = DemoVouchers.plenty
            let desk = try await rig.cli("voucher", "redeem", code, "--amount", "20.00", "--outlet", "demo")
            #expect(desk.status == 0, "\(desk)")
            #expect(await rig.simulator.balance(of: code) == 8_000)
            let db = try await rig.database()
            let record = try #require(try await db.admissionRecords(from: .distantPast, to: .distantFuture, lane: "desk").first)
            #expect(record.outcome == "entered" && record.redemptions.first?.state == .redeemed, "\(record)")
            let redeemed = try #require(try await db.latestEvents(.init(types: [.redeemed]), limit: 1).first?.event)
            #expect(redeemed.source == .desk)
            #expect(redeemed.message == "at the desk by \(OperationsCommandsTests.userName)", "the socket's peer user: \(redeemed)")
            let gate = try #require(rig.gate)
            try await gate.child.stderrLines.waitFor("the daemon logs the desk's redeem, code masked") {
                $0.contains("lane desk: redeemed #\(record.id)") && !$0.contains(code)
            }

            let void = try await rig.cli("admission", "void", "\(record.id)", "--reason", "paid twice")
            #expect(void.status == 0, "\(void)")
            #expect(void.stdout.contains("confirmed by e-guma"), "\(void)")
            #expect(await rig.simulator.balance(of: code) == 10_000)
            #expect(try await db.redemption(id: try #require(record.redemptions.first?.id))?.state == .cancelled)
            // The daemon's worker sent it (it logs the cancel event it wrote as any other).
            let cancelled = try #require(try await db.latestEvents(.init(types: [.cancelled]), limit: 1).first?.event)
            #expect(cancelled.message == "from outbox", "\(cancelled)")
        }
    }
}
