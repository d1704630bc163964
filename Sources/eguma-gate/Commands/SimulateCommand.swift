import ArgumentParser
import Dispatch
import EgumaAPI
import EgumaSimulator
import Foundation
import UnixSignals

/// `eguma-gate simulate [--listen ADDR] [--tls] [--vouchers FILE] [--outlet NAME=KEYFILE …]`:
/// the e-guma simulator as a server, until SIGINT or SIGTERM.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate", abstract: "Run the e-guma simulator as a server.",
        discussion: """
            Prints the base URL, the outlets and their API keys (simulator keys, not secrets), and \
            the vouchers. With --tls it serves HTTPS with a certificate made at start and prints the \
            CA file to pass as --ca-file. Faults are injected over /_sim/faults (docs/simulator.md).
            """)

    @Option(name: .long, help: "Address to listen on: HOST:PORT, [V6]:PORT or PORT.")
    var listen = "127.0.0.1:8099"

    @Flag(name: .long, help: "Serve HTTPS with a generated certificate; prints the CA file.")
    var tls = false

    @Option(name: .long, help: "Directory for the generated CA certificate (with --tls).")
    var tlsDir: String?

    @Option(name: .long, help: "JSON voucher file (docs/simulator.md). Default: the built-in demo set.")
    var vouchers: String?

    @Option(name: .customLong("outlet"), help: "An outlet and the file holding its key: NAME=KEYFILE. Repeatable.")
    var outlets: [String] = []

    func run() async throws {
        let (host, port) = try Self.parseListen(listen)
        let voucherFile: SimulatedVoucherFile
        if let path = vouchers {
            do { voucherFile = try SimulatedVoucherFile.load(path: path) } catch let e as SimulatorSetupError {
                throw CLIError.usage("--vouchers: \(e.description)")
            }
        } else {
            voucherFile = .demo
        }
        let outletList = try outlets.isEmpty ? [SimulatedOutlet.demo] : outlets.map(Self.parseOutlet)

        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        let server: SimulatorServer
        do {
            server = try await SimulatorServer.start(.init(
                host: host, port: port, tls: tls, tlsDirectory: tlsDir, outlets: outletList, vouchers: voucherFile))
        } catch let e as SimulatorSetupError {
            throw CLIError.runtime("simulate: \(e.description) — is another process using the port? try --listen 127.0.0.1:0")
        }
        await printSummary(server)

        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in signals { break }
                await server.stop()  // also ends the other task
            }
            group.addTask { _ = try? await server.waitUntilStopped() }
            await group.next()
            group.cancelAll()
        }
        await server.stop()
        print("simulator stopped")
    }

    private func printSummary(_ server: SimulatorServer) async {
        let outlets = await server.account.outletList()
        let vouchers = await server.account.voucherList()
        let shortCodes = await server.account.activeShortCodes()
        var out = "e-guma simulator listening on \(server.baseURL)\n"
        if let ca = server.caFile { out += "CA certificate (pass as --ca-file): \(ca)\n" }
        out += "\nOutlets and their API keys (simulator keys):\n"
        // The user id is what `[outlets.NAME] user_id` needs for reconciliation.
        for o in outlets { out += "  \(o.name.padding(toLength: 12, withPad: " ", startingAt: 0)) \(o.key)  (e-guma user \(o.userID))\n" }
        out += "\nVouchers (\(server.account.currency)):\n"
        out += "  CODE            KIND          BALANCE      TOTAL  PRODUCT        NAME\n"
        for v in vouchers {
            out += "  " + Self.dashed(v.code).padding(toLength: 16, withPad: " ", startingAt: 0)
                + v.kind.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                + Self.right(Cents(v.balanceInCents).description, 11)
                + Self.right(Cents(v.totalAmountInCents ?? 0).description, 11) + "  "
                + (v.productId ?? "-").padding(toLength: 15, withPad: " ", startingAt: 0)
                + (v.name ?? "") + "\n"
        }
        out += "  \(Self.dashed(SimulatedVoucher.canonical(DemoVouchers.unknown)))  (unknown code: not found)\n"
        if !shortCodes.isEmpty {
            out += "\nShortCodes (valid 5 minutes; POST /_sim/short_codes for a fresh one):\n"
            for s in shortCodes { out += "  \(s.shortCode) → \(Self.dashed(s.code))\n" }
        }
        let key = outlets.first?.key ?? ""
        out += "\nTry: EGUMA_API_KEY=\(key) eguma-gate balance \(Self.dashed(SimulatedVoucher.canonical(DemoVouchers.plenty))) --base-url \(server.baseURL)"
        if let ca = server.caFile { out += " --ca-file \(ca)" }
        out += "\nFaults: PUT \(server.baseURL)/_sim/faults/{endpoint}  (docs/simulator.md)\nPress Ctrl-C to stop.\n"
        print(out, terminator: "")
        fflush(nil)  // a pipe (a test harness reading the URL) would otherwise hold it back
    }

    static func dashed(_ code: String) -> String {
        guard code.count == 12 else { return code }
        let c = Array(code)
        return String(c[0..<4]) + "-" + String(c[4..<8]) + "-" + String(c[8..<12])
    }

    static func right(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }

    static func parseListen(_ text: String) throws -> (String, Int) {
        var host = "127.0.0.1", portText = text
        if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            portText = String(text[text.index(after: colon)...])
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            if host.isEmpty { host = "127.0.0.1" }
        }
        guard let port = Int(portText), (0...65_535).contains(port) else {
            throw CLIError.usage("--listen \(text): expected HOST:PORT, e.g. 127.0.0.1:8099")
        }
        return (host, port)
    }

    static func parseOutlet(_ text: String) throws -> SimulatedOutlet {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
            throw CLIError.usage("--outlet \(text): expected NAME=KEYFILE")
        }
        let name = String(text[..<eq]), path = String(text[text.index(after: eq)...])
        let key: String
        do {
            key = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw CLIError.usage("--outlet \(name): cannot read key file \(path) (\(error.localizedDescription))")
        }
        guard !key.isEmpty else { throw CLIError.usage("--outlet \(name): key file \(path) is empty") }
        return SimulatedOutlet(name: name, key: key)
    }
}
