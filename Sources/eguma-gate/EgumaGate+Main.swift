import ArgumentParser
import Foundation
import GateDaemon

extension EgumaGate {
    /// Runs the command and maps failures to SPEC §6 exit codes: ArgumentParser's own usage
    /// errors (64 by default) become 2, `CLIError` carries its code, anything else is 1.
    static func main() async {
        // A write to a pipe or socket whose reader went away (a reader's wake pipe, a closed
        // control client, a kiosk page) must be an EPIPE error for that one write, never the
        // end of the daemon (rc 141).
        signal(SIGPIPE, SIG_IGN)
        // The hidden child of TOMLSyntaxGuard: parse stdin, answer by exit status (or by dying).
        if CommandLine.arguments.dropFirst().first == "toml-syntax-check" {
            Foundation.exit(TOMLSyntaxGuard.childMain())
        }
        // Every config this process reads is first parsed by such a child.
        TOMLSyntaxGuard.executable = "/proc/self/exe"
        let command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            let code = exitCode(for: error)
            if code == .success { exit(withError: error) }  // --help, --version: printed by ArgumentParser
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                var syncCommand = command
                try syncCommand.run()
            }
        } catch let error as CLIError {
            FileHandle.standardError.write(Data("eguma-gate: \(error)\n".utf8))
            Foundation.exit(error.exitCode.rawValue)
        } catch let error as ExitCode {
            Foundation.exit(error.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success { exit(withError: error) }
            let message = fullMessage(for: error)
            FileHandle.standardError.write(Data("eguma-gate: \(message)\n".utf8))
            Foundation.exit(code == .validationFailure ? 2 : 1)
        }
    }
}
