import Foundation
import GateCore
import Testing
import TestSupport

/// `eguma-gate --version` is where `scripts/package` reads the Debian package's version from, so
/// it must print exactly `GateVersion.current` and that must be a valid Debian version.
@Suite("eguma-gate --version")
struct VersionTests {
    @Test func printsTheVersionTheSourceDefines() async throws {
        let result = try await GateBinary.run(["--version"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == GateVersion.current, "\(result)")
    }

    /// Debian Policy 5.6.12: an upstream version starts with a digit and holds only letters,
    /// digits and `. + ~` (no hyphen: the package is built without a Debian revision).
    @Test func isADebianVersion() {
        let version = GateVersion.current
        #expect(version.first?.isNumber == true, "\(version)")
        #expect(version.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || ".+~".contains($0)) }, "\(version)")
    }
}
