@testable import Checkpoint
import CRIUImages
import Foundation
import Testing

@Suite struct MemoryTests {
    func hits(_ c: Checkpoint, _ text: String) throws -> [SearchHit] {
        try MemorySearch(pattern: .bytes(Array(text.utf8))).run(in: c)
    }

    @Test func markerStaticHits() throws {
        let c = try Checkpoint.open(Fixture.path("raw/marker-static"))
        let found = try hits(c, "CKPT-MARKER-1234")
        // marker.c: the fixed anonymous region, g_buf at offsets 0 and 40000 (heap), argv (stack).
        #expect(found.map { $0.mappings.first!.kind } == [.anon, .heap, .heap, .stack])
        #expect(found[0].address == 0x1000_0012)
        #expect(found[2].address - found[1].address == 40000)
        // The literal "CKPT-MARKER-1234" in .rodata is file-backed and not dumped: never reported.
        #expect(!found.contains { $0.mappings.first!.kind == .file })
        let data = try hits(c, "STATIC-DATA-MARKER-0001")
        #expect(data.count == 1)
        #expect(data[0].mappings.first?.kind == .file)
        #expect(data[0].mappings.first?.vmaStart == 0x4a6000)
        // Environment on the stack.
        let env = try hits(c, "CKPT-ENV-MARKER-4321")
        #expect(env.count == 1 && env[0].mappings.first?.kind == .stack)
    }

    /// Matches that cross a read-block edge are found once each, literal and regex alike: blocks
    /// of 4 KiB (or an odd 1000 bytes) give the same hits as the default 256 KiB.
    @Test(arguments: [4096, 1000])
    func hitsAcrossBlockEdges(blockSize: Int) throws {
        let c = try Checkpoint.open(Fixture.path("raw/marker-static"))
        for pattern in [SearchPattern.bytes(Array("CKPT-MARKER-1234".utf8)), .regex("CKPT-[A-Z]+-MARKER-[0-9]{4}"),
                        .regex("A{8}B{8}"), .bytes(Array(repeating: UInt8(ascii: "A"), count: 8) + Array(repeating: UInt8(ascii: "B"), count: 8))] {
            let expected = try MemorySearch(pattern: pattern).run(in: c)
            var small = MemorySearch(pattern: pattern)
            small.blockSize = blockSize
            let found = try small.run(in: c)
            #expect(!expected.isEmpty)
            #expect(found.map(\.address) == expected.map(\.address), "\(pattern)")
            #expect(found.map(\.match) == expected.map(\.match))
        }
    }

    /// A plain tar is searched by several workers (one per pages file), a zstd archive in one
    /// stream: the same hits. With a hit limit, the workers' hits are cut to the first in
    /// address order: the same on every run, each one a real hit.
    @Test func parallelSearchMatchesTheSingleStream() throws {
        let plain = try Checkpoint.open(Fixture.path("podman/ck-basic.none.tar"))
        let zstd = try Checkpoint.open(Fixture.path("podman/ck-basic.zstd.tar.zst"))
        #expect(Set(plain.processes.compactMap { try? plain.addressSpace($0.pid) }.flatMap { $0.pages.runs.compactMap { run -> PagesFile? in
            if case .file(let file, _) = run.location { return file } else { return nil } } }).count >= 2)
        for pattern in [SearchPattern.bytes(Array("/bin".utf8)), .regex("/[a-z]{3}/")] {
            let all = try MemorySearch(pattern: pattern).run(in: plain)
            #expect(all.count > 20, "\(pattern)")
            #expect(all == (try MemorySearch(pattern: pattern).run(in: zstd)), "\(pattern)")
            let limited = try MemorySearch(pattern: pattern, maxHits: 7).run(in: plain)
            #expect(limited.count == 7)
            #expect(Set(limited).isSubset(of: Set(all)))
            for _ in 0..<3 { #expect(try MemorySearch(pattern: pattern, maxHits: 7).run(in: plain) == limited) }
            // A limit that no single pages file reaches but all together pass: cut to the limit.
            #expect(try MemorySearch(pattern: pattern, maxHits: all.count - 1).run(in: plain).count == all.count - 1)
            #expect(try MemorySearch(pattern: pattern, maxHits: all.count).run(in: plain) == all)
            // A limit under 1 counts as 1.
            #expect(try MemorySearch(pattern: pattern, maxHits: -1).run(in: plain).count == 1)
        }
    }

    @Test func fixedRegionReadsBackAcrossPages() throws {
        let c = try Checkpoint.open(Fixture.path("raw/marker-static"))
        let segments = try c.readMemory(pid: 28716, address: 0x1000_0000 + 4096 - 8, length: 16)
        #expect(segments.count == 1)
        #expect(segments[0].bytes == Array(repeating: UInt8(ascii: "A"), count: 8) + Array(repeating: UInt8(ascii: "B"), count: 8))
        let head = try c.readMemory(pid: 28716, address: 0x1000_0000, length: 34)
        #expect(String(decoding: head[0].bytes!, as: UTF8.self) == "FIXED-ADDR-MARKER:CKPT-MARKER-1234")
        // The .rodata VMA is file-backed and clean: a hole, not zeros.
        let rodata = try c.readMemory(pid: 28716, address: 0x47a000, length: 4096)
        #expect(rodata.map(\.hole) == [.fileBacked])
        // Between VMAs: unmapped.
        let gap = try c.readMemory(pid: 28716, address: 0x0fff_f000, length: 8192)
        #expect(gap.map(\.hole) == [.unmapped, nil])
    }

    @Test func commandLineAndEnvironmentFromMemory() throws {
        let c = try Checkpoint.open(Fixture.path("raw/marker-static"))
        #expect(try c.commandLine(pid: 28716) == ["/tmp/fixtures/src/marker", "CKPT-MARKER-1234", "/tmp/fxrun/marker.pid"])
        #expect(try c.environment(pid: 28716) == ["CKPT_ENV_MARKER=CKPT-ENV-MARKER-4321", "PATH=/usr/bin:/bin"])
        let fds = try Checkpoint.open(Fixture.path("raw/fds-sockets"))
        #expect(try fds.commandLine(pid: 23431) == ["/tmp/fixtures/src/fds", "/tmp/fxrun/fdswork"])
        #expect(try fds.environment(pid: 23431) == ["CKPT_ENV_MARKER=CKPT-ENV-FDS", "PATH=/usr/bin:/bin"])
        let tree = try Checkpoint.open(Fixture.path("raw/proc-tree"))
        #expect(try tree.commandLine(pid: 28767) == ["/usr/bin/sleep", "100000"])
        // Podman: the container's init has the spec's args and env.
        let podman = try Checkpoint.open(Fixture.path("podman/ck-basic.zstd.tar.zst"))
        #expect(try podman.commandLine(pid: 1) == podman.engine.processArgs)
        #expect(try podman.environment(pid: 1) == podman.engine.processEnv)
        #expect(try podman.commandLine(pid: 7) == ["/bin/marker", "CKPT-MARKER-PODMAN", "/tmp/m.pid"])
    }

    @Test func sharedMemoryAndMemfd() throws {
        let c = try Checkpoint.open(Fixture.path("raw/fds-sockets"))
        let memfd = try hits(c, "MEMFD-CONTENT-CKPT").filter { if case .sharedMemory = $0.owner { true } else { false } }
        #expect(memfd.count == 1)
        #expect(memfd[0].owner == .sharedMemory(161))
        #expect(memfd[0].mappings.map(\.address) == [0x7f8c_0070_f000])
        #expect(memfd[0].mappings.first?.kind == .memfd)
        let anon = try hits(c, "SHARED-ANON-MARKER")
        #expect(anon.count == 1)
        #expect(anon[0].owner == .sharedMemory(162))
        #expect(anon[0].mappings.first?.address == 0x7f8c_0071_1000)
        #expect(anon[0].mappings.first?.kind == .shmem)
        let read = try c.readMemory(pid: 23431, address: 0x7f8c_0070_f000, length: 18)
        #expect(read.first?.bytes == Array("MEMFD-CONTENT-CKPT".utf8))
    }

    /// writeMemory (file to file, copy_file_range where possible) writes exactly what readMemory
    /// returns, leaves holes unwritten and reports them where readMemory does: from a directory
    /// with parents, a plain tar, a zstd archive (streamed), and into tmpfs (/dev/shm), where the
    /// kernel refuses a cross-filesystem copy and the buffered path runs.
    @Test(arguments: ["raw/incremental/dump", "podman/ck-basic.none.tar", "podman/ck-basic.zstd.tar.zst"])
    func writeMemoryMatchesReadMemory(fixture: String) throws {
        let c = try Checkpoint.open(Fixture.path(fixture))
        let dir = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var targets = [dir.path]
        if FileManager.default.isWritableFile(atPath: "/dev/shm") { targets.append("/dev/shm") }
        var checked = 0
        // The cases run in parallel and share /dev/shm: each names its files apart.
        let unique = UUID().uuidString
        for target in targets {
            for process in c.processes {
                guard let space = try c.addressSpace(process.pid) else { continue }
                for vma in space.vmas.prefix(12) {
                    let range = vma.start..<vma.end
                    let file = "\(target)/ckpt-test-\(unique)-\(process.pid)-\(vma.start).bin"
                    let fd = open(file, O_CREAT | O_EXCL | O_RDWR, 0o600)
                    #expect(fd >= 0)
                    defer { close(fd); unlink(file) }
                    let result = try #require(try c.writeMemory(in: space, to: [(range, fd)]).first)
                    let holes = result.holes.map { [$0.address, $0.length] }
                    let why = result.holes.compactMap(\.hole)
                    let written = result.written
                    let expected = try c.readMemory(in: space, address: range.lowerBound, length: UInt64(range.count))
                    #expect(holes == expected.filter { $0.bytes == nil }.map { [$0.address, $0.length] })
                    #expect(why == expected.compactMap(\.hole))
                    #expect(written == expected.reduce(0) { $0 + UInt64($1.bytes?.count ?? 0) })
                    for segment in expected {
                        guard let bytes = segment.bytes else { continue }
                        var back = [UInt8](repeating: 0, count: bytes.count)
                        let n = pread(fd, &back, bytes.count, off_t(segment.address - range.lowerBound))
                        #expect(n == bytes.count)
                        #expect(back == bytes)
                        checked += 1
                    }
                }
            }
        }
        #expect(checked > 10)
    }

    @Test func incrementalPagesComeFromTwoParentsUp() throws {
        let c = try Checkpoint.open(Fixture.path("raw/incremental/dump"))
        let space = try #require(try c.addressSpace(29076))
        let run = try #require(space.pages.run(containing: 0x1000_0000))
        #expect(run.depth == 2)
        if case .file(let file, _) = run.location { #expect(file.set == 2) } else { Issue.record("not in a file") }
        let found = try hits(c, "FIXED-ADDR-MARKER:CKPT-MARKER-INCR")
        #expect(found.map(\.address) == [0x1000_0000])
        let fresh = try hits(c, "NEW-REGION-AFTER-PREDUMP")
        #expect(fresh.count == 8 * 4096 / 32)
        #expect(fresh.first?.address == 0x2000_0000)
        #expect(space.pages.run(containing: 0x2000_0000)?.depth == 0)
        #expect(try c.commandLine(pid: 29076) == ["/tmp/fixtures/src/marker", "CKPT-MARKER-INCR", "/tmp/fxrun/incr.pid"])
    }

    @Test func previousArchiveSuppliesTheParents() throws {
        let dir = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // final.tar: checkpoint/ (the dump) with checkpoint/parent -> ../pre-checkpoint (not in this archive).
        // previous.tar: pre-checkpoint/ (pre2) with pre-checkpoint/parent -> ../pre-checkpoint-0 (pre1).
        let stage = dir.appendingPathComponent("stage")
        let fm = FileManager.default
        try fm.createDirectory(at: stage.appendingPathComponent("a"), withIntermediateDirectories: true)
        try fm.createDirectory(at: stage.appendingPathComponent("b"), withIntermediateDirectories: true)
        try fm.copyItem(atPath: Fixture.path("raw/incremental/dump"), toPath: stage.appendingPathComponent("a/checkpoint").path)
        try fm.removeItem(atPath: stage.appendingPathComponent("a/checkpoint/parent").path)
        try fm.createSymbolicLink(atPath: stage.appendingPathComponent("a/checkpoint/parent").path, withDestinationPath: "../pre-checkpoint")
        try fm.copyItem(atPath: Fixture.path("raw/incremental/pre2"), toPath: stage.appendingPathComponent("b/pre-checkpoint").path)
        try fm.removeItem(atPath: stage.appendingPathComponent("b/pre-checkpoint/parent").path)
        try fm.createSymbolicLink(atPath: stage.appendingPathComponent("b/pre-checkpoint/parent").path, withDestinationPath: "../pre-checkpoint-0")
        try fm.copyItem(atPath: Fixture.path("raw/incremental/pre1"), toPath: stage.appendingPathComponent("b/pre-checkpoint-0").path)
        let final = dir.appendingPathComponent("final.tar").path
        let previous = dir.appendingPathComponent("previous.tar").path
        try Fixture.run("/usr/bin/tar", ["-cf", final, "-C", stage.appendingPathComponent("a").path, "checkpoint"])
        try Fixture.run("/usr/bin/tar", ["-cf", previous, "-C", stage.appendingPathComponent("b").path, "pre-checkpoint", "pre-checkpoint-0"])

        // Without --previous the final's own pages are still read and searched (the region mapped
        // after the pre-dumps), the parent's are holes, and the dangling link is named.
        let alone = try Checkpoint.open(final)
        #expect(try hits(alone, "CKPT-MARKER-INCR").isEmpty)
        #expect(try hits(alone, "NEW-REGION-AFTER-PREDUMP").first?.address == 0x2000_0000)
        let missing = try #require(alone.missingParents.first)
        #expect(alone.missingParents.count == 1)
        #expect(missing.link == "../pre-checkpoint")
        #expect(missing.reason == "checkpoint/parent -> ../pre-checkpoint leads nowhere in the archive")
        #expect(missing.pids == [29076])
        #expect(missing.pages == 36)  // every page of the final pagemap but the 8 new ones (crit: 44 in all)
        let c = try Checkpoint.open(final, options: .init(previous: previous))
        #expect(c.parents.count == 2)
        let found = try hits(c, "FIXED-ADDR-MARKER:CKPT-MARKER-INCR")
        #expect(found.map(\.address) == [0x1000_0000])
        let direct = try Checkpoint.open(Fixture.path("raw/incremental/dump"))
        #expect(try hits(c, "CKPT-MARKER-INCR").map(\.address) == (try hits(direct, "CKPT-MARKER-INCR").map(\.address)))
    }

    @Test func mapsMatchCritMems() throws {
        for fixture in ["marker-static", "proc-tree", "fds-sockets", "diff-pair/gen1", "incremental/dump"] {
            let c = try Checkpoint.open(Fixture.path("raw/" + fixture))
            let text = try Fixture.text("crit-x/\(fixture)/mems.txt")
            var pid: UInt32?
            var expected: [UInt32: [(String, String, String)]] = [:]
            for line in text.split(separator: "\n") {
                if !line.hasPrefix("\t") { pid = UInt32(line); continue }
                let body = line.trimmingCharacters(in: .whitespaces)
                guard let pid, !body.hasPrefix("exe") else { continue }
                let parts = body.split(separator: " ", omittingEmptySubsequences: true)
                let range = String(parts[0])
                let prot = String(parts[1])
                let rest = parts.dropFirst(2).joined(separator: " ")
                expected[pid, default: []].append((range, prot, rest))
            }
            for (pid, vmas) in expected {
                let space = try #require(try c.addressSpace(pid))
                #expect(space.vmas.count == vmas.count, "\(fixture) pid \(pid)")
                for (vma, (range, prot, rest)) in zip(space.vmas, vmas) {
                    let ours = String(format: "%08lx-%08lx", vma.start, vma.end)
                    #expect(ours == range, "\(fixture) pid \(pid)")
                    #expect(String(vma.permissions.prefix(3)) == prot, "\(fixture) \(range)")
                    if rest.hasPrefix("/") {
                        let i = space.vmaIndex(containing: vma.start)!
                        let file = rest.components(separatedBy: " + ")[0].replacingOccurrences(of: " (s)", with: "")
                        #expect(space.backingFiles[i] == file, "\(fixture) \(range)")
                        if let offset = rest.components(separatedBy: " + 0x").dropFirst().first {
                            #expect(vma.pageOffset == UInt64(offset, radix: 16), "\(fixture) \(range)")
                        }
                    }
                }
            }
        }
    }
}

/// Damaged page data: clear errors naming image and entry, never a crash or a huge allocation.
@Suite struct DamagedMemoryTests {
    func copy(_ fixture: String) throws -> URL {
        let dir = try Fixture.temporaryDirectory().appendingPathComponent("ck")
        try FileManager.default.copyItem(atPath: Fixture.path(fixture), toPath: dir.path)
        return dir
    }

    func pagemapImage(pagesID: UInt64, entries: [(vaddr: UInt64, count: UInt64, flags: UInt64)]) -> [UInt8] {
        func varint(_ v: UInt64) -> [UInt8] {
            var v = v, out: [UInt8] = []
            while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
            return out + [UInt8(v)]
        }
        func entry(_ m: [UInt8]) -> [UInt8] { [UInt8(m.count & 0xFF), UInt8(m.count >> 8), 0, 0] + m }
        var out: [UInt8] = [0x19, 0x43, 0x56, 0x54, 0x25, 0x40, 0x08, 0x56]
        out += entry([0x08] + varint(pagesID))
        for e in entries {
            out += entry([0x08] + varint(e.vaddr) + [0x10, 0x00, 0x20] + varint(e.flags) + [0x28] + varint(e.count))
        }
        return out
    }

    @Test func pagemapPastTheEndOfThePagesFile() throws {
        let dir = try copy("raw/marker-static")
        let pages = dir.appendingPathComponent("pages-1.img")
        let data = try Data(contentsOf: pages)
        try data.prefix(data.count - 4096).write(to: pages)
        let c = try Checkpoint.open(dir.path)
        // The pages the file still has are read; the page past its end is a `damaged` hole.
        let space = try #require(try c.addressSpace(28716))
        let last = try #require(space.pages.runs.last)
        #expect(last.location == .damaged && last.pageCount == 1)
        let segments = try c.readMemory(in: space, address: last.start, length: 4096)
        #expect(segments.map(\.hole) == [.damaged])
        let before = try #require(space.pages.runs.dropLast().last)
        #expect(try c.readMemory(in: space, address: before.start, length: 4096).first?.bytes?.count == 4096)
    }

    @Test func overlappingAndHugeEntries() throws {
        let dir = try copy("raw/marker-static")
        let pagemap = dir.appendingPathComponent("pagemap-28716.img")
        try Data(pagemapImage(pagesID: 1, entries: [(0x10000000, 4, 4), (0x10002000, 1, 4)])).write(to: pagemap)
        var c = try Checkpoint.open(dir.path)
        #expect { try c.addressSpace(28716) } throws: { error in
            let e = error as? CheckpointError
            return e?.code == .inconsistent && e?.entry == 2 && (e?.message.contains("overlaps") ?? false)
        }
        for count: UInt64 in [1 << 40, 1 << 50] {
            try Data(pagemapImage(pagesID: 1, entries: [(0x10000000, count, 4)])).write(to: pagemap)
            c = try Checkpoint.open(dir.path)
            // What the pages file holds is indexed; the rest of the claim is one `damaged` run, never
            // an allocation of its size.
            let runs = try #require(try c.addressSpace(28716)).pages.runs
            let fileSize = try #require(FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent("pages-1.img").path)[.size] as? Int)
            #expect(runs.count == 2)
            #expect(runs.first?.pageCount == UInt64(fileSize / 4096))
            #expect(runs.last?.location == .damaged && runs.last?.pageCount == count - UInt64(fileSize / 4096))
        }
        try Data(pagemapImage(pagesID: 1, entries: [(0x10000001, 1, 4)])).write(to: pagemap)
        c = try Checkpoint.open(dir.path)
        #expect { try c.addressSpace(28716) } throws: { ($0 as? CheckpointError)?.message.contains("not aligned") == true }
    }

    @Test func missingParentDirectory() throws {
        let dir = try copy("raw/incremental/dump")
        try FileManager.default.removeItem(at: dir.appendingPathComponent("parent"))
        let c = try Checkpoint.open(dir.path)
        // The final's own 8 pages are read; the 36 PE_PARENT pages are `missing-parent` holes.
        let space = try #require(try c.addressSpace(29076))
        #expect(space.pages.counts.inFiles == 8)
        #expect(space.pages.counts.missingParent == 36)
        #expect(try c.readMemory(in: space, address: 0x1000_0000, length: 16).map(\.hole) == [.missingParent])
        #expect(try c.readMemory(in: space, address: 0x2000_0000, length: 16).first?.bytes?.count == 16)
        #expect(c.missingParents == [Checkpoint.MissingParent(
            imageSet: ".", link: nil, reason: ". has no parent link and no separate pre-checkpoint was given",
            pages: 36, pids: [29076], sharedMemory: [])])
        let strings = try c.processStrings()
        #expect(strings.first?.commandLine == nil && strings.first?.commandLineHole == .missingParent)
        #expect(strings.first?.environmentHole == .missingParent)
    }
}
