/// The simulator cannot start as configured (bad voucher file, port in use, certificate).
public struct SimulatorSetupError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
