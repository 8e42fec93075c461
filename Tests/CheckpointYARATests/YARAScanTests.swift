import Checkpoint
import CheckpointArchive
import CRIUImages
@testable import CheckpointYARA
import Foundation
import Synchronization
import Testing
import TestSupport

enum Fixture {
    static func path(_ relative: String) -> String { FixtureFiles.path(relative) }
    static func text(_ relative: String) throws -> String { try String(contentsOfFile: path(relative), encoding: .utf8) }
    static func temporaryDirectory() throws -> URL { try FixtureFiles.temporaryDirectory("ckpt-yara") }

    /// Compiles rules given as source text (written to a temporary file).
    static func rules(_ source: String) throws -> YARARules {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("rules.yar")
        try source.write(to: file, atomically: true, encoding: .utf8)
        return try YARARules(compiling: [.init(path: file.path)])
    }
}

/// One marker occurrence from the fixtures' notes.
struct MarkerHit: Hashable, CustomStringConvertible {
    var pid: UInt32
    var marker: String
    var wide: Bool
    var address: UInt64
    var description: String { "pid \(pid) \(marker)\(wide ? " (UTF-16LE)" : "") at 0x\(String(address, radix: 16))" }
}

@Suite struct YARAScanTests {
    /// notes/forensic.txt, "Marker hits": every marker with its pid, encoding and address.
    static func forensicHits(pidMap: [UInt32: UInt32] = [:]) throws -> [MarkerHit] {
        let notes = try Fixture.text("notes/forensic.txt")
        let section = notes.components(separatedBy: "### Marker hits")[1].components(separatedBy: "###")[0]
        let line = try Regex(#"pid (\d+) comm=\S+ marker=(\S+) enc=(\S+) addr=0x([0-9a-f]+)"#)
        return section.split(separator: "\n").compactMap { text -> MarkerHit? in
            guard let m = try? line.firstMatch(in: String(text)) else { return nil }
            let pid = UInt32(String(m.output[1].substring!))!
            return MarkerHit(pid: pidMap[pid] ?? pid, marker: String(m.output[2].substring!), wide: m.output[3].substring! == "utf16le",
                             address: UInt64(String(m.output[4].substring!), radix: 16)!)
        }
    }

    /// One rule per marker, named after it, with its string `$m` (`wide` for UTF-16LE markers).
    static func markerRules(_ hits: [MarkerHit]) -> String {
        var seen = Set<String>()
        var out = ""
        for hit in hits where seen.insert(hit.marker + (hit.wide ? "/w" : "")).inserted {
            let name = "m_" + hit.marker.map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined() + (hit.wide ? "_w" : "")
            out += "rule \(name) { strings: $m = \"\(hit.marker)\"\(hit.wide ? " wide" : "") condition: $m }\n"
        }
        return out
    }

    static func found(_ report: YARAReport) -> Set<MarkerHit> {
        var out = Set<MarkerHit>()
        for match in report.matches {
            guard case .process(let pid, _) = match.target else { continue }
            for s in match.strings {
                let wide = match.rule.hasSuffix("_w")
                let text = wide ? String(decoding: stride(from: 0, to: s.bytes.count, by: 2).map { s.bytes[$0] }, as: UTF8.self)
                    : String(decoding: s.bytes, as: UTF8.self)
                out.insert(MarkerHit(pid: pid, marker: text, wide: wide, address: s.address))
            }
        }
        return out
    }

    /// Every marker of the forensic fixture, exactly where the notes say, and nothing else: the
    /// page-spanning one (15 bytes each side of 0x26383000) and the UTF-16LE one included; with
    /// blocks of one page, or an odd 1000 bytes, so that every marker crosses a block seam.
    @Test(arguments: [1 << 20, 4096, 1000])
    func forensicMarkersAtTheirAddresses(blockSize: Int) throws {
        let expected = try Self.forensicHits()
        #expect(expected.count == 10)
        #expect(expected.contains(MarkerHit(pid: 7073, marker: "DEV-PAGESPAN-MARKER-0123456789", wide: false, address: 0x2638_2ff1)))
        #expect(expected.contains(MarkerHit(pid: 7073, marker: "DEV-UTF16-MARKER-Z8R", wide: true, address: 0x2638_17d0)))
        let rules = try Fixture.rules(Self.markerRules(expected))
        let c = try Checkpoint.open(Fixture.path("raw/forensic"))
        var scan = YARAScan()
        scan.blockSize = blockSize
        let report = try scan.run(rules, in: c)
        #expect(Self.found(report) == Set(expected))
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(report.targets.count == 7)
        // Regions as /proc/PID/maps showed them.
        let rwx = report.matches.first { $0.rule == "m_DEV_RWX_ELFCOPY_MARKER_7Q2" }?.strings.first?.region
        #expect(rwx == .init(start: 0x1337_0000, end: 0x1337_2000, kind: .anon, permissions: "rwxp", file: nil))
        let ctor = report.matches.first { $0.rule == "m_LIBFAKE_DEV_CTOR_MARKER_55" }?.strings.first?.region
        #expect(ctor?.file == "/tmp/newfx/libfake.so" && ctor?.start == 0x7fc4_6460_2000)
    }

    /// The same in the Podman archive (pids inside the container) and in a zstd copy of it, which
    /// is read in one pass.
    @Test func podmanArchiveAndItsZstdCopy() throws {
        let notes = try Fixture.text("notes/podman-nfx-ck.txt")
        #expect(notes.contains("1/12542 sh, 6/12553 inject, 7/12554 heapmark"))
        let section = notes.components(separatedBy: "Markers (host scan")[1]
        let line = try Regex(#"pid (\d+) comm=\S+ marker=(\S+) enc=(\S+) addr=0x([0-9a-f]+)"#)
        let expected = section.split(separator: "\n").compactMap { text -> MarkerHit? in
            guard let m = try? line.firstMatch(in: String(text)) else { return nil }
            let host = UInt32(String(m.output[1].substring!))!
            return MarkerHit(pid: [12553: 6, 12554: 7][host]!, marker: String(m.output[2].substring!),
                             wide: m.output[3].substring! == "utf16le", address: UInt64(String(m.output[4].substring!), radix: 16)!)
        }
        #expect(expected.count == 4)
        let rules = try Fixture.rules(Self.markerRules(expected))
        let dir = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let zstd = dir.appendingPathComponent("nfx-ck.tar.zst").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/zstd")
        p.arguments = ["-q", "-3", Fixture.path("podman/nfx-ck.none.tar"), "-o", zstd]
        try p.run()
        p.waitUntilExit()
        for path in [Fixture.path("podman/nfx-ck.none.tar"), zstd] {
            let c = try Checkpoint.open(path)
            #expect(c.source.isSeekable == (path != zstd))
            let report = try YARAScan().run(rules, in: c)
            #expect(Self.found(report) == Set(expected), "\(path)")
            #expect(report.problems.isEmpty)
        }
    }

    /// Counts the passes over an archive: the progress reporter restarts from 0 with each one.
    final class PassCounter: Sendable {
        let state = Mutex<(passes: Int, last: UInt64)>((0, 0))
        var passes: Int { state.withLock { $0.passes } }
        var reporter: @Sendable (UInt64, UInt64) -> Void {
            { done, _ in self.state.withLock { s in
                if done <= s.last || s.passes == 0 { s.passes += 1 }
                s.last = done
            } }
        }
    }

    /// Scanning while the checkpoint is opened: one pass over a compressed archive for the index
    /// and every page, the same matches as the scan by position of the plain tar.
    @Test(arguments: ["podman/ck-basic.zstd.tar.zst", "podman/ck-basic.gzip.tar.gz"])
    func streamingScanIsOnePass(_ fixture: String) throws {
        let source = "rule Podman { strings: $m = \"CKPT-MARKER-PODMAN\" $e = \"CKPT-ENV-PODMAN\" condition: any of them }"
        let plain = try YARAScan(maxMatches: 100).run(try Fixture.rules(source), in: try Checkpoint.open(Fixture.path("podman/ck-basic.none.tar")))
        #expect(plain.matches.count == 4)
        let counter = PassCounter()
        let streaming = YARAStreamingScan(YARAScan(maxMatches: 100), rules: try Fixture.rules(source))
        let c = try Checkpoint.open(Fixture.path(fixture), options: .init(source: .init(progress: counter.reporter)), streaming: streaming)
        let report = try streaming.report(in: c)
        #expect(counter.passes == 1)
        #expect(report.matches == plain.matches)
        #expect(report.targets == plain.targets)
        #expect(report.bytesScanned == plain.bytesScanned)
        #expect(report.problems.isEmpty)
        // A plain tar through the same consumer: scanned by position after the opening.
        let again = YARAStreamingScan(YARAScan(maxMatches: 100), rules: try Fixture.rules(source))
        let tar = try Checkpoint.open(Fixture.path("podman/ck-basic.none.tar"), streaming: again)
        #expect(try again.report(in: tar).matches == plain.matches)
    }

    /// notes/marker-hits.txt: for each fixture and pagemap, the first address of every run holding
    /// a marker, and how many times it occurs in the run.
    static func markerRuns(_ fixture: String) throws -> [(pid: UInt32, marker: String, address: UInt64, count: Int)] {
        let notes = try Fixture.text("notes/marker-hits.txt")
        let section = notes.components(separatedBy: "## \(fixture)\n")[1].components(separatedBy: "\n## ")[0]
        let line = try Regex(#"pagemap-(\d+)\.img\s+vaddr=0x([0-9a-f]+).*count=(\d+)\s+text='([A-Z0-9-]+)"#)
        return section.split(separator: "\n").compactMap { text in
            guard let m = try? line.firstMatch(in: String(text)) else { return nil }
            return (UInt32(String(m.output[1].substring!))!, String(m.output[4].substring!),
                    UInt64(String(m.output[2].substring!), radix: 16)!, Int(String(m.output[3].substring!))!)
        }
    }

    /// The older fixtures: every marker run of notes/marker-hits.txt found at its address, with its
    /// count, in plain and compressed archives and through a parent chain (the incremental dump's
    /// markers are all in PE_PARENT pages, two image sets up).
    @Test(arguments: [("podman/ck-basic.zstd.tar.zst", "podman/ck-basic.zstd.tar.zst/checkpoint"),
                      ("podman/ck-basic.gzip.tar.gz", "podman/ck-basic.gzip.tar.gz/checkpoint"),
                      ("podman/ck-vol.none.tar", "podman/ck-vol.none.tar/checkpoint"),
                      ("raw/incremental/dump", "raw/incremental/dump"),
                      ("raw/proc-tree", "raw/proc-tree"),
                      ("raw/marker-static", "raw/marker-static")])
    func olderFixturesMatchMarkerHits(fixture: String, section: String) throws {
        let runs = try Self.markerRuns(section)
        #expect(!runs.isEmpty)
        // A 40-character text is a window of a longer fill, not a marker: those runs are left out.
        let markers = Set(runs.map(\.marker).filter { $0.count < 40 })
        var source = ""
        for (i, marker) in markers.sorted().enumerated() { source += "rule r\(i) { strings: $m = \"\(marker)\" condition: $m }\n" }
        let rules = try Fixture.rules(source)
        let c = try Checkpoint.open(Fixture.path(fixture))
        let report = try YARAScan(maxMatches: 100_000).run(rules, in: c)
        #expect(report.problems.isEmpty)
        let found = Self.found(report)
        for marker in markers {
            for pid in Set(runs.filter { $0.marker == marker }.map(\.pid)) {
                let listed = runs.filter { $0.marker == marker && $0.pid == pid }
                let hits = found.filter { $0.marker == marker && $0.pid == pid }
                for run in listed {
                    #expect(hits.contains { $0.address == run.address }, "\(fixture): pid \(pid) \(marker) at 0x\(String(run.address, radix: 16))")
                }
                #expect(hits.count == listed.reduce(0) { $0 + $1.count }, "\(fixture): pid \(pid) \(marker)")
            }
        }
    }

    /// marker-static's images with the first page of the fixed region (0x10000000) moved into a
    /// parent image set (PE_PARENT in the pagemap, its bytes in parent/pages-1.img): the 16 bytes
    /// `AAAAAAAABBBBBBBB` at 0x10000ff8 then span two pages of one VMA kept in two image sets.
    static func splitIntoParent() throws -> URL {
        let dir = try Fixture.temporaryDirectory()
        let source = Fixture.path("raw/marker-static")
        for name in try FileManager.default.contentsOfDirectory(atPath: source) {
            try FileManager.default.copyItem(atPath: source + "/" + name, toPath: dir.appendingPathComponent(name).path)
        }
        let parent = dir.appendingPathComponent("parent")
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Fixture.path("raw/incremental/pre1/inventory.img"), toPath: parent.appendingPathComponent("inventory.img").path)
        let pagemapURL = dir.appendingPathComponent("pagemap-28716.img")
        let original = [UInt8](try Data(contentsOf: pagemapURL))
        let pagemap = try Pagemap.decode(original, fileName: "pagemap-28716.img")
        var entries: [Proto] = []
        var offset = 0, moved: Range<Int>?
        for e in pagemap.entries {
            let count = Int(e.effectivePageCount)
            let flags = UInt64(e.effectiveFlags.rawValue)
            if e.vaddr == 0x1000_0000 {
                moved = offset..<(offset + 4096)
                entries.append(Proto().varint(1, e.vaddr).varint(4, 1).varint(5, 1))  // PE_PARENT
                entries.append(Proto().varint(1, e.vaddr + 4096).varint(4, flags).varint(5, UInt64(count - 1)))
            } else {
                entries.append(Proto().varint(1, e.vaddr).varint(4, flags).varint(5, UInt64(count)))
            }
            if e.effectiveFlags.contains(.present) { offset += count * 4096 }
        }
        let page = try #require(moved)
        let magics = [UInt32(original[0]) | UInt32(original[1]) << 8 | UInt32(original[2]) << 16 | UInt32(original[3]) << 24,
                      UInt32(original[4]) | UInt32(original[5]) << 8 | UInt32(original[6]) << 16 | UInt32(original[7]) << 24]
        try Data(image(magics, [Proto().varint(1, UInt64(pagemap.pagesID))] + entries)).write(to: pagemapURL)
        let pagesURL = dir.appendingPathComponent("pages-\(pagemap.pagesID).img")
        var pages = [UInt8](try Data(contentsOf: pagesURL))
        let first = Array(pages[page])
        #expect(Array(first.prefix(17)) == Array("FIXED-ADDR-MARKER".utf8))
        pages.removeSubrange(page)
        try Data(pages).write(to: pagesURL)
        try Data(image(magics, [Proto().varint(1, 1), Proto().varint(1, 0x1000_0000).varint(4, 4).varint(5, 1)]))
            .write(to: parent.appendingPathComponent("pagemap-28716.img"))
        try Data(first).write(to: parent.appendingPathComponent("pages-1.img"))
        return dir
    }

    /// A string across the seam between pages from two image sets matches, read by position (in
    /// blocks of any size) or in one pass over a compressed archive.
    @Test func seamBetweenImageSets() throws {
        let dir = try Self.splitIntoParent()
        defer { try? FileManager.default.removeItem(at: dir) }
        let c = try Checkpoint.open(dir.path)
        let space = try #require(try c.addressSpace(28716))
        let segments = try c.readMemory(in: space, address: 0x1000_0ff8, length: 16)
        #expect(segments.map(\.file) == [PagesFile(set: 1, pagesID: 1), PagesFile(set: 0, pagesID: 1)])
        #expect(segments.flatMap { $0.bytes ?? [] } == Array("AAAAAAAABBBBBBBB".utf8))
        let rules = "rule Seam { strings: $s = \"AAAAAAAABBBBBBBB\" $m = \"FIXED-ADDR-MARKER\" condition: $s and $m }"
        for blockSize in [1 << 20, 4096, 1000] {
            var scan = YARAScan()
            scan.blockSize = blockSize
            let report = try scan.run(try Fixture.rules(rules), in: c)
            #expect(report.matches.first?.strings.map(\.address) == [0x1000_0000, 0x1000_0ff8], "\(blockSize)")
        }
        let zst = dir.deletingLastPathComponent().appendingPathComponent(dir.lastPathComponent + ".tar.zst").path
        defer { try? FileManager.default.removeItem(atPath: zst) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "tar -C '\(dir.path)' -cf - . | zstd -q -o '\(zst)'"]
        try p.run()
        p.waitUntilExit()
        let streaming = YARAStreamingScan(YARAScan(), rules: try Fixture.rules(rules))
        let compressed = try Checkpoint.open(zst, streaming: streaming)
        #expect(!compressed.source.isSeekable)
        let report = try streaming.report(in: compressed)
        #expect(report.matches.first?.strings.map(\.address) == [0x1000_0000, 0x1000_0ff8])
        #expect(report.problems.isEmpty)
    }

    /// The parent image set after the checkpoint in a compressed archive (the order of the
    /// benchmarks' archives, and of `tar` run on a checkpoint directory holding `parent/`): the scan
    /// still makes one pass, its plan growing when the pass reaches the parent, and finds the string
    /// across the seam of the two sets, as the scan by position of the directory does. With the
    /// parent first (no engine writes that order), its pages arrive before any pagemap says which
    /// are needed: they are read in a second pass.
    @Test(arguments: [true, false])
    func parentAfterTheCheckpointIsOnePass(_ parentLast: Bool) throws {
        let dir = try Self.splitIntoParent()
        defer { try? FileManager.default.removeItem(at: dir) }
        let rules = "rule Seam { strings: $s = \"AAAAAAAABBBBBBBB\" $m = \"FIXED-ADDR-MARKER\" condition: $s and $m }"
        let plain = try YARAScan().run(try Fixture.rules(rules), in: try Checkpoint.open(dir.path))
        #expect(plain.matches.first?.strings.map(\.address) == [0x1000_0000, 0x1000_0ff8])
        let own = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0 != "parent" }.sorted()
        let parent = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("parent").path).sorted().map { "parent/" + $0 }
        let zst = dir.deletingLastPathComponent().appendingPathComponent(dir.lastPathComponent + "-\(parentLast).tar.zst").path
        defer { try? FileManager.default.removeItem(atPath: zst) }
        let members = (parentLast ? own + parent : parent + own).map { "'\($0)'" }.joined(separator: " ")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "tar -C '\(dir.path)' -cf - \(members) | zstd -q -o '\(zst)'"]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let counter = PassCounter()
        let streaming = YARAStreamingScan(YARAScan(), rules: try Fixture.rules(rules))
        let c = try Checkpoint.open(zst, options: .init(source: .init(progress: counter.reporter)), streaming: streaming)
        #expect(c.imageSets.count == 2)
        let report = try streaming.report(in: c)
        #expect(counter.passes == (parentLast ? 1 : 2))
        #expect(report.matches == plain.matches)
        #expect(report.bytesScanned == plain.bytesScanned)
        #expect(report.problems.isEmpty)
    }

    /// Rule metadata, tags and namespaces come through; private strings are not shown; a
    /// condition that reads memory by address (`uint32`) is served on a seekable source, and on a
    /// compressed one (streamed once) it is reported as not served.
    @Test func ruleDetailsAndConditionReads() throws {
        let rules = try Fixture.rules("""
            rule Injected : injected memory {
                meta: author = "tests" severity = 3 confirmed = true
                strings: $elf = { 7f 45 4c 46 02 01 01 } $hidden = "DEV-RWX" private $marker = "DEV-RWX-ELFCOPY-MARKER-7Q2"
                condition: $marker and $elf and $hidden
            }
            rule ElfHeaderAtRWX { condition: uint32(0x13370000) == 0x464c457f and uint8(0x13390010) == 0xc3 }
            """)
        let plain = try Checkpoint.open(Fixture.path("podman/nfx-ck.none.tar"))
        let report = try YARAScan(pids: [6]).run(rules, in: plain)
        #expect(report.matches.map(\.rule) == ["Injected", "ElfHeaderAtRWX"])
        let m = report.matches[0]
        #expect(m.tags == ["injected", "memory"])
        #expect(m.namespace == "default")
        #expect(m.metadata == [.init(identifier: "author", value: .string("tests")), .init(identifier: "severity", value: .integer(3)),
                               .init(identifier: "confirmed", value: .boolean(true))])
        #expect(!m.strings.contains { $0.identifier == "$hidden" })
        #expect(m.strings.first { $0.identifier == "$elf" && $0.address == 0x1337_0000 }?.isHex == true)
        #expect(m.strings.first { $0.identifier == "$marker" }?.address == 0x1337_1000)
        #expect(report.problems.isEmpty)

        let dir = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let gzip = dir.appendingPathComponent("nfx.tar.gz").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "gzip -c '\(Fixture.path("podman/nfx-ck.none.tar"))' > '\(gzip)'"]
        try p.run()
        p.waitUntilExit()
        let compressed = try YARAScan(pids: [6]).run(rules, in: try Checkpoint.open(gzip))
        #expect(compressed.matches.map(\.rule) == ["Injected"])
        #expect(compressed.problems.count == 1)
        #expect(compressed.problems.first?.message.contains("could not be served from a compressed archive") == true)
    }

    /// A string with more matches than the limit stops collecting there; the rule is cut and says so.
    @Test func matchLimit() throws {
        let rules = try Fixture.rules("rule Slash { strings: $s = \"/\" condition: #s > 3 }")
        let c = try Checkpoint.open(Fixture.path("raw/forensic"))
        let all = try YARAScan(pids: [7064], maxMatches: 1_000_000).run(rules, in: c)
        let total = all.matches[0].stringMatchCount
        #expect(total > 50 && all.matches[0].strings.count == total && !all.matches[0].isTruncated)
        let cut = try YARAScan(pids: [7064], maxMatches: 10).run(rules, in: c)
        #expect(cut.matches[0].strings.count == 10)
        #expect(cut.matches[0].isTruncated)
        #expect(cut.matches[0].strings.map(\.address) == Array(all.matches[0].strings.map(\.address).prefix(10)))
        #expect(cut.problems.map(\.severity) == [.warning])
    }

    /// Compile errors name the file and line; compiled rules from yarac load and match the same.
    @Test func compileErrorsAndCompiledRules() throws {
        let dir = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.yar")
        try "rule A { condition: true }\nrule B {\n  strings: $a = \"x\"\n  condition: $b\n}\n".write(to: bad, atomically: true, encoding: .utf8)
        #expect {
            _ = try YARARules(compiling: [.init(path: bad.path, displayName: "bad.yar")])
        } throws: { error in
            guard let e = error as? YARAError, e.code == .compile, let first = e.diagnostics.first(where: \.isError) else { return false }
            // As yara reports it: `error: rule "B" in bad.yar(5): undefined string "$b"` (the rule's end).
            return first.file == "bad.yar" && first.line == 5 && first.rule == "B" && first.message == "undefined string \"$b\""
                && e.description == "bad.yar: line 5: rule B: undefined string \"$b\""
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/yarac") else {
            try #require(ProcessInfo.processInfo.environment["CI"] == nil, "CI installs yara")
            return
        }
        let source = dir.appendingPathComponent("span.yar")
        try "rule Span { strings: $s = \"DEV-PAGESPAN-MARKER-0123456789\" condition: $s }\n".write(to: source, atomically: true, encoding: .utf8)
        let compiledPath = dir.appendingPathComponent("span.yarc").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/yarac")
        p.arguments = [source.path, compiledPath]
        try p.run()
        p.waitUntilExit()
        #expect(YARARules.isCompiled(path: compiledPath))
        #expect(!YARARules.isCompiled(path: source.path))
        let compiled = try YARARules(loadingCompiled: compiledPath)
        let report = try YARAScan().run(compiled, in: try Checkpoint.open(Fixture.path("raw/forensic")))
        #expect(report.matches.map(\.rule) == ["Span"])
        #expect(report.matches.first?.strings.map(\.address) == [0x2638_2ff1])
        #expect {
            _ = try YARARules(loadingCompiled: source.path)
        } throws: { ($0 as? YARAError)?.code == .load }
    }

    /// The pages CRIU did not dump are scanned too where the mapped file is at hand: the deleted
    /// executable's ghost file in the checkpoint, or a root file system holding it: the ELF
    /// interpreter path at 0x318 of the binary's first page matches at 0x5556761a4318, named as
    /// read from the file.
    @Test func rootFileSystemPagesAreScanned() throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixture.path("raw/forensic/ghost-file-1.img"))))
        let image = try ImageFile.parse(bytes, fileName: "ghost-file-1.img")
        guard case .bytes(let range)? = image.entries[1].extra else { Issue.record("no ghost data"); return }
        let binary = Array(bytes[range])
        #expect(String(decoding: binary[0x318..<0x333], as: UTF8.self) == "/lib64/ld-linux-x86-64.so.2")
        let root = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root.appendingPathComponent("tmp/newfx/run/dev"), withIntermediateDirectories: true)
        try Data(binary).write(to: root.appendingPathComponent("tmp/newfx/run/dev/dev-vanish"))
        let rules = try Fixture.rules("rule Interp { strings: $i = \"/lib64/ld-linux-x86-64.so.2\" condition: $i }")
        let c = try Checkpoint.open(Fixture.path("raw/forensic"))
        let without = try YARAScan(pids: [7059], checkpointCopies: false).run(rules, in: c)
        #expect(!(without.matches.first?.strings.contains { $0.address == 0x5556_761a_4318 } ?? false))
        let copy = try YARAScan(pids: [7059]).run(rules, in: c)
        let fromGhost = try #require(copy.matches.first?.strings.first { $0.address == 0x5556_761a_4318 })
        #expect(fromGhost.origin == MappedFileOrigin(path: "/tmp/newfx/run/dev/dev-vanish", source: "ghost file ghost-file:1", offset: 0x318))
        let with = try YARAScan(pids: [7059], rootfs: root.path).run(rules, in: c)
        let hit = try #require(with.matches.first?.strings.first { $0.address == 0x5556_761a_4318 })
        #expect(hit.origin == MappedFileOrigin(path: "/tmp/newfx/run/dev/dev-vanish", source: "rootfs \(root.path)", offset: 0x318))
        #expect(hit.region?.kind == .file && hit.region?.permissions == "r--p")
        #expect(with.bytesScanned == without.bytesScanned + 0x2000 && copy.bytesScanned == with.bytesScanned)
        #expect(with.unusedFiles.contains("\(root.path)/usr/lib/x86_64-linux-gnu/libc.so.6: No such file or directory"))
    }

    /// A deadline already passed: every target is reported as not scanned, none as clean.
    @Test func timeoutIsReported() throws {
        let rules = try Fixture.rules("rule Any { strings: $a = \"DEV-\" condition: $a }")
        let c = try Checkpoint.open(Fixture.path("raw/forensic"))
        var scan = YARAScan(timeout: 1)
        scan.startedAt = Date().addingTimeInterval(-10)
        let report = try scan.run(rules, in: c)
        #expect(report.matches.isEmpty)
        #expect(report.problems.count == 7)
        #expect(report.problems.allSatisfy { $0.severity == .error && $0.message.contains("timed out") })
    }

    /// What CRIU saved outside memory, each source named as `inflight ls` names it, offsets from
    /// its start: notes/fds-sockets.txt's queued bytes, pipe buffer and deleted file (the mapped
    /// memfd is memory, scanned there); a condition reading by offset is served for a small source.
    @Test func inFlightData() throws {
        let rules = try Fixture.rules("""
            rule InFlight { strings: $t = "TCP-CLIENT-TO-SERVER-INFLIGHT" $p = "PIPE-DATA-IN-FLIGHT" $u = "UNIX-SOCKPAIR-QUEUED" $d = "UNIX-DGRAM-QUEUED" $g = "DELETED-FILE-CONTENT-CKPT" $m = "MEMFD-CONTENT-CKPT" condition: any of them }
            rule GhostELF { condition: uint32(0) == 0x464c457f and filesize == 16384 }
            """)
        let c = try Checkpoint.open(Fixture.path("raw/fds-sockets"))
        let report = try YARAScan().runData(rules, in: c)
        let found = report.matches.filter { $0.rule == "InFlight" }.map { "\($0.target) \($0.strings.map { "\($0.identifier)@\($0.address)" })" }
        #expect(found == [
            "tcp receive queue, fd 16 of pid 23431, 127.0.0.1:47001 -> 127.0.0.1:44724 [\"$t@0\"]",
            "pipe buffer, fds 7, 8 of pid 23431, pipe:[46835] [\"$p@0\"]",
            "socket queue, fd 10 of pid 23431, socket:[46837] (unix stream, 1 message) [\"$u@0\"]",
            "socket queue, fd 11 of pid 23431, socket:[46838] (unix dgram, 1 message) [\"$d@0\"]",
            "ghost file, fd 6 of pid 23431, /tmp/fxrun/fdswork/deleted.txt (deleted) [\"$g@0\"]",
        ])
        #expect(!report.targets.contains { $0.description.contains("memfd") })
        #expect(report.problems.isEmpty)
        // The forensic fixture's deleted executable, as its ghost file: an ELF of 16384 bytes.
        let forensic = try YARAScan().runData(rules, in: try Checkpoint.open(Fixture.path("raw/forensic")))
        #expect(forensic.matches.map { "\($0.rule) \($0.target)" } == ["GhostELF ghost file, exe of pid 7059, /tmp/newfx/run/dev/dev-vanish (deleted)"])
        #expect(forensic.problems.isEmpty)
        // With --pid, only what those processes hold: pid 7059 holds the ghost file, 7044 nothing.
        #expect(try YARAScan(pids: [7044]).runData(rules, in: try Checkpoint.open(Fixture.path("raw/forensic"))).targets.isEmpty)
        #expect(try YARAScan(pids: [7059]).runData(rules, in: try Checkpoint.open(Fixture.path("raw/forensic"))).targets.count == 1)
    }

    /// The container's files, named by layer and path: the file ck-basic's shell wrote
    /// (`echo CONTAINER-WRITTEN-FILE-MARKER > /data/written.txt`, its command line in
    /// notes/marker-hits.txt), in the rootfs diff of the plain and the zstd archive.
    @Test(arguments: ["podman/ck-basic.none.tar", "podman/ck-basic.zstd.tar.zst"])
    func containerFiles(_ fixture: String) throws {
        let rules = try Fixture.rules("rule Written { strings: $w = \"CONTAINER-WRITTEN-FILE-MARKER\" condition: $w and filesize == 30 }")
        let report = try YARAScan().runData(rules, in: try Checkpoint.open(Fixture.path(fixture)))
        #expect(report.matches.map { "\($0.target) \($0.strings.map(\.address))" } == ["rootfs-diff /data/written.txt [0]"])
        #expect(report.targets.contains(.file(layer: "rootfs-diff", path: "/tmp/m.pid")))
        #expect(report.problems.isEmpty)
    }
}
