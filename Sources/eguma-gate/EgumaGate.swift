import ArgumentParser
import GateCore

/// The one executable: every command of SPEC §6. Commands are thin: parse, call, print.
@main
struct EgumaGate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eguma-gate",
        abstract: "Entrance turnstile controller for e-guma vouchers.",
        discussion: """
            Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error, 3 e-guma unreachable.
            """,
        version: GateVersion.current,
        subcommands: [
            RunCommand.self,
            DemoCommand.self,
            SetupCommand.self,
            BalanceCommand.self,
            VoucherCommand.self,
            SimulateCommand.self,
            ScannersCommand.self,
            GPIOCommand.self,
            ConfigCommand.self,
            StatusCommand.self,
            OpenCommand.self,
            UnlockCommand.self,
            SimCommand.self,
            EventsCommand.self,
            OutboxCommand.self,
            AdmissionCommand.self,
            ReconcileCommand.self,
            ReportCommand.self,
            FleetCommand.self,
        ])
}
