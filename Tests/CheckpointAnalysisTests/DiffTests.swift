import Checkpoint
@testable import CheckpointAnalysis
import CRIUImages
import Foundation
import Testing

enum DiffFixture {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static func open(_ relative: String) throws -> Checkpoint {
        try Checkpoint.open(path(relative))
    }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-diff-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }

    /// `notes/diff-pair-ground-truth.txt`, parsed: changed pages with their differing-byte counts, added pages.
    static func groundTruth() throws -> (changed: [UInt64: Int], added: Set<UInt64>) {
        let text = try String(contentsOfFile: path("notes/diff-pair-ground-truth.txt"), encoding: .utf8)
        var changed: [UInt64: Int] = [:]
        var added = Set<UInt64>()
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            guard words.count >= 2, words[1].hasPrefix("0x"), let address = UInt64(words[1].dropFirst(2), radix: 16) else { continue }
            if words[0] == "CHANGED", words.count >= 3, let n = Int(words[2].dropFirst()) {
                changed[address] = n
            } else if words[0] == "ADDED" {
                added.insert(address)
            }
        }
        return (changed, added)
    }
}

/// Flattens memory ranges to pages: address -> (kind, differing bytes, VMA).
func pages(of memory: ProcessMemory) -> [UInt64: (kind: PageChangeKind, bytes: Int?, vma: VMARef?)] {
    var out: [UInt64: (PageChangeKind, Int?, VMARef?)] = [:]
    for r in memory.ranges {
        for k in 0..<Int(r.pageCount) {
            out[r.start + UInt64(k) * memory.pageSize] = (r.kind, r.differingBytes?[k], r.vma)
        }
    }
    return out
}

@Suite("diff: memory against the ground truth")
struct DiffGroundTruthTests {
    func check(_ result: CheckpointDiff) throws {
        let truth = try DiffFixture.groundTruth()
        #expect(truth.changed.count == 11)
        #expect(truth.added.count == 2)
        #expect(result.memory.count == 1)
        let memory = try #require(result.memory.first)
        #expect(memory.a.pid == 29283 && memory.b.pid == 29283)
        #expect(memory.comparedPages == 35)
        #expect(memory.removedPages == 0)
        #expect(memory.unreadablePages == 0)
        let found = pages(of: memory)
        var changed: [UInt64: Int] = [:]
        var added = Set<UInt64>()
        for (address, page) in found {
            switch page.kind {
            case .changed: changed[address] = page.bytes
            case .added: added.insert(address)
            default: Issue.record("unexpected \(page.kind) page at 0x\(String(address, radix: 16))")
            }
            // Every page belongs to the VMA it is attributed to.
            let vma = try #require(page.vma)
            #expect(vma.start <= address && address < vma.end)
        }
        #expect(changed == truth.changed)
        #expect(added == truth.added)
        #expect(memory.changedPages == 11 && memory.addedPages == 2)
        #expect(memory.differingBytes == UInt64(truth.changed.values.reduce(0, +)))
        // The VMAs, by kind (maps in notes/diff-pair.txt).
        #expect(found[0x4a6000]?.vma?.kind == "file")
        #expect(found[0x4a6000]?.vma?.file?.hasSuffix("/marker") == true)
        #expect(found[0x4a6000]?.vma?.start == 0x4a6000 && found[0x4a6000]?.vma?.end == 0x4a9000)
        #expect(found[0xacee000]?.vma?.kind == "heap")
        #expect(found[0xad01000]?.vma?.kind == "heap")
        #expect(found[0xad02000]?.vma?.start == 0xacee000 && found[0xad02000]?.vma?.end == 0xad10000)
        #expect(found[0x10000000]?.vma?.kind == "anon")
        #expect(found[0x10003000]?.vma?.start == 0x10000000 && found[0x10003000]?.vma?.end == 0x10004000)
        #expect(found[0x7ffc1a9f1000]?.vma?.kind == "stack")
        // Grouped into contiguous ranges: 0xacee000 and 0xacef000 are one range of two changed pages.
        let heapRange = try #require(memory.ranges.first { $0.start == 0xacee000 })
        #expect(heapRange.kind == .changed && heapRange.pageCount == 2 && heapRange.differingBytes == [1, 4])
        let addedRange = try #require(memory.ranges.first { $0.kind == .added })
        #expect(addedRange.start == 0xad01000 && addedRange.end == 0xad03000 && addedRange.pageCount == 2)
    }

    @Test("gen1 vs gen2 (directories, direct compare): exactly the listed pages")
    func directories() throws {
        let result = try diff(DiffFixture.open("raw/diff-pair/gen1"), DiffFixture.open("raw/diff-pair/gen2"))
        try check(result)
        #expect(!result.equal)
        #expect(result.pairs.count == 1 && result.pairs[0].method == .pid)
        #expect(result.warnings.isEmpty)
    }

    @Test("gen1 vs gen2 (directories, two workers): exactly the listed pages")
    func directoriesTwoWorkers() throws {
        var options = DiffOptions()
        options.parallelAbove = 0  // the fixtures' 35 pages split between the two workers
        let result = try diff(DiffFixture.open("raw/diff-pair/gen1"), DiffFixture.open("raw/diff-pair/gen2"), options: options)
        try check(result)
    }

    @Test("seven processes compared two at a time: the flipped bytes, as the one-at-a-time path finds them")
    func pairsInParallel() throws {
        // The forensic dump, with one byte flipped in the second page of its two largest pages files.
        let dir = try DiffFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let copy = dir.appendingPathComponent("forensic")
        try FileManager.default.copyItem(atPath: DiffFixture.path("raw/forensic"), toPath: copy.path)
        let pagesFiles = try FileManager.default.contentsOfDirectory(atPath: copy.path).filter { $0.hasPrefix("pages-") }
            .map { (name: $0, size: try FileManager.default.attributesOfItem(atPath: copy.appendingPathComponent($0).path)[.size] as! Int) }
            .sorted { $0.size > $1.size }
        try #require(pagesFiles.count >= 2 && pagesFiles[1].size >= 2 * 4096)
        for file in pagesFiles.prefix(2) {
            let url = copy.appendingPathComponent(file.name)
            var bytes = try [UInt8](Data(contentsOf: url))
            bytes[4096 + 7] ^= 0xff
            try Data(bytes).write(to: url)
        }
        let a = try DiffFixture.open("raw/forensic"), b = try Checkpoint.open(copy.path)
        #expect(a.processes.count == 7)
        let parallel = try diff(a, b, options: DiffOptions(sections: [.memory], includeUnchanged: true))
        // A hexdump budget keeps the comparison in address order, one pair at a time.
        let sequential = try diff(a, b, options: DiffOptions(sections: [.memory], includeUnchanged: true, hexdumpBytes: 1 << 20))
        #expect(parallel.memory.count == 2)
        #expect(parallel.memory.map(\.changedPages) == [1, 1])
        #expect(parallel.memory.map(\.differingBytes) == [1, 1])
        func summary(_ d: CheckpointDiff) -> [String] {
            d.memory.map { m in "\(m.a.pid) \(m.comparedPages) " + m.ranges.map { "\($0.kind) \($0.start) \($0.pageCount) \($0.differingBytes ?? [])" }.joined(separator: ",") }
        }
        #expect(summary(parallel) == summary(sequential))
        #expect(parallel.unchanged == sequential.unchanged)
        #expect(parallel.unchanged["memory"]?.count == 5)
    }

    @Test("gen1 vs gen2 as tar.zst (hash pass + bounded byte pass): the same pages")
    func compressed() throws {
        let dir = try DiffFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var archives: [String] = []
        for gen in ["gen1", "gen2"] {
            let tar = dir.appendingPathComponent("\(gen).tar").path
            #expect(try DiffFixture.run("/usr/bin/tar", ["-C", DiffFixture.path("raw/diff-pair/\(gen)"), "-cf", tar, "."]) == 0)
            #expect(try DiffFixture.run("/usr/bin/zstd", ["-q", "--rm", tar, "-o", tar + ".zst"]) == 0)
            archives.append(tar + ".zst")
        }
        // Both compressed, and one of each.
        try check(diff(Checkpoint.open(archives[0]), Checkpoint.open(archives[1]), options: DiffOptions(sections: [.memory])))
        try check(diff(DiffFixture.open("raw/diff-pair/gen1"), Checkpoint.open(archives[1]), options: DiffOptions(sections: [.memory])))
    }

    @Test("other sections of gen1 vs gen2: the static marker, CRIU statistics")
    func otherSections() throws {
        let result = try diff(DiffFixture.open("raw/diff-pair/gen1"), DiffFixture.open("raw/diff-pair/gen2"))
        #expect(result.fds.isEmpty && result.sockets.isEmpty && result.vmas.isEmpty && result.mounts.isEmpty)
        #expect(result.files.isEmpty)
        #expect(!result.stats.isEmpty)  // two dumps take different times
        // The JSON is valid and round-trips.
        let data = try JSONEncoder().encode(result)
        #expect(try JSONDecoder().decode(CheckpointDiff.self, from: data) == result)
    }

    @Test("hexdump lines are bounded and show the changed marker")
    func hexdump() throws {
        let result = try diff(DiffFixture.open("raw/diff-pair/gen1"), DiffFixture.open("raw/diff-pair/gen2"),
                              options: DiffOptions(sections: [.memory], hexdumpBytes: 64))
        let lines = result.memory.flatMap(\.ranges).flatMap { $0.lines ?? [] }
        #expect(!lines.isEmpty && lines.count <= 4)
        // The first changed page 0x4a6000 holds STATIC-DATA-MARKER-0001 -> 0002.
        #expect(lines.allSatisfy { $0.a != $0.b })
        // Counting is independent of the hexdump budget.
        let memory = try #require(result.memory.first)
        #expect(memory.changedPages == 11)
    }
}

@Suite("diff: equal checkpoints")
struct DiffEqualTests {
    @Test("a checkpoint against itself", arguments: ["raw/diff-pair/gen1", "raw/proc-tree", "raw/fds-sockets", "podman/ck-basic.none.tar", "podman/ck-vol.none.tar"])
    func selfDiff(_ fixture: String) throws {
        let result = try diff(DiffFixture.open(fixture), DiffFixture.open(fixture))
        #expect(result.equal, "\(result)")
        for section in DiffSection.allCases { #expect(result.summary(section).isEmpty) }
        #expect(result.warnings.isEmpty)
    }

    @Test("ck-basic.none.tar against its zstd twin")
    func zstdTwin() throws {
        let dir = try DiffFixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let twin = dir.appendingPathComponent("ck-basic.tar.zst").path
        #expect(try DiffFixture.run("/usr/bin/zstd", ["-q", DiffFixture.path("podman/ck-basic.none.tar"), "-o", twin]) == 0)
        let result = try diff(DiffFixture.open("podman/ck-basic.none.tar"), Checkpoint.open(twin))
        #expect(result.equal, "\(result)")
        #expect(result.memory.isEmpty && result.processes.isEmpty && result.files.isEmpty)
    }

    @Test("parent chains: pages that live in pre-dumps are compared too")
    func parentChain() throws {
        let a = try DiffFixture.open("raw/incremental/dump"), b = try DiffFixture.open("raw/incremental/dump")
        let pid = try #require(a.processes.first?.pid)
        let space = try #require(try a.addressSpace(pid))
        var inFiles: UInt64 = 0, fromParents: UInt64 = 0
        for run in space.pages.runs {
            guard case .file = run.location else { continue }
            inFiles += run.pageCount
            if run.depth > 0 { fromParents += run.pageCount }
        }
        #expect(fromParents > 0)
        var budget = 0
        let memory = try #require(try PageDiff().compare(a, pid: pid, b, pid: pid, comm: ("marker", "marker"), budget: &budget))
        #expect(memory.comparedPages == inFiles)
        #expect(memory.ranges.isEmpty)
        #expect(try diff(a, b).equal)
    }

    @Test("with includeUnchanged, equal items are listed")
    func unchangedListed() throws {
        let result = try diff(DiffFixture.open("raw/proc-tree"), DiffFixture.open("raw/proc-tree"), options: DiffOptions(includeUnchanged: true))
        #expect(result.equal)
        #expect(result.unchanged["processes"]?.count == 5)
        #expect(result.unchanged["memory"]?.isEmpty == false)
    }
}

@Suite("diff: different containers")
struct DiffContainersTests {
    @Test("ck-basic vs ck-vol: different container, volume, processes")
    func basicVsVolume() throws {
        let result = try diff(DiffFixture.open("podman/ck-basic.none.tar"), DiffFixture.open("podman/ck-vol.none.tar"))
        #expect(!result.equal)
        #expect(result.warnings.contains { $0.hasPrefix("different containers") })
        #expect(result.container.contains { $0.field == "name" })
        #expect(result.container.contains { $0.field == "id" })
        // A: sh (1) with marker, httpd and sleep children; B: marker (1) alone.
        let removed = Set(result.processes.filter { $0.kind == .removed }.compactMap { $0.a?.pid })
        #expect(removed == [7, 8, 9])
        let root = try #require(result.processes.first { $0.kind == .changed })
        #expect(root.a?.pid == 1 && root.b?.pid == 1)
        #expect(root.fields.contains { $0.field == "comm" && $0.a == "sh" && $0.b == "marker" })
        #expect(root.fields.contains { $0.field == "cmdline" })
        // httpd's listening socket goes with httpd: the process is removed, its fds are not compared.
        #expect(result.sockets.isEmpty)
        // The named volume.
        #expect(result.files.contains { $0.scope == "volume:vol1" && $0.kind == .added })
        #expect(result.mounts.contains { $0.kind != .changed || !$0.fields.isEmpty })
        #expect(!result.memory.isEmpty)
    }
}

@Suite("diff: edited models, each change reported once in its section")
struct DiffModelEditTests {
    func snapshots(_ fixture: String) throws -> (CheckpointSnapshot, CheckpointSnapshot) {
        (try CheckpointSnapshot(DiffFixture.open(fixture)), try CheckpointSnapshot(DiffFixture.open(fixture)))
    }

    /// The sections that report something.
    func changedSections(_ result: CheckpointDiff) -> [DiffSection] {
        DiffSection.allCases.filter { !result.summary($0).isEmpty }
    }

    @Test("one process removed")
    func processRemoved() throws {
        let (a, original) = try snapshots("raw/proc-tree")
        var b = original
        let victim = try #require(b.processes.first { $0.process.command == "sleep" })
        b.processes.removeAll { $0.process.pid == victim.process.pid }
        let result = try diff(a, b)
        #expect(changedSections(result) == [.processes])
        #expect(result.processes.count == 1)
        #expect(result.processes.first?.kind == .removed && result.processes.first?.a?.pid == victim.process.pid)
    }

    @Test("one fd added")
    func fdAdded() throws {
        let (a, original) = try snapshots("raw/proc-tree")
        var b = original
        let index = try #require(b.processes.firstIndex { p in p.process.files.contains { $0.kind == "file" } })
        var fd = try #require(b.processes[index].process.files.first { $0.kind == "file" })
        fd.fd = 42
        b.processes[index].process.files.append(fd)
        let result = try diff(a, b)
        #expect(changedSections(result) == [.fds])
        #expect(result.fds.count == 1)
        #expect(result.fds.first?.kind == .added && result.fds.first?.fd == 42 && result.fds.first?.process.pid == b.processes[index].process.pid)
    }

    @Test("one environment variable changed")
    func environmentChanged() throws {
        let (a, original) = try snapshots("raw/marker-static")
        var b = original
        var env = try #require(b.processes[0].environment)
        let i = try #require(env.firstIndex { $0.hasPrefix("CKPT_ENV_MARKER=") })
        env[i] = "CKPT_ENV_MARKER=edited"
        b.processes[0].environment = env
        let result = try diff(a, b)
        #expect(changedSections(result) == [.processes])
        let change = try #require(result.processes.first)
        #expect(result.processes.count == 1 && change.kind == .changed)
        #expect(change.fields.isEmpty)
        #expect(change.environment == [FieldChange("CKPT_ENV_MARKER", "CKPT-ENV-MARKER-4321", "edited")])
    }

    @Test("one VMA protection changed")
    func protectionChanged() throws {
        let (a, original) = try snapshots("raw/marker-static")
        var b = original
        var memory = try #require(b.processes[0].process.memory)
        let i = try #require(memory.vmas.firstIndex { $0.start == 0x10000000 })
        memory.vmas[i].protection.remove(.write)
        b.processes[0].process.memory = memory
        let result = try diff(a, b)
        #expect(changedSections(result) == [.vmas])
        let changes = result.vmas.flatMap(\.changes)
        #expect(changes.count == 1)
        #expect(changes.first?.kind == .changed)
        #expect(changes.first?.fields == [FieldChange("prot", "rw-p", "r--p")])
    }

    @Test("all four edits at once: each once, in its section")
    func allAtOnce() throws {
        let (a, original) = try snapshots("raw/proc-tree")
        var b = original
        b.processes.removeAll { $0.process.command == "sleep" }
        let marker = try #require(b.processes.firstIndex { $0.process.command == "marker" })
        var fd = try #require(b.processes[marker].process.files.first)
        fd.fd = 77
        b.processes[marker].process.files.append(fd)
        var env = try #require(b.processes[marker].environment)
        env.append("ADDED_BY_TEST=1")
        b.processes[marker].environment = env
        var memory = try #require(b.processes[marker].process.memory)
        let vma = try #require(memory.vmas.firstIndex { $0.protection.contains(.write) && !$0.isGuard })
        memory.vmas[vma].protection.insert(.execute)
        b.processes[marker].process.memory = memory
        let result = try diff(a, b)
        #expect(Set(changedSections(result)) == [.processes, .fds, .vmas])
        #expect(result.processes.count == 2)
        #expect(result.processes.filter { $0.kind == .removed }.count == 1)
        #expect(result.processes.first { $0.kind == .changed }?.environment == [FieldChange("ADDED_BY_TEST", nil, "1")])
        #expect(result.fds.count == 1 && result.fds[0].fd == 77)
        #expect(result.vmas.flatMap(\.changes).count == 1)
        #expect(result.memory.isEmpty)
    }
}

@Suite("diff: pairing and helpers")
struct DiffPairingTests {
    @Test("processes whose pids differ are paired by tree position and comm")
    func pairedByTree() throws {
        let (a, original) = (try CheckpointSnapshot(DiffFixture.open("raw/proc-tree")), try CheckpointSnapshot(DiffFixture.open("raw/proc-tree")))
        var b = original
        // Renumber every pid of B (and parents), as a different container would.
        for i in b.processes.indices {
            b.processes[i].process.pid += 1000
            if b.processes[i].process.ppid != 0 { b.processes[i].process.ppid += 1000 }
            for t in b.processes[i].process.threads.indices { b.processes[i].process.threads[t].tid += 1000 }
        }
        let result = try diff(a, b, options: DiffOptions(sections: [.processes, .fds, .sockets, .vmas]))
        #expect(result.pairs.count == 5)
        #expect(result.pairs.allSatisfy { $0.method == .tree && $0.b.pid == $0.a.pid + 1000 })
        #expect(result.processes.isEmpty, "\(result.processes)")
        #expect(result.equal)
    }

    @Test("XXH64 reference values and streaming")
    func xxhash() {
        #expect(XXHash64.hash([UInt8]()) == 0xEF46_DB37_51D8_E999)
        #expect(XXHash64.hash(Array("a".utf8)) == 0xD24E_C4F1_A98C_6E5B)
        #expect(XXHash64.hash(Array("abc".utf8)) == 0x44BC_2CF5_AD77_0999)
        var data: [UInt8] = []
        var x: UInt32 = 12345
        for _ in 0..<1000 {
            x = x &* 1_103_515_245 &+ 12345
            data.append(UInt8(truncatingIfNeeded: x >> 16))
        }
        for split in [0, 1, 7, 31, 32, 33, 100, 999, 1000] {
            var h = XXHash64()
            data.withUnsafeBytes { raw in
                h.update(UnsafeRawBufferPointer(rebasing: raw[..<split]))
                h.update(UnsafeRawBufferPointer(rebasing: raw[split...]))
            }
            #expect(h.finalize() == XXHash64.hash(data))
        }
    }

    @Test("section names")
    func sectionNames() {
        #expect(DiffSection(name: "rootfs") == .files)
        #expect(DiffSection(name: "statistics") == .stats)
        #expect(DiffSection(name: "memory") == .memory)
        #expect(DiffSection(name: "nope") == nil)
    }
}
