import EgumaAPI
import Foundation
import GateCore
import GateDaemon
import GateStore

/// Prints what a money command did, or fails with its exit code (0 printed, 1, 3).
func finish(_ outcome: OperatorOutcome) throws {
    let text = outcome.lines.joined(separator: "\n")
    switch outcome.exitCode {
    case 0: print(text)
    case 3: throw CLIError.unreachable(text)
    default: throw CLIError.runtime(text)
    }
}

/// The desk's journalled redemption (`voucher redeem --outlet`): inside the running daemon, or
/// here when none runs (`DeskRedemption` says why).
enum DeskCommand {
    static func redeem(code: String, cents: Int64, outlet: String, options: ConfigOption) async throws -> OperatorOutcome {
        let config = try options.load()
        guard let settings = config.outlets[outlet] else {
            throw CLIError.usage("--outlet \(outlet): no such outlet — configured: \(config.outlets.keys.sorted().joined(separator: ", "))")
        }
        if ControlClient.isAlive(path: config.gate.controlSocket) {
            // Balance, Redeem and maybe a Balance check: each within the client's request timeout.
            let client = ControlClient(path: config.gate.controlSocket, timeout: .seconds(90))
            let response: ControlResponse
            do {
                response = try client.send(ControlRequest(command: "desk_redeem", code: code, amountCents: cents, outlet: outlet))
            } catch {
                throw CLIError.runtime("\(error.description) — the daemon may still have redeemed: see eguma-gate admission list --lane desk before trying again")
            }
            guard response.ok, let outcome = response.outcome else {
                throw CLIError.runtime(response.error ?? "the daemon sent no outcome — see eguma-gate admission list --lane desk")
            }
            return outcome
        }
        let key: APIKey
        do { key = try settings.loadKey(configFile: config.file) } catch { throw CLIError.usage(error.description) }
        let database = try await options.journal(config).database
        let client: EgumaClient
        do { client = try EgumaClient(configuration: config.api) } catch { throw CLIError.usage("\(error)") }
        let desk = DeskRedemption(database: database, service: EgumaVoucherService(client: client, key: key),
                                  gateName: config.gate.name, outlet: outlet)
        let user = PeerCredentials.userName(uid: getuid())
        do {
            let outcome = try await desk.run(code: code, amount: Money(cents: cents), user: user)
            try? await client.shutdown()
            return outcome
        } catch {
            try? await client.shutdown()
            throw CLIError.runtime("desk redemption failed before the Redeem: \(error) — nothing was redeemed")
        }
    }
}
