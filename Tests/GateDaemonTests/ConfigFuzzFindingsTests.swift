import Foundation
import Testing
import TestSupport

/// Inputs the config fuzz target found, replayed through the real binary (`config check`).
struct ConfigFuzzFindingsTests {
    /// toml++ aborted the process (a failed assertion) on these instead of reporting an error.
    @Test(arguments: ["[été]\nx = 1\n", "a = 1\n[[ été ]]\n", "[\u{FFFD}\u{FFFD}me]\n", "[)gate]\n", "[[[x]]]\n", "[#x]\n", "[\napi]\n", "[\u{05A3}[c=\n"])
    func aTableNameStartingWithACharacterNoNameCanStartWithIsAnErrorNotAnAbort(_ text: String) async throws {
        let config = try GateTestConfig(baseURL: "http://127.0.0.1:9")
        defer { config.remove() }
        try config.write(text)
        let result = try await GateBinary.run(["config", "check", "--config", config.configPath])
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains("the table name starts with"), "\(result.stderr)")
        #expect(result.stderr.contains("eguma-gate.toml:"), "names the file and line: \(result.stderr)")
    }
}
