import Foundation
import Testing

/// What a user gets from the commands on evidence that is not whole, built from the real
/// `raw/incremental` dumps laid out as Podman exports them: a pre-checkpoint exported on its own
/// (`pre-checkpoint/` only), a final checkpoint whose `checkpoint/parent -> ../pre-checkpoint` leads
/// nowhere, and a Podman archive cut inside its last pages file.
@Suite("Partial evidence, commands")
struct PartialEvidenceCommandTests {
    /// Builds the archives once per test in a temporary directory.
    struct Layouts {
        let dir: URL
        var pre: String { dir.appendingPathComponent("pre.tar").path }
        var preZstd: String { dir.appendingPathComponent("pre.tar.zst").path }
        var final: String { dir.appendingPathComponent("final.tar").path }
        var cut: String { dir.appendingPathComponent("cut.tar.gz").path }

        init() throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("partial-cli-\(UUID().uuidString)")
            let fm = FileManager.default
            try fm.createDirectory(at: dir.appendingPathComponent("a"), withIntermediateDirectories: true)
            try fm.createDirectory(at: dir.appendingPathComponent("b"), withIntermediateDirectories: true)
            // Podman `--pre-checkpoint --export`: the pre-dump's images under pre-checkpoint/.
            try fm.copyItem(atPath: CLI.fixture("raw/incremental/pre1"), toPath: dir.appendingPathComponent("a/pre-checkpoint").path)
            // The final export without its pre-checkpoint: checkpoint/parent -> ../pre-checkpoint dangles.
            try fm.copyItem(atPath: CLI.fixture("raw/incremental/dump"), toPath: dir.appendingPathComponent("b/checkpoint").path)
            let link = dir.appendingPathComponent("b/checkpoint/parent").path
            try fm.removeItem(atPath: link)
            try fm.createSymbolicLink(atPath: link, withDestinationPath: "../pre-checkpoint")
            try Self.sh("tar -C '\(dir.path)/a' -cf '\(dir.path)/pre.tar' pre-checkpoint && zstd -q '\(dir.path)/pre.tar' -o '\(dir.path)/pre.tar.zst'")
            try Self.sh("tar -C '\(dir.path)/b' -cf '\(dir.path)/final.tar' checkpoint")
            // ck-basic cut 30,000 bytes into checkpoint/pages-4.img (its data starts at byte 381440).
            try Self.sh("head -c \(381440 + 30000) '\(CLI.fixture("podman/ck-basic.none.tar"))' | gzip -c > '\(dir.path)/cut.tar.gz'")
        }

        func cleanup() { try? FileManager.default.removeItem(at: dir) }

        static func sh(_ script: String) throws {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", script]
            try p.run()
            p.waitUntilExit()
            #expect(p.terminationStatus == 0, "\(script)")
        }
    }

    @Test func aPreCheckpointExportedOnItsOwnIsACheckpoint() throws {
        let l = try Layouts()
        defer { l.cleanup() }
        for archive in [l.pre, l.preZstd] {
            let show = try CLI.run(["show", archive])
            #expect(show.status == 0, "\(show.stderr)")
            #expect(show.stdout.contains("(pre-checkpoint)"))
            let inspect = try CLI.run(["inspect", archive])
            #expect(inspect.status == 0)
            // notes/incremental.txt: pid 29076; pre1/pages-1.img is 147456 bytes = 36 pages.
            #expect(inspect.stdout.contains("Pre-checkpoint: the memory of 1 process"))
            #expect(inspect.stdout.contains("pid 29076: 36 pages (144 KiB) dumped here"))
            #expect(inspect.stdout.contains("Pairs with the final checkpoint"))
            #expect(inspect.stdout.contains("CRIU: 4.2"))  // from pre-dump.log, exact
            let maps = try CLI.run(["maps", archive, "--summary"])
            #expect(maps.status == 0)
            #expect(maps.stdout.contains("29076") && maps.stdout.contains("144 KiB"))
            // The marker the program put at its fixed address (marker.c), read from the pre-dump's pages.
            let search = try CLI.run(["search", archive, "FIXED-ADDR-MARKER:CKPT-MARKER-INCR"])
            #expect(search.status == 0, "\(search.stderr)")
            #expect(search.stdout.contains("pid 29076 0x10000000 [pre-dump 10000000-10004000]"))
            let read = try CLI.run(["mem", "read", archive, "--pid", "29076", "--address", "0x10000000", "--length", "17", "--raw"])
            #expect(read.status == 0)
            #expect(read.stdout == "FIXED-ADDR-MARKER")
            let outside = try CLI.run(["mem", "read", archive, "--pid", "29076", "--address", "0x20000000", "--length", "16"])
            #expect(outside.stdout.contains("not-in-pre-dump"), "\(outside.stdout)")
            let verify = try CLI.run(["verify", archive])
            #expect(verify.status == 0, "\(verify.stdout)")
            let report = l.dir.appendingPathComponent("r-\(UUID().uuidString).html").path
            #expect(try CLI.run(["report", archive, "-o", report]).status == 0)
        }
        let list = try CLI.run(["list", l.dir.path, "--depth", "1"])
        #expect(list.stdout.contains("pre.tar ") && list.stdout.contains("pre.tar.zst"), "\(list.stdout)")
        #expect(list.stdout.contains("(pre-checkpoint)"))
        // diff PRE FINAL: what changed in memory between the pre-dump and the final dump. The final's
        // missing parent is the pre-checkpoint itself; notes/incremental.txt: 8 new pages at
        // 0x20000000, the pre-existing data pages unchanged.
        let diff = try CLI.run(["diff", l.pre, l.final])
        #expect(diff.status == 1)
        #expect(diff.stdout.contains("pid 29076 marker: 0 pages changed (0 bytes differ), 8 added, 0 removed of 36 compared"), "\(diff.stdout)")
        #expect(diff.stdout.contains("+ 0x20000000-0x20008000  8 pages"))
        #expect(diff.stdout.contains("A is a pre-checkpoint"))
        #expect(diff.stderr.contains("is used as its parent"))
    }

    @Test func aFinalCheckpointWithoutItsParentDegrades() throws {
        let l = try Layouts()
        defer { l.cleanup() }
        let warning = "36 pages of pid 29076 are in a parent pre-checkpoint that is not available (checkpoint/parent -> ../pre-checkpoint leads nowhere in the archive)"
        let ps = try CLI.run(["ps", l.final])
        #expect(ps.status == 0)
        #expect(ps.stdout.contains("marker  - (in the parent pre-checkpoint, not given)"), "\(ps.stdout)")
        // One warning per command, naming the link and the option that supplies the parent.
        #expect(ps.stderr.components(separatedBy: warning).count == 2, "\(ps.stderr)")
        #expect(ps.stderr.contains("give the pre-checkpoint with --previous ARCHIVE"))
        let maps = try CLI.run(["maps", l.final, "--summary"])
        #expect(maps.status == 0)
        #expect(maps.stdout.contains("PARENT MISSING") && maps.stdout.contains("144 KiB"), "\(maps.stdout)")
        // The final's own pages are searched and read; the parent's are named holes.
        let search = try CLI.run(["search", l.final, "NEW-REGION-AFTER-PREDUMP"])
        #expect(search.status == 0, "\(search.stderr)")
        #expect(search.stdout.contains("pid 29076 0x20000000"))
        let read = try CLI.run(["mem", "read", l.final, "--pid", "29076", "--address", "0x20000000", "--length", "24", "--raw"])
        #expect(read.stdout == "NEW-REGION-AFTER-PREDUMP")
        let hole = try CLI.run(["mem", "read", l.final, "--pid", "29076", "--address", "0x10000000", "--length", "32"])
        #expect(hole.stdout.contains("missing-parent: 32 bytes not in the checkpoint"), "\(hole.stdout)")
        let inspect = try CLI.run(["inspect", "--all", l.final])
        #expect(inspect.stdout.contains("Missing parent: " + warning))
        #expect(inspect.stdout.contains("Command line: (in the parent pre-checkpoint, not given)"))
        let json = try JSON.parse(try CLI.run(["inspect", "--format", "json", l.final]).stdout)
        let checkpoint = try #require(json["checkpoint"])
        guard case .array(let missingParents)? = checkpoint["missing_parents"], let missing = missingParents.first,
              case .array(let processes)? = json["processes"], let process = processes.first else {
            Issue.record("no missing_parents or processes in \(checkpoint)")
            return
        }
        #expect(missingParents.count == 1)
        #expect(missing["link"] == .string("../pre-checkpoint"))
        #expect(missing["pages"] == .integer(36))
        #expect(process["cmdline_missing"] == .string("missing-parent"))
        // With the pre-checkpoint given, everything is read.
        let whole = try CLI.run(["ps", l.final, "--previous", l.pre])
        #expect(whole.stdout.contains("/tmp/fixtures/src/marker CKPT-MARKER-INCR /tmp/fxrun/incr.pid"), "\(whole.stdout)")
        #expect(!whole.stderr.contains("not available"))
        // diff names its own options.
        let diff = try CLI.run(["diff", l.final, l.final])
        #expect(diff.stdout.contains("--previous-a") && diff.stdout.contains("--previous-b"), "\(diff.stdout)")
    }

    @Test func aDamagedArchiveYieldsWhatIsReadable() throws {
        let l = try Layouts()
        defer { l.cleanup() }
        let size = try #require(FileManager.default.attributesOfItem(atPath: l.cut)[.size] as? Int)
        let located = "member checkpoint/pages-4.img: Truncated tar archive: the file ends at byte \(size) (decompressed tar stream: byte \(381440 + 30000)"
        let ps = try CLI.run(["ps", l.cut])
        #expect(ps.status == 0, "\(ps.stderr)")
        #expect(ps.stderr.contains(located), "\(ps.stderr)")
        // pstree.img is after the cut: the four processes come from their core-, mm- and ids- images.
        for line in ["  1     -", "  7     -", "  8     -", "  9     -"] { #expect(ps.stdout.contains(line), "\(ps.stdout)") }
        #expect(ps.stdout.contains("/bin/marker CKPT-MARKER-PODMAN /tmp/m.pid"))
        let show = try CLI.run(["show", l.cut])
        #expect(show.status == 0 && show.stdout.contains("ck-basic"))
        let verify = try CLI.run(["verify", l.cut])
        #expect(verify.status == 1, "\(verify.stdout)")  // findings, not "unreadable" (2)
        #expect(verify.stdout.contains("archive.damaged"))
        #expect(verify.stdout.contains("pstree.img is not in the readable part of the archive"))
        // A read that needs the damaged member fails naming it; one that does not, works.
        let damaged = try CLI.run(["mem", "dump", l.cut, "--pid", "9", "-o", l.dir.appendingPathComponent("dump").path])
        let fine = try CLI.run(["mem", "read", l.cut, "--pid", "7", "--address", "0x10000000", "--length", "32", "--raw"])
        #expect(fine.status == 0, "\(fine.stderr)")
        #expect(fine.stdout == "FIXED-ADDR-MARKER:CKPT-MARKER-PO")  // marker.c, in pages-2.img before the cut
        // sleep's pages are all in pages-4.img (65536 bytes in the tar listing), which the cut left unreadable.
        #expect(damaged.status == 1, "\(damaged.stdout)")
        #expect(damaged.stderr.contains("pid 9: 65536 bytes in 8 ranges (first at 0x401000) could not be read: the archive is damaged"), "\(damaged.stderr)")
        #expect(damaged.stderr.contains(located))
        let maps = try CLI.run(["maps", l.cut, "--pid", "9", "--summary"])
        #expect(maps.stdout.contains("DAMAGED") && maps.stdout.contains("64.0 KiB"), "\(maps.stdout)")
    }

    @Test func showFromStdinCountsItsBytes() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: CLI.fixture("podman/ck-basic.zstd.tar.zst")))
        let show = try CLI.run(["show", "--bytes", "-"], stdin: data)
        #expect(show.stdout.contains(" \(data.count) "), "\(show.stdout)")
    }
}
