import Foundation
import GateDaemon
import Testing

struct ConfigEditorTests {
    static let text = """
        # the gate
        [gate]
        name = "spa-north"   # shown in e-guma
        metrics = "127.0.0.1:9464"

        [lanes.main]
        price = "25.00"
        """

    @Test func changingAKeyKeepsCommentsAndEveryOtherLine() throws {
        let edited = try ConfigEditor.set(key: "gate.name", value: "spa-south", in: Self.text, file: "t.toml")
        #expect(edited == Self.text.replacingOccurrences(of: #"name = "spa-north"   # shown in e-guma"#,
                                                          with: #"name = "spa-south"  # shown in e-guma"#))
    }

    @Test func anAbsentKeyIsAddedInItsTable() throws {
        let edited = try ConfigEditor.set(key: "lanes.main.offline", value: "admit", in: Self.text, file: "t.toml")
        #expect(edited.hasSuffix("price = \"25.00\"\noffline = \"admit\""))
    }

    @Test func numbersBooleansAndTablesAreWrittenAsTOML() throws {
        let a = try ConfigEditor.set(key: "gate.retention_days", value: "30", in: Self.text, file: "t.toml")
        #expect(a.contains("retention_days = 30"))
        let b = try ConfigEditor.set(key: "lanes.main.scanner", value: #"{ kind = "stdin" }"#, in: Self.text, file: "t.toml")
        #expect(b.contains(#"scanner = { kind = "stdin" }"#))
    }

    @Test func aKeyPathMustHaveATable() {
        #expect(throws: ConfigError.self) { try ConfigEditor.set(key: "name", value: "x", in: Self.text, file: "t.toml") }
    }

    @Test func theAtomicWriteReplacesTheFileAndKeepsItsMode() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString.prefix(8)).toml").path
        try "old".write(toFile: path, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ConfigEditor.writeAtomically("new", to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new")
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o640)
    }
}
