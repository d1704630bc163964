import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// A throw-away CA and a server certificate for `localhost` / `127.0.0.1` / `::1`, made at start.
///
/// The CA goes to a PEM file the client trusts through `EgumaClientConfiguration.caFile`; the
/// client's verification stays fully on (chain and host name), exactly as against e-guma.
public struct SimulatorCertificates: Sendable {
    /// Path of the CA certificate (PEM) to give the client.
    public let caFile: String
    let serverChain: [NIOSSLCertificate]
    let serverKey: NIOSSLPrivateKey
    /// The server certificate and its key as PEM, for another server on loopback (the fleet
    /// tests' PostgreSQL).
    public let serverCertificatePEM: String
    public let serverKeyPEM: String

    /// Generates both certificates and writes the CA to `directory/eguma-simulator-ca.pem`.
    public static func generate(directory: String) throws -> SimulatorCertificates {
        let now = Date()
        let caKey = P256.Signing.PrivateKey()
        let caName = try DistinguishedName {
            OrganizationName("eguma-gate")
            CommonName("eguma-gate simulator CA")
        }
        let ca = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(caKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(30 * 86400),
            issuer: caName, subject: caName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(caKey))

        let serverKey = P256.Signing.PrivateKey()
        let serverName = try DistinguishedName { CommonName("localhost") }
        let server = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(serverKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(30 * 86400),
            issuer: caName, subject: serverName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([
                    .dnsName("localhost"),
                    .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
                    .ipAddress(ASN1OctetString(contentBytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
                ])
            },
            issuerPrivateKey: .init(caKey))

        let caPEM = try ca.serializeAsPEM().pemString
        let serverPEM = try server.serializeAsPEM().pemString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let caFile = (directory as NSString).appendingPathComponent("eguma-simulator-ca.pem")
        do {
            try Data(caPEM.utf8).write(to: URL(fileURLWithPath: caFile), options: .atomic)
        } catch {
            throw SimulatorSetupError("cannot write the simulator CA to \(caFile): \(error.localizedDescription)")
        }
        return SimulatorCertificates(
            caFile: caFile,
            serverChain: [try NIOSSLCertificate(bytes: Array(serverPEM.utf8), format: .pem)],
            serverKey: try NIOSSLPrivateKey(bytes: Array(serverKey.pemRepresentation.utf8), format: .pem),
            serverCertificatePEM: serverPEM, serverKeyPEM: serverKey.pemRepresentation)
    }

    var serverTLSConfiguration: TLSConfiguration {
        TLSConfiguration.makeServerConfiguration(
            certificateChain: serverChain.map { .certificate($0) }, privateKey: .privateKey(serverKey))
    }
}
