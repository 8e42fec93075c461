import Foundation
import Testing

@Suite struct ReportCommandTests {
    static let checkpoints = [
        "podman/ck-basic.none.tar", "podman/ck-basic.gzip.tar.gz", "podman/ck-basic.zstd.tar.zst", "podman/ck-vol.none.tar",
        "raw/marker-static", "raw/proc-tree", "raw/fds-sockets", "raw/diff-pair/gen1", "raw/diff-pair/gen2",
        "raw/incremental/dump", "raw/incremental/pre1", "raw/incremental/pre2",
        "containerd/nfx-ck.checkpoint-image.oci.tar",
    ]

    @Test(arguments: checkpoints)
    func inspectJSONValidatesAgainstTheSchema(_ fixture: String) throws {
        let schema = try JSONSchema(file: CLI.projectRoot.appendingPathComponent("Schemas/inspect.schema.json").path)
        let result = try CLI.run(["inspect", "--all", "--format", "json", CLI.fixture(fixture)])
        #expect(result.status == 0, "\(result.stderr)")
        let value = try JSON.parse(result.stdout)
        #expect(schema.validate(value) == [], "\(fixture)")
        // The schema rejects what it should.
        guard case .object(var broken) = value else { Issue.record("not an object"); return }
        broken["schema"] = .string("other")
        broken.removeValue(forKey: "processes")
        #expect(schema.validate(.object(broken)).count == 2)
    }

    @Test(arguments: checkpoints)
    func showSucceeds(_ fixture: String) throws {
        let result = try CLI.run(["show", CLI.fixture(fixture)])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("PATH"))
        #expect(!result.stdout.contains("\u{1B}"), "no escape codes when piped")
    }

    @Test func showManyArchivesOneRowEach() throws {
        let result = try CLI.run(["show", "--format", "json"] + Self.checkpoints.prefix(4).map(CLI.fixture))
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(document["schema"] as? String == "ckpt-inspect/show/v2")
        let rows = try #require(document["checkpoints"] as? [[String: Any]])
        #expect(rows.count == 4)
        #expect(rows.map { $0["container"] as? String } == ["ck-basic", "ck-basic", "ck-basic", "ck-vol"])
        #expect(rows.map { $0["source"] as? String } == ["tar", "tar.gzip", "tar.zstd", "tar"])
        #expect(rows.map { $0["processes"] as? Int } == [4, 4, 4, 1])
    }

    @Test func stdinArchive() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: CLI.fixture("podman/ck-basic.zstd.tar.zst")))
        let result = try CLI.run(["inspect", "--format", "json", "-"], stdin: data)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("\"source\": \"stdin:zstd\""))
        #expect(result.stdout.contains("\"name\": \"ck-basic\""))
    }

    @Test func inspectTextTree() throws {
        let result = try CLI.run(["inspect", "--files", CLI.fixture("raw/proc-tree")])
        #expect(result.stdout.contains("Process tree (5 processes, 7 threads)"))
        #expect(result.stdout.contains("        └── [28767]  sleep"))
        let pruned = try CLI.run(["inspect", "--pid", "28764", CLI.fixture("raw/proc-tree")])
        #expect(pruned.stdout.contains("Process tree (2 processes, 2 threads)"))
        let missing = try CLI.run(["inspect", "--pid", "1", CLI.fixture("raw/proc-tree")])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("--pid 1: no such process in "))
    }

    @Test func psShowsCommandLines() throws {
        let result = try CLI.run(["ps", CLI.fixture("raw/proc-tree")])
        #expect(result.stdout.contains("/tmp/fixtures/src/marker CKPT-MARKER-CHILD1"))
        #expect(result.stdout.contains("/usr/bin/sleep 100000"))
    }

    @Test func searchFindsMarkersAndExitsOneWhenNothing() throws {
        let hit = try CLI.run(["search", CLI.fixture("raw/marker-static"), "CKPT-MARKER-1234"])
        #expect(hit.status == 0)
        #expect(hit.stdout.split(separator: "\n").count == 4)
        #expect(hit.stdout.contains("pid 28716 0x10000012 [anon 10000000-10004000]"))
        let json = try CLI.run(["search", "--format", "json", "--context", "8", CLI.fixture("raw/marker-static"), "FIXED-ADDR"])
        #expect(json.stdout.contains("\"address\": \"0x10000000\""))
        // 8 bytes before the hit are unmapped (no bytes), then the 10-byte hit and 8 bytes after it.
        #expect(json.stdout.contains("\"context_hex\": \"46495845442d414444522d4d41524b45523a\""))
        let hex = try CLI.run(["search", "--hex", CLI.fixture("raw/marker-static"), "46 49 58 45 44"])
        #expect(hex.stdout.contains("0x10000000"))
        let regex = try CLI.run(["search", "--regex", CLI.fixture("raw/marker-static"), "CKPT-MARKER-[0-9]{4}"])
        #expect(regex.stdout.split(separator: "\n").count == 4)
        let none = try CLI.run(["search", CLI.fixture("raw/marker-static"), "NOT-THERE-AT-ALL"])
        #expect(none.status == 1)
        #expect(none.stdout.isEmpty)
    }

    @Test func memReadHexdump() throws {
        let result = try CLI.run(["mem", "read", CLI.fixture("raw/marker-static"), "--pid", "28716", "--address", "0x10000000", "--length", "64"])
        #expect(result.stdout.hasPrefix("0000000010000000  46 49 58 45 44 2d 41 44  44 52 2d 4d 41 52 4b 45  |FIXED-ADDR-MARKE|"))
        let hole = try CLI.run(["mem", "read", CLI.fixture("raw/marker-static"), "--pid", "28716", "--address", "47a000", "--length", "16"])
        #expect(hole.stdout.contains("<file-backed: 16 bytes not in the checkpoint>"))
    }

    @Test func memDumpWritesSafely() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dump-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try CLI.run(["mem", "dump", CLI.fixture("raw/marker-static"), "--pid", "28716", "--vma", "10000000", "-o", dir.path])
        #expect(first.status == 0, "\(first.stderr)")
        let file = dir.appendingPathComponent("28716-10000000-10004000.bin")
        let data = try Data(contentsOf: file)
        #expect(data.count == 16384)
        #expect(data.prefix(18) == Data("FIXED-ADDR-MARKER:".utf8))
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        // Refuses to overwrite without --force.
        let again = try CLI.run(["mem", "dump", CLI.fixture("raw/marker-static"), "--pid", "28716", "--vma", "10000000", "-o", dir.path])
        #expect(again.status == 2)
        #expect(again.stderr.contains("exists"))
        // Never writes through a symlink planted with the output's name.
        try FileManager.default.removeItem(at: file)
        let victim = dir.appendingPathComponent("victim")
        try Data("keep".utf8).write(to: victim)
        try FileManager.default.createSymbolicLink(at: file, withDestinationURL: victim)
        let link = try CLI.run(["mem", "dump", CLI.fixture("raw/marker-static"), "--pid", "28716", "--vma", "10000000", "-o", dir.path, "--force"])
        #expect(link.status == 2)
        #expect(try Data(contentsOf: victim) == Data("keep".utf8))
    }

    /// A whole-process dump gives the same files from a plain tar (copied file to file) and from
    /// its zstd twin (one streaming pass for all regions), and the holes list agrees with `maps`.
    @Test func memDumpOfEveryRegionIsTheSameFromPlainAndCompressed() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("dump-all-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        var listings: [[String: Data]] = []
        for archive in ["podman/ck-basic.none.tar", "podman/ck-basic.zstd.tar.zst"] {
            let dir = root.appendingPathComponent(URL(fileURLWithPath: archive).lastPathComponent)
            let result = try CLI.run(["mem", "dump", CLI.fixture(archive), "--pid", "7", "-o", dir.path])
            #expect(result.status == 0, "\(result.stderr)")
            var files: [String: Data] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) {
                files[name] = try Data(contentsOf: dir.appendingPathComponent(name))
            }
            listings.append(files)
        }
        #expect(listings[0].count > 10)
        #expect(listings[0] == listings[1])
        // marker.c's fixed region holds the marker at its start.
        let fixed = try #require(listings[0].first { $0.key.hasPrefix("7-10000000-") }?.value)
        #expect(fixed.prefix(18) == Data("FIXED-ADDR-MARKER:".utf8))
    }

    @Test func mapsFiltersAndSummary() throws {
        let heap = try CLI.run(["maps", "--kind", "heap", CLI.fixture("raw/marker-static")])
        #expect(heap.stdout.contains("173ad000-173cf000"))
        #expect(!heap.stdout.contains("400000-401000 "))
        let summary = try CLI.run(["maps", "--summary", "--bytes", CLI.fixture("raw/marker-static")])
        #expect(summary.stdout.contains("147456 B"))
        let json = try CLI.run(["maps", "--format", "json", CLI.fixture("raw/incremental/dump")])
        #expect(json.stdout.contains("\"parent_pages\": "))
    }
}
