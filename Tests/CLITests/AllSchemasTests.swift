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
            ("diff", ["diff", "--format", "json", "--show-unchanged", path, CLI.fixture("raw/marker-static")]),
        ]
        for (name, arguments) in cases {
            let result = try CLI.run(arguments)
            // search exits 1 without hits; logs exits 2 when the archive carries no log (Podman exports none).
            let noLog = name == "logs" && result.status == 2 && result.stderr.contains("no dump.log")
            // diff exits 1 when the checkpoints differ.
            #expect(result.status == 0 || (["search", "diff"].contains(name) && result.status == 1) || noLog, "\(arguments) \(result.stderr)")
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
        let json = try JSON.parse(result.stdout)
        #expect(try Self.schema("show").validate(json) == [])
        #expect(json["schema"] == .string("ckpt-inspect/list/v2"))
    }

    /// `info` on an image of every fixture, and on a raw image.
    @Test(arguments: fixtures)
    func infoJSONValidates(_ fixture: String) throws {
        let schema = try Self.schema("info")
        var images: [String] = []
        let path = CLI.fixture(fixture)
        if let names = try? FileManager.default.contentsOfDirectory(atPath: path) {
            images = names.filter { $0.hasPrefix("inventory") || $0.hasPrefix("pages-") || $0.hasPrefix("core-") }.map { path + "/" + $0 }
        }
        for image in images {
            let result = try CLI.run(["info", "--format", "json", image])
            #expect(result.status == 0, "\(image): \(result.stderr)")
            #expect(schema.validate(try JSON.parse(result.stdout)) == [], "\(image)")
        }
    }

    /// Every schema says which version it is, and every command's JSON names it: v2 since issue 18.
    @Test func schemaVersions() throws {
        for (name, version) in [("show", "v2"), ("inspect", "v2"), ("ps", "v2"), ("files", "v2"), ("mounts", "v2"), ("maps", "v2"),
                                ("search", "v2"), ("verify", "v2"), ("logs", "v2"), ("diff", "v2"), ("info", "v1"), ("host", "v1")] {
            let schema = try JSON.parse(String(contentsOfFile: CLI.projectRoot.appendingPathComponent("Schemas/\(name).schema.json").path, encoding: .utf8))
            #expect(schema["$id"] == .string("ckpt-inspect/\(name)/\(version)"), "\(name)")
        }
    }
}
