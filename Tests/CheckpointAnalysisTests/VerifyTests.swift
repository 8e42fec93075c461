import Checkpoint
import CheckpointAnalysis
import CRIUImages
import Foundation
import Testing

/// Every fixture verifies clean; each structural check fires, alone, on a copy damaged for it.
@Suite struct VerifyTests {
    static let fixtures = [
        "raw/marker-static", "raw/proc-tree", "raw/fds-sockets", "raw/diff-pair/gen1", "raw/diff-pair/gen2",
        "raw/incremental/dump", "raw/incremental/pre1", "raw/incremental/pre2",
        "podman/ck-basic.none.tar", "podman/ck-basic.gzip.tar.gz", "podman/ck-basic.zstd.tar.zst", "podman/ck-vol.none.tar",
    ]

    /// Warnings and info the fixtures are allowed to produce, and why (see the test below).
    static let explainedInfo: Set<String> = [
        // dump.log's RLIMIT_NOFILE error, "interrupted system call" and dropped inotify events.
        "log.harmless",
        // The restore options the fixtures need: fds-sockets' established TCP pair, Podman's external mounts.
        "restore.tcp-established", "restore.external-mounts",
    ]

    @Test(arguments: fixtures)
    func fixtureVerifiesClean(_ fixture: String) throws {
        let report = try Verifier.verify(VerifyFixture.path(fixture))
        #expect(report.errors.isEmpty, "\(fixture): \(report.errors.map { "\($0.id) \($0.location ?? "") \($0.message)" })")
        // No warnings but the caution of the incremental chain (its CRIU ran with CRIU_FAKE_DIRTY_TRACK);
        // info only of the explained kinds.
        #expect(report.warnings.map(\.id) == (fixture.hasPrefix("raw/incremental") ? ["log.caution"] : []),
                "\(fixture): \(report.warnings.map { "\($0.id) \($0.message)" })")
        for finding in report.infos {
            #expect(Self.explainedInfo.contains(finding.id), "\(fixture): unexplained \(finding.id): \(finding.message)")
            #expect(finding.hint != nil)
        }
        #expect(report.isClean)
        #expect(report.checks.contains("pagemap.pages.short") && report.checks.contains("pagemap.parent.unresolved"))
        #expect(report.facts.contains { $0.key == "architecture" && $0.value == (fixture.contains("pre") ? "unknown" : "x86_64") })
    }

    @Test func rawFixtureLogsAreParsed() throws {
        let report = try Verifier.verify(VerifyFixture.path("raw/proc-tree"))
        let log = try #require(report.logs.first { $0.name == "dump.log" })
        #expect(log.outcome == .success)
        #expect(report.findings("log.harmless").count == 4)  // RLIMIT_NOFILE + 3 interrupted system calls
        #expect(report.facts.contains { $0.key == "CRIU version" && $0.value == "4.2" })
        #expect(report.facts.contains { $0.key == "page size" && $0.value.hasPrefix("4096") })
    }

    @Test func incrementalChainIsFollowed() throws {
        let report = try Verifier.verify(VerifyFixture.path("raw/incremental/dump"))
        #expect(report.facts.contains { $0.key == "parents" && $0.value.contains("parent/parent") })
        #expect(report.isClean)
    }

    // MARK: - One damaged copy per check

    func verify(_ url: URL) throws -> VerificationReport {
        try Verifier.verify(url.path)
    }

    @Test func deletedCore() throws {
        let dir = try VerifyFixture.copy("raw/proc-tree")
        defer { VerifyFixture.remove(dir) }
        try FileManager.default.removeItem(at: dir.appendingPathComponent("core-28765.img"))
        let report = try verify(dir)
        #expect(report.errorIDs == ["thread.core.missing"])
        let finding = try #require(report.findings("thread.core.missing").first)
        #expect(finding.image == "core-28765.img")
        let tree = try decodeEntries(ProcessTreeEntry.self, from: VerifyFixture.bytes(dir.appendingPathComponent("pstree.img")), fileName: "pstree.img")
        let entry = try #require(tree.firstIndex { $0.threads.contains(28765) })
        #expect(finding.referencedFrom == .init(image: "pstree.img", entry: entry))
        #expect(finding.message.contains("28763"))
    }

    /// The pagemap of marker-static, its VMAs and the page size.
    func markerMemory(_ dir: URL) throws -> (pagemap: Pagemap, vmas: [VMA]) {
        let pagemap = try Pagemap.decode(VerifyFixture.bytes(dir.appendingPathComponent("pagemap-28716.img")), fileName: "pagemap-28716.img")
        let mm = try decodeEntry(MemoryMap.self, from: VerifyFixture.bytes(dir.appendingPathComponent("mm-28716.img")), fileName: "mm-28716.img")
        return (pagemap, mm.vmas.filter { !$0.isGuard })
    }

    @Test func pagesFileOnePageShort() throws {
        let dir = try VerifyFixture.copy("raw/marker-static")
        defer { VerifyFixture.remove(dir) }
        let pages = dir.appendingPathComponent("pages-1.img")
        let size = try VerifyFixture.bytes(pages).count
        try VerifyFixture.truncate(pages, by: 4096)
        let report = try verify(dir)
        #expect(report.errorIDs == ["pagemap.pages.short"])
        // The entry whose pages run past the new end: the last PRESENT one.
        let (pagemap, _) = try markerMemory(dir)
        var used: UInt64 = 0
        var expected: Int?
        for (i, e) in pagemap.entries.enumerated() where e.effectiveFlags.contains(.present) {
            used += e.effectivePageCount * 4096
            if used > UInt64(size - 4096) && expected == nil { expected = i + 1 }
        }
        let finding = try #require(report.findings("pagemap.pages.short").first)
        #expect(finding.image == "pagemap-28716.img")
        #expect(finding.entry == expected)
        #expect(finding.offset != nil)
        #expect(finding.message.contains("pages-1.img"))
    }

    @Test func pagesFileOnePageTooLong() throws {
        let dir = try VerifyFixture.copy("raw/marker-static")
        defer { VerifyFixture.remove(dir) }
        let pages = dir.appendingPathComponent("pages-1.img")
        try VerifyFixture.write(VerifyFixture.bytes(pages) + [UInt8](repeating: 0, count: 4096), pages)
        let report = try verify(dir)
        #expect(report.errorIDs == ["pagemap.pages.extra"])
        let finding = try #require(report.findings("pagemap.pages.extra").first)
        #expect(finding.image == "pages-1.img")
        #expect(finding.referencedFrom?.image == "pagemap-28716.img")
        #expect(finding.message.contains("(1 page) belong"))
    }

    @Test func droppedFilesEntry() throws {
        let dir = try VerifyFixture.copy("raw/fds-sockets")
        defer { VerifyFixture.remove(dir) }
        // fd 18 is the eventfd; nothing but fdinfo refers to its file id.
        let fdinfo = try decodeEntries(FileDescriptorInfo.self, from: VerifyFixture.bytes(dir.appendingPathComponent("fdinfo-2.img")), fileName: "fdinfo-2.img")
        let fdIndex = try #require(fdinfo.firstIndex { $0.fd == 18 })
        let id = fdinfo[fdIndex].id
        var files = try ImageEdit(dir.appendingPathComponent("files.img"))
        files.remove(try #require(files.index { $0.varint(2) == UInt64(id) }))
        try files.write()
        let report = try verify(dir)
        #expect(report.errorIDs == ["fd.unresolved"])
        let finding = try #require(report.findings("fd.unresolved").first)
        #expect(report.findings("fd.unresolved").count == 1)
        #expect(finding.image == "fdinfo-2.img")
        #expect(finding.entry == fdIndex)
        #expect(finding.field == "fd 18")
    }

    @Test func brokenParentLink() throws {
        let dir = try VerifyFixture.copy("raw/incremental")
        defer { VerifyFixture.remove(dir) }
        let link = dir.appendingPathComponent("dump/parent")
        try FileManager.default.removeItem(at: link)
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "../pre9")
        let report = try verify(dir.appendingPathComponent("dump"))
        #expect(report.errorIDs == ["pagemap.parent.unresolved"])
        let pagemap = try Pagemap.decode(VerifyFixture.bytes(dir.appendingPathComponent("dump/pagemap-29076.img")), fileName: "pagemap-29076.img")
        let parentEntries = pagemap.entries.indices.filter { pagemap.entries[$0].effectiveFlags.contains(.parent) }.map { $0 + 1 }
        let findings = report.findings("pagemap.parent.unresolved")
        #expect(findings.map(\.entry) == parentEntries)
        #expect(findings.allSatisfy { $0.image == "pagemap-29076.img" })
        #expect(findings.first?.message.contains("../pre9") == true)
    }

    @Test func shorterChainStillResolves() throws {
        let dir = try VerifyFixture.copy("raw/incremental")
        defer { VerifyFixture.remove(dir) }
        // Point dump at pre1 directly: pre1 holds every page pre2 left unchanged, so nothing is missing.
        let link = dir.appendingPathComponent("dump/parent")
        try FileManager.default.removeItem(at: link)
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "../pre1")
        let report = try verify(dir.appendingPathComponent("dump"))
        #expect(report.errors.isEmpty)
        #expect(report.facts.contains { $0.key == "parents" && !$0.value.contains("parent/parent") })
    }

    @Test func reorderedPagemapEntries() throws {
        let dir = try VerifyFixture.copy("raw/marker-static")
        defer { VerifyFixture.remove(dir) }
        var pagemap = try ImageEdit(dir.appendingPathComponent("pagemap-28716.img"))
        pagemap.swap(1, 2)
        try pagemap.write()
        let report = try verify(dir)
        #expect(report.errorIDs == ["pagemap.unsorted"])
        let finding = try #require(report.findings("pagemap.unsorted").first)
        #expect(finding.image == "pagemap-28716.img")
        #expect(finding.entry == 2)
    }

    static func union(_ vmas: [VMA]) -> [Range<UInt64>] {
        var out: [Range<UInt64>] = []
        for v in vmas.sorted(by: { $0.start < $1.start }) where v.end > v.start {
            if let last = out.last, v.start <= last.upperBound {
                out[out.count - 1] = last.lowerBound..<max(last.upperBound, v.end)
            } else {
                out.append(v.start..<v.end)
            }
        }
        return out
    }

    static func inside(_ r: Range<UInt64>, _ union: [Range<UInt64>]) -> Bool {
        union.contains { $0.lowerBound <= r.lowerBound && r.upperBound <= $0.upperBound }
    }

    @Test func overlappingPagemapEntries() throws {
        let dir = try VerifyFixture.copy("raw/marker-static")
        defer { VerifyFixture.remove(dir) }
        let (pagemap, vmas) = try markerMemory(dir)
        let union = Self.union(vmas)
        let e = pagemap.entries
        // Move entry i+1 to one page after entry i's start, where it still lies in memory and before entry i+2.
        let i = try #require(e.indices.dropLast().first { i in
            let moved = e[i].vaddr + 4096
            let end = moved + e[i + 1].effectivePageCount * 4096
            return e[i].effectivePageCount >= 2 && Self.inside(moved..<end, union) && (i + 2 >= e.count || e[i + 2].vaddr >= end)
        })
        var edit = try ImageEdit(dir.appendingPathComponent("pagemap-28716.img"))
        edit.edit(i + 2) { $0.set(1, e[i].vaddr + 4096) }
        try edit.write()
        let report = try verify(dir)
        #expect(report.errorIDs == ["pagemap.overlap"])
        #expect(report.findings("pagemap.overlap").first?.entry == i + 2)
    }

    @Test func unalignedPagemapEntry() throws {
        let dir = try VerifyFixture.copy("raw/marker-static")
        defer { VerifyFixture.remove(dir) }
        let (pagemap, vmas) = try markerMemory(dir)
        let union = Self.union(vmas)
        let e = pagemap.entries
        let i = try #require(e.indices.first { i in
            let end = e[i].vaddr + e[i].effectivePageCount * 4096 + 8
            return Self.inside((e[i].vaddr + 8)..<end, union) && (i + 1 >= e.count || e[i + 1].vaddr >= end)
        })
        var edit = try ImageEdit(dir.appendingPathComponent("pagemap-28716.img"))
        edit.edit(i + 1) { $0.set(1, e[i].vaddr + 8) }
        try edit.write()
        let report = try verify(dir)
        #expect(report.errorIDs == ["pagemap.unaligned"])
        #expect(report.findings("pagemap.unaligned").first?.entry == i + 1)
    }

    @Test func pagesOutsideEveryVMA() throws {
        let dir = try VerifyFixture.copy("raw/marker-static")
        defer { VerifyFixture.remove(dir) }
        let (pagemap, vmas) = try markerMemory(dir)
        let union = Self.union(vmas)
        let e = pagemap.entries
        // Move an entry into the gap after its VMA, keeping the order.
        var choice: (Int, UInt64)?
        for i in e.indices.reversed() where choice == nil {
            let length = e[i].effectivePageCount * 4096
            for (k, r) in union.enumerated() where r.upperBound > e[i].vaddr {
                let gapEnd = k + 1 < union.count ? union[k + 1].lowerBound : UInt64.max - length
                let start = r.upperBound
                if gapEnd - start >= length, i + 1 >= e.count || e[i + 1].vaddr >= start + length, start > (i > 0 ? e[i - 1].vaddr : 0) {
                    choice = (i, start)
                    break
                }
            }
        }
        let (i, start) = try #require(choice)
        var edit = try ImageEdit(dir.appendingPathComponent("pagemap-28716.img"))
        edit.edit(i + 1) { $0.set(1, start) }
        try edit.write()
        let report = try verify(dir)
        #expect(report.errorIDs == ["pagemap.outside-vma"])
        let finding = try #require(report.findings("pagemap.outside-vma").first)
        #expect(finding.image == "pagemap-28716.img" && finding.entry == i + 1)
        #expect(finding.referencedFrom?.image == "mm-28716.img")
    }

    @Test func overlappingVMAs() throws {
        let dir = try VerifyFixture.copy("raw/marker-static")
        defer { VerifyFixture.remove(dir) }
        let mm = try decodeEntry(MemoryMap.self, from: VerifyFixture.bytes(dir.appendingPathComponent("mm-28716.img")), fileName: "mm-28716.img")
        let v = mm.vmas
        let k = try #require(v.indices.dropLast().first { k in
            !v[k].isGuard && !v[k + 1].isGuard && v[k + 1].size >= 2 * 4096
        })
        var edit = try ImageEdit(dir.appendingPathComponent("mm-28716.img"))
        edit.edit(0) { mm in mm.edit(14, k) { $0.set(2, v[k + 1].start + 4096) } }
        try edit.write()
        let report = try verify(dir)
        #expect(report.errorIDs == ["vma.overlap"])
        let finding = try #require(report.findings("vma.overlap").first)
        #expect(finding.image == "mm-28716.img" && finding.entry == 0 && finding.field == "vmas[\(k + 1)]")
    }

    @Test func unsortedVMAs() throws {
        let dir = try VerifyFixture.copy("raw/marker-static")
        defer { VerifyFixture.remove(dir) }
        var edit = try ImageEdit(dir.appendingPathComponent("mm-28716.img"))
        edit.edit(0) { $0.swap(14, 1, 2) }
        try edit.write()
        let report = try verify(dir)
        #expect(report.errorIDs == ["vma.unsorted"])
        #expect(report.findings("vma.unsorted").first?.field == "vmas[2]")
    }

    @Test func swappedArchitecture() throws {
        let dir = try VerifyFixture.copy("raw/proc-tree")
        defer { VerifyFixture.remove(dir) }
        var core = try ImageEdit(dir.appendingPathComponent("core-28765.img"))
        core.edit(0) { $0.set(1, 3) }  // AARCH64
        try core.write()
        let report = try verify(dir)
        #expect(report.errorIDs == ["core.arch.mismatch"])
        let finding = try #require(report.findings("core.arch.mismatch").first)
        #expect(report.findings("core.arch.mismatch").count == 1)
        #expect(finding.image == "core-28765.img" && finding.entry == 0 && finding.offset == 8)
        #expect(finding.message.contains("aarch64"))
    }

    @Test func zombieWithMemory() throws {
        let dir = try VerifyFixture.copy("raw/proc-tree")
        defer { VerifyFixture.remove(dir) }
        var core = try ImageEdit(dir.appendingPathComponent("core-28767.img"))
        core.edit(0) { $0.edit(3) { $0.set(1, 2) } }  // tc.task_state = dead
        try core.write()
        let report = try verify(dir)
        #expect(report.errorIDs == ["zombie.has-mm"])
        let finding = try #require(report.findings("zombie.has-mm").first)
        #expect(finding.image == "mm-28767.img")
        #expect(finding.referencedFrom == .init(image: "core-28767.img", entry: 0))
    }

    @Test func unknownImageVersion() throws {
        let dir = try VerifyFixture.copy("raw/marker-static")
        defer { VerifyFixture.remove(dir) }
        var inventory = try ImageEdit(dir.appendingPathComponent("inventory.img"))
        inventory.edit(0) { $0.set(1, 7) }
        try inventory.write()
        let report = try verify(dir)
        #expect(report.errorIDs == ["inventory.version"])
        #expect(report.findings("inventory.version").first?.image == "inventory.img")
    }

    @Test func missingShmemPagemap() throws {
        let dir = try VerifyFixture.copy("raw/fds-sockets")
        defer { VerifyFixture.remove(dir) }
        try FileManager.default.removeItem(at: dir.appendingPathComponent("pagemap-shmem-162.img"))
        let report = try verify(dir)
        #expect(report.errorIDs == ["shmem.pagemap.missing"])
        #expect(report.findings("shmem.pagemap.missing").allSatisfy { $0.image == "pagemap-shmem-162.img" })
        // The VMA that maps it names mm; memfd.img names it too.
        #expect(report.findings("shmem.pagemap.missing").contains { $0.referencedFrom?.image == "mm-23431.img" })
        // Its pages file now belongs to no pagemap: a warning, not an error.
        #expect(report.findings("pages.orphan").count == 1)
    }

    @Test func truncatedGhostFile() throws {
        let dir = try VerifyFixture.copy("raw/fds-sockets")
        defer { VerifyFixture.remove(dir) }
        try VerifyFixture.truncate(dir.appendingPathComponent("ghost-file-1.img"), by: 5)
        let report = try verify(dir)
        #expect(report.errorIDs == ["ghost.incomplete"])
        let finding = try #require(report.findings("ghost.incomplete").first)
        #expect(finding.image == "ghost-file-1.img" && finding.entry == 0)
        #expect(finding.message.contains("21 bytes") && finding.message.contains("26"))
    }

    @Test func missingGhostFile() throws {
        let dir = try VerifyFixture.copy("raw/fds-sockets")
        defer { VerifyFixture.remove(dir) }
        try FileManager.default.removeItem(at: dir.appendingPathComponent("ghost-file-1.img"))
        let report = try verify(dir)
        #expect(report.errorIDs == ["ghost.incomplete"])
        #expect(report.findings("ghost.incomplete").first?.referencedFrom == .init(image: "remap-fpath.img", entry: 0))
    }

    @Test func missingTCPStream() throws {
        let dir = try VerifyFixture.copy("raw/fds-sockets")
        defer { VerifyFixture.remove(dir) }
        try FileManager.default.removeItem(at: dir.appendingPathComponent("tcp-stream-b6fa.img"))
        let report = try verify(dir)
        #expect(report.errorIDs == ["tcp.stream.missing"])
        let finding = try #require(report.findings("tcp.stream.missing").first)
        #expect(finding.image == "tcp-stream-b6fa.img" && finding.referencedFrom?.image == "files.img")
    }

    @Test func truncatedTCPStream() throws {
        let dir = try VerifyFixture.copy("raw/fds-sockets")
        defer { VerifyFixture.remove(dir) }
        try VerifyFixture.truncate(dir.appendingPathComponent("tcp-stream-b6fb.img"), by: 3)
        // Checkpoint.open refuses this image; verify still reports it as a finding.
        let report = try verify(dir)
        #expect(report.errorIDs == ["tcp.stream.incomplete"])
        let finding = try #require(report.findings("tcp.stream.incomplete").first)
        #expect(finding.image == "tcp-stream-b6fb.img" && finding.entry == 0 && finding.offset != nil)
    }

    @Test func truncatedSocketQueue() throws {
        let dir = try VerifyFixture.copy("raw/fds-sockets")
        defer { VerifyFixture.remove(dir) }
        try VerifyFixture.truncate(dir.appendingPathComponent("sk-queues.img"), by: 2)
        let report = try verify(dir)
        #expect(report.errorIDs == ["skqueue.incomplete"])
        let finding = try #require(report.findings("skqueue.incomplete").first)
        #expect(finding.image == "sk-queues.img" && finding.entry == 1)
    }

    @Test func socketQueueForUnknownSocket() throws {
        let dir = try VerifyFixture.copy("raw/fds-sockets")
        defer { VerifyFixture.remove(dir) }
        var queues = try ImageEdit(dir.appendingPathComponent("sk-queues.img"))
        queues.edit(1) { $0.set(1, 9999) }
        try queues.write()
        let report = try verify(dir)
        #expect(report.errorIDs == ["skqueue.unresolved"])
        #expect(report.findings("skqueue.unresolved").first?.entry == 1)
    }

    @Test func unixPeerMissing() throws {
        let dir = try VerifyFixture.copy("raw/fds-sockets")
        defer { VerifyFixture.remove(dir) }
        var files = try ImageEdit(dir.appendingPathComponent("files.img"))
        let i = try #require(files.index { $0.varint(1) == 5 && $0.message(16).varint(8) != 0 })
        files.edit(i) { $0.edit(16) { $0.set(8, 999_999) } }
        try files.write()
        let report = try verify(dir)
        #expect(report.errorIDs == ["unix.peer.unresolved"])
        let finding = try #require(report.findings("unix.peer.unresolved").first)
        #expect(finding.image == "files.img" && finding.entry == i)
    }

    @Test func epollTargetMissing() throws {
        let dir = try VerifyFixture.copy("raw/fds-sockets")
        defer { VerifyFixture.remove(dir) }
        var files = try ImageEdit(dir.appendingPathComponent("files.img"))
        let i = try #require(files.index { $0.varint(1) == 7 })
        files.edit(i) { $0.edit(9) { $0.edit(4, 1) { $0.set(2, 77) } } }
        try files.write()
        let report = try verify(dir)
        #expect(report.errorIDs == ["epoll.target.unresolved"])
        let finding = try #require(report.findings("epoll.target.unresolved").first)
        #expect(finding.image == "files.img" && finding.entry == i && finding.field == "epfd.tfd[1]")
    }

    @Test func pipeDataForUnknownPipe() throws {
        let dir = try VerifyFixture.copy("raw/fds-sockets")
        defer { VerifyFixture.remove(dir) }
        var data = try ImageEdit(dir.appendingPathComponent("pipes-data.img"))
        data.edit(0) { $0.set(1, 12345) }
        try data.write()
        let report = try verify(dir)
        #expect(report.errorIDs == ["pipe.unresolved"])
        #expect(report.findings("pipe.unresolved").first?.image == "pipes-data.img")
    }

    @Test func fdTypeMismatch() throws {
        let dir = try VerifyFixture.copy("raw/fds-sockets")
        defer { VerifyFixture.remove(dir) }
        var fdinfo = try ImageEdit(dir.appendingPathComponent("fdinfo-2.img"))
        let i = try #require(fdinfo.index { $0.varint(4) == 18 })
        fdinfo.edit(i) { $0.set(3, 2) }  // PIPE
        try fdinfo.write()
        let report = try verify(dir)
        #expect(report.errorIDs == ["fd.type.mismatch"])
        #expect(report.findings("fd.type.mismatch").first?.entry == i)
    }

    @Test func cwdNotInFiles() throws {
        let dir = try VerifyFixture.copy("raw/marker-static")
        defer { VerifyFixture.remove(dir) }
        var fs = try ImageEdit(dir.appendingPathComponent("fs-28716.img"))
        fs.edit(0) { $0.set(1, 9999) }
        try fs.write()
        let report = try verify(dir)
        #expect(report.errorIDs == ["file.unresolved"])
        #expect(report.findings("file.unresolved").first?.field == "cwd_id")
    }

    @Test func memfdInodeMissing() throws {
        let dir = try VerifyFixture.copy("raw/fds-sockets")
        defer { VerifyFixture.remove(dir) }
        var files = try ImageEdit(dir.appendingPathComponent("files.img"))
        let i = try #require(files.index { $0.varint(1) == 18 && $0.varint(2) == 29 })
        files.edit(i) { $0.edit(20) { $0.set(5, 99) } }
        try files.write()
        let report = try verify(dir)
        #expect(report.errorIDs == ["memfd.inode.unresolved"])
        #expect(report.findings("memfd.inode.unresolved").contains { $0.image == "files.img" && $0.entry == i })
    }

    @Test func missingIDsImage() throws {
        let dir = try VerifyFixture.copy("raw/marker-static")
        defer { VerifyFixture.remove(dir) }
        try FileManager.default.removeItem(at: dir.appendingPathComponent("ids-28716.img"))
        let report = try verify(dir)
        #expect(report.errorIDs == ["image.missing"])
        #expect(report.findings("image.missing").first?.image == "ids-28716.img")
        #expect(report.findings("image.missing").first?.referencedFrom == .init(image: "pstree.img", entry: 0))
    }

    @Test func corruptMemoryMap() throws {
        let dir = try VerifyFixture.copy("raw/marker-static")
        defer { VerifyFixture.remove(dir) }
        try VerifyFixture.truncate(dir.appendingPathComponent("mm-28716.img"), by: 1)
        let report = try verify(dir)
        #expect(report.errorIDs == ["image.corrupt"])
        let finding = try #require(report.findings("image.corrupt").first)
        #expect(finding.image == "mm-28716.img" && finding.entry == 0 && finding.offset == 8)
    }

    @Test func duplicateArchiveMember() throws {
        let dir = try VerifyFixture.copy("raw/marker-static")
        defer { VerifyFixture.remove(dir) }
        let tar = dir.deletingLastPathComponent().appendingPathComponent("ck.tar").path
        try VerifyFixture.run("/usr/bin/tar", ["-cf", tar, "-C", dir.path, "."])
        try VerifyFixture.run("/usr/bin/tar", ["-rf", tar, "-C", dir.path, "./inventory.img"])
        let report = try Verifier.verify(tar)
        #expect(report.errorIDs == ["archive.duplicate-member"])
        let finding = try #require(report.findings("archive.duplicate-member").first)
        #expect(finding.image == "inventory.img" && finding.entry != nil && finding.offset != nil)
    }

    @Test func damagedArchiveStillVerifies() throws {
        // A Podman archive rebuilt with one core removed: the check names the member path inside checkpoint/.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-verify-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try VerifyFixture.run("/usr/bin/tar", ["-xf", VerifyFixture.path("podman/ck-basic.none.tar"), "-C", dir.path])
        try FileManager.default.removeItem(at: dir.appendingPathComponent("checkpoint/core-7.img"))
        let tar = dir.appendingPathComponent("damaged.tar").path
        try VerifyFixture.run("/usr/bin/tar", ["-cf", tar, "-C", dir.path, "checkpoint", "config.dump", "spec.dump"])
        let report = try Verifier.verify(tar)
        #expect(report.errorIDs == ["thread.core.missing"])
        #expect(report.findings("thread.core.missing").first?.image == "checkpoint/core-7.img")
    }

    @Test func unreadableSourceThrows() throws {
        #expect(throws: CheckpointError.self) { try Verifier.verify(VerifyFixture.path("README.md")) }
        #expect(throws: CheckpointError.self) { try Verifier.verify("/nonexistent/checkpoint.tar") }
    }
}
