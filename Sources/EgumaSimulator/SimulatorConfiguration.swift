import Foundation
import Logging

/// How to start a `SimulatorServer`.
public struct SimulatorConfiguration: Sendable {
    /// Address to bind; port 0 picks a free one (tests).
    public var host: String
    public var port: Int
    /// Serve HTTPS with a certificate generated at start; the CA lands in `tlsDirectory`.
    public var tls: Bool
    /// Where the generated CA is written; default a fresh directory under the temporary directory.
    public var tlsDirectory: String?
    public var outlets: [SimulatedOutlet]
    public var vouchers: SimulatedVoucherFile
    /// Wall clock for ShortCode expiry and ledger timestamps.
    public var now: @Sendable () -> Date
    public var logger: Logger

    public init(host: String = "127.0.0.1", port: Int = 0, tls: Bool = false, tlsDirectory: String? = nil,
                outlets: [SimulatedOutlet] = [.demo], vouchers: SimulatedVoucherFile = .demo,
                now: @escaping @Sendable () -> Date = { Date() },
                logger: Logger = Logger(label: "eguma-simulator")) {
        self.host = host; self.port = port; self.tls = tls; self.tlsDirectory = tlsDirectory
        self.outlets = outlets; self.vouchers = vouchers; self.now = now; self.logger = logger
    }
}
