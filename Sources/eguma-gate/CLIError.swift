import ArgumentParser
import EgumaAPI

/// A failure a command reports to the user, with the exit code of SPEC §6.
enum CLIError: Error, CustomStringConvertible {
    /// Exit 1.
    case runtime(String)
    /// Exit 2.
    case usage(String)
    /// Exit 3.
    case unreachable(String)

    var description: String {
        switch self {
        case .runtime(let m), .usage(let m), .unreachable(let m): m
        }
    }

    var exitCode: ExitCode {
        switch self {
        case .runtime: ExitCode(1)
        case .usage: ExitCode(2)
        case .unreachable: ExitCode(3)
        }
    }

    /// Maps an e-guma failure to its exit code: unreachable (3) or refused/other (1).
    init(_ error: EgumaError) {
        self = error.isUnreachable ? .unreachable(error.description) : .runtime(error.description)
    }
}
