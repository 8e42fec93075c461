import CRIUImages
import Foundation
import Testing

@Suite struct VerifyCommandTests {
    @Test func cleanFixtureExitsZero() throws {
        let r = try CLI.run(["verify", CLI.fixture("raw/marker-static")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("0 errors"))
        #expect(r.stdout.contains("log.harmless"))
        #expect(r.stdout.contains("No errors"))
    }

    @Test func archiveJSON() throws {
        let r = try CLI.run(["verify", "--format", "json", CLI.fixture("podman/ck-basic.zstd.tar.zst")])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(json["schema"] as? String == "ckpt-inspect/verify/v2")
        #expect(json["clean"] as? Bool == true)
        let summary = try #require(json["summary"] as? [String: Any])
        #expect(summary["errors"] as? Int == 0)
        #expect((json["checks"] as? [String])?.contains("pagemap.pages.short") == true)
        #expect(json["host"] is NSNull)
    }

    @Test func damagedCopyExitsOne() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-verify-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let copy = dir.appendingPathComponent("marker-static")
        try FileManager.default.copyItem(atPath: CLI.fixture("raw/marker-static"), toPath: copy.path)
        let pages = copy.appendingPathComponent("pages-1.img")
        let data = try Data(contentsOf: pages)
        try data.dropLast(4096).write(to: pages)
        let text = try CLI.run(["verify", copy.path])
        #expect(text.status == 1)
        #expect(text.stdout.contains("Errors (1)") && text.stdout.contains("pagemap.pages.short  pagemap-28716.img entry"))
        let r = try CLI.run(["verify", "--format", "json", copy.path])
        #expect(r.status == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(json["clean"] as? Bool == false)
        let findings = try #require(json["findings"] as? [[String: Any]])
        let first = try #require(findings.first)
        #expect(first["id"] as? String == "pagemap.pages.short")
        #expect(first["severity"] as? String == "error")
        #expect(first["image"] as? String == "pagemap-28716.img")
        #expect(first["entry"] is Int && first["offset"] is Int)
    }

    @Test func unreadableExitsTwo() throws {
        let r = try CLI.run(["verify", CLI.fixture("README.md")])
        #expect(r.status == 2)
        #expect(r.stderr.contains("ckpt-inspect:"))
        let missing = try CLI.run(["verify", "/nonexistent/ck.tar"])
        #expect(missing.status == 2)
    }

    @Test func hostReportsFacts() throws {
        let r = try CLI.run(["verify", "--host", "--format", "json", CLI.fixture("raw/marker-static")])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let facts = try #require(json["facts"] as? [[String: Any]])
        #expect(facts.contains { $0["key"] as? String == "host architecture" && $0["host"] as? String == "x86_64" })
        let host = try #require(json["host"] as? [String: Any])
        let missing = host["missing_files"] as? [String] ?? []
        #expect(FileManager.default.fileExists(atPath: "/tmp/fixtures/src/marker") != missing.contains("/tmp/fixtures/src/marker"))
        #expect(r.status == (missing.isEmpty ? 0 : 1))
    }

    @Test func logsOfACheckpointAndOfAFile() throws {
        let r = try CLI.run(["logs", CLI.fixture("raw/proc-tree")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("dump.log: dump, SUCCESS"))
        #expect(r.stdout.contains("harmless:"))
        let failure = try CLI.run(["logs", CLI.fixture("logs/restore-failure.log")])
        #expect(failure.status == 0)
        #expect(failure.stdout.contains("restore, FAILURE"))
        #expect(failure.stdout.contains("A process id is already in use"))
        let json = try CLI.run(["logs", "--format", "json", CLI.fixture("notes/podman-ck-vol.none.tar.dump.log")])
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let log = try #require((doc["logs"] as? [[String: Any]])?.first)
        #expect(log["outcome"] as? String == "success")
        #expect((log["errors"] as? [[String: Any]])?.first?["harmless"] as? Bool == true)
        // Podman archives do not carry CRIU's logs.
        let none = try CLI.run(["logs", CLI.fixture("podman/ck-basic.none.tar")])
        #expect(none.status == 2)
    }
}
