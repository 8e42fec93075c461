import Foundation
import Testing

/// The JSON of every reporting command validates against its schema in Schemas/, on every fixture.
@Suite struct AllSchemasTests {
    static func schema(_ name: String) throws -> JSONSchema {
        try JSONSchema(file: CLI.projectRoot.appendingPathComponent("Schemas/\(name).schema.json").path)
    }

    static let fixtures = ReportCommandTests.checkpoints

    @Test(arguments: fixtures)
    func everyCommandsJSONValidates(_ fixture: String) throws {
        let path = CLI.fixture(fixture)
        let cases: [(schema: String, arguments: [String])] = [
            ("show", ["show", "--format", "json", path]),
            ("ps", ["ps", "--format", "json", path]),
            ("files", ["files", "--format", "json", path]),
            ("files", ["sockets", "--format", "json", path]),
            ("mounts", ["mounts", "--format", "json", path]),
            ("maps", ["maps", "--format", "json", path]),
            ("search", ["search", "--format", "json", "--context", "4", path, "CKPT"]),
            ("verify", ["verify", "--format", "json", path]),
            ("logs", ["logs", "--format", "json", path]),
            ("diff", ["diff", "--format", "json", path, path]),
        ]
        for (name, arguments) in cases {
            let result = try CLI.run(arguments)
            // search exits 1 without hits; logs exits 2 when the archive carries no log (Podman exports none).
            let noLog = name == "logs" && result.status == 2 && result.stderr.contains("no dump.log")
            #expect(result.status == 0 || (name == "search" && result.status == 1) || noLog, "\(arguments) \(result.stderr)")
            guard !result.stdout.isEmpty else {
                // `logs` on a checkpoint without logs and `search` without hits may print nothing as JSON.
                #expect(name == "logs" || name == "search", "\(arguments) printed nothing")
                continue
            }
            let json = try JSON.parse(result.stdout)
            #expect(try Self.schema(name).validate(json) == [], "\(arguments)")
            #expect(!result.stdout.contains("\u{1B}"), "\(arguments): escape codes in piped output")
            #expect(!result.stderr.contains("\r"), "\(arguments): progress line in piped output")
        }
    }

    @Test func listJSONValidates() throws {
        let result = try CLI.run(["list", "--format", "json", CLI.fixture("podman")])
        #expect(try Self.schema("show").validate(try JSON.parse(result.stdout)) == [])
    }
}
