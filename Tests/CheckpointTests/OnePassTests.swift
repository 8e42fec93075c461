import CheckpointArchive
import Foundation
import Testing
import TestSupport
@testable import Checkpoint

/// One pass over a compressed archive per command: page reads ride on the pass that opens it.
@Suite("One pass")
struct OnePassTests {
    static func strings(_ path: String, previous: String? = nil) throws -> (strings: [ProcessStrings], passes: Int) {
        let counter = PassCounter()
        let reader = ProcessStringsReader()
        let c = try Checkpoint.open(path, options: .init(previous: previous, source: .init(progress: counter.reporter)), streaming: reader)
        return (reader.strings(in: c), counter.passes)
    }

    /// The plain tar recompressed as `.tar.zst` or `.tar.gz` (the fixtures' compressed archives are
    /// checkpoints of their own), in a temporary directory.
    static func recompressed(_ kind: String) throws -> (path: String, cleanup: () -> Void) {
        let dir = try Fixture.temporaryDirectory()
        let out = dir.appendingPathComponent("ck.tar." + kind).path
        let tool = kind == "zst" ? "zstd -q -c" : "gzip -c"
        try Fixture.run("/bin/sh", ["-c", "\(tool) '\(Fixture.path("podman/ck-basic.none.tar"))' > '\(out)'"])
        return (out, { try? FileManager.default.removeItem(at: dir) })
    }

    @Test(arguments: ["zst", "gz"])
    func commandLinesRideOnTheOpeningPass(_ kind: String) throws {
        let (fixture, cleanup) = try Self.recompressed(kind)
        defer { cleanup() }
        let expected = try Checkpoint.open(Fixture.path("podman/ck-basic.none.tar")).processStrings()
        let (strings, passes) = try Self.strings(fixture)
        #expect(passes == 1)
        #expect(strings == expected)
        // notes: the marker's argv.
        #expect(strings.first { $0.pid == 7 }?.commandLine == ["/bin/marker", "CKPT-MARKER-PODMAN", "/tmp/m.pid"])
        // Without the reader, a batch read afterwards costs a second pass.
        let counter = PassCounter()
        let c = try Checkpoint.open(fixture, options: .init(source: .init(progress: counter.reporter)))
        #expect(try c.processStrings() == expected)
        #expect(counter.passes == 2)
    }

    /// Podman's export with its pre-checkpoint (`--with-previous`): checkpoint/ then pre-checkpoint/
    /// in one zstd tar; the command line is in pages of both sets.
    /// Podman's export with its pre-checkpoints (`--with-previous`) from `raw/incremental`: checkpoint/
    /// (the final dump), pre-checkpoint/ (pre2) and pre-checkpoint-0/ (pre1), linked by `parent`, as a
    /// plain tar and its zstd, sorted by name as the engines write them.
    static func incrementalExport() throws -> (tar: String, cleanup: () -> Void) {
        let dir = try Fixture.temporaryDirectory()
        let fm = FileManager.default
        try fm.copyItem(atPath: Fixture.path("raw/incremental/dump"), toPath: dir.appendingPathComponent("checkpoint").path)
        try fm.copyItem(atPath: Fixture.path("raw/incremental/pre2"), toPath: dir.appendingPathComponent("pre-checkpoint").path)
        try fm.copyItem(atPath: Fixture.path("raw/incremental/pre1"), toPath: dir.appendingPathComponent("pre-checkpoint-0").path)
        for (link, target) in [("checkpoint/parent", "../pre-checkpoint"), ("pre-checkpoint/parent", "../pre-checkpoint-0")] {
            try fm.removeItem(atPath: dir.appendingPathComponent(link).path)
            try fm.createSymbolicLink(atPath: dir.appendingPathComponent(link).path, withDestinationPath: target)
        }
        let tar = dir.appendingPathComponent("ck.tar").path
        try Fixture.run("/usr/bin/tar", ["--sort=name", "-cf", tar, "-C", dir.path, "checkpoint", "pre-checkpoint", "pre-checkpoint-0"])
        try Fixture.run("/usr/bin/zstd", ["-q", tar, "-o", tar + ".zst"])
        return (tar, { try? FileManager.default.removeItem(at: dir) })
    }

    @Test func parentsInTheSameArchiveRideToo() throws {
        let (tar, cleanup) = try Self.incrementalExport()
        defer { cleanup() }
        let (strings, passes) = try Self.strings(tar + ".zst")
        #expect(passes == 1)
        #expect(strings == (try Checkpoint.open(tar).processStrings()))
        #expect(strings.first?.commandLine == ["/tmp/fixtures/src/marker", "CKPT-MARKER-INCR", "/tmp/fxrun/incr.pid"])
        #expect(strings.first?.environment == ["CKPT_ENV_MARKER=CKPT-ENV-INCR", "PATH=/usr/bin:/bin"])
    }

    /// An archive whose metadata follows its pages cannot be served during the pass: the answer is
    /// the same, with a second pass.
    @Test func metadataAfterThePagesStillGivesTheAnswer() throws {
        let dir = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Fixture.run("/usr/bin/tar", ["-xf", Fixture.path("podman/ck-basic.none.tar"), "-C", dir.path])
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("checkpoint").path).sorted()
        let pages = names.filter { $0.hasPrefix("pages-") }.map { "checkpoint/" + $0 }
        let rest = names.filter { !$0.hasPrefix("pages-") }.map { "checkpoint/" + $0 }
        let tar = dir.appendingPathComponent("reordered.tar").path
        try Fixture.run("/usr/bin/tar", ["-cf", tar, "-C", dir.path, "--no-recursion", "checkpoint"] + pages + rest + ["config.dump", "spec.dump"])
        try Fixture.run("/usr/bin/zstd", ["-q", tar, "-o", tar + ".zst"])
        let (strings, passes) = try Self.strings(tar + ".zst")
        #expect(passes == 2)
        #expect(strings == (try Checkpoint.open(Fixture.path("podman/ck-basic.none.tar")).processStrings()))
    }

    @Test func plainTarsAndDirectoriesReadByPosition() throws {
        for fixture in ["podman/ck-basic.none.tar", "raw/proc-tree"] {
            let expected = try Checkpoint.open(Fixture.path(fixture)).processStrings()
            let (strings, _) = try Self.strings(Fixture.path(fixture))
            #expect(strings == expected, "\(fixture)")
        }
    }

    /// A search rides on the opening pass and finds exactly what a search over the plain tar finds,
    /// across page and piece edges, with a limit, in pages of the parent sets.
    @Test(arguments: ["zst", "gz"])
    func searchRidesOnTheOpeningPass(_ kind: String) throws {
        let (fixture, cleanup) = try Self.recompressed(kind)
        defer { cleanup() }
        let plain = try Checkpoint.open(Fixture.path("podman/ck-basic.none.tar"))
        let patterns: [(SearchPattern, Int)] = [
            (.bytes(Array("CKPT-MARKER".utf8)), 100_000), (.regex("CKPT-[A-Z]+"), 100_000),
            (.bytes(Array("httpd".utf8)), 100_000), (.bytes(Array("CKPT-MARKER".utf8)), 3),
        ]
        for (pattern, limit) in patterns {
            let search = MemorySearch(pattern: pattern, maxHits: limit)
            let expected = try search.run(in: plain)
            let counter = PassCounter()
            let streaming = MemorySearch.Streaming(search)
            let c = try Checkpoint.open(fixture, options: .init(source: .init(progress: counter.reporter)), streaming: streaming)
            let found = try streaming.result(in: c)
            #expect(counter.passes == 1, "\(pattern)")
            if limit < 100_000 {
                #expect(found.hits.count == limit)
                #expect(Set(found.hits).isSubset(of: Set(try MemorySearch(pattern: pattern).run(in: plain))))
            } else {
                #expect(found.hits == expected, "\(pattern)")
                #expect(!expected.isEmpty)
            }
        }
    }

    @Test func searchRidesThroughParentSetsInTheSameArchive() throws {
        let (tar, cleanup) = try Self.incrementalExport()
        defer { cleanup() }
        for pattern in ["CKPT-MARKER-INCR", "NEW-REGION-AFTER-PREDUMP", "FIXED-ADDR-MARKER:CKPT"] {
            let search = MemorySearch(pattern: .bytes(Array(pattern.utf8)))
            let expected = try search.run(in: try Checkpoint.open(tar))
            let counter = PassCounter()
            let streaming = MemorySearch.Streaming(search)
            let c = try Checkpoint.open(tar + ".zst", options: .init(source: .init(progress: counter.reporter)), streaming: streaming)
            #expect(try streaming.result(in: c).hits == expected, "\(pattern)")
            #expect(counter.passes == 1)
            #expect(!expected.isEmpty)
        }
    }
}
