import CheckpointGen
import CRIUImages
import Checkpoint
import Foundation
import Testing

/// The manifest as the generator writes it (only what the checks read).
struct Manifest: Decodable {
    struct Counts: Decodable {
        var processes: Int, liveProcesses: Int, zombies: Int, threads: Int, coreImages: Int, vmas: Int, pagemapEntries: Int
        var presentPages: Int, lazyPresentPages: Int, presentOnlyPages: Int, parentPages: Int, pagesBytes: Int, parentPagesBytes: Int
        var files: Int, fds: Int, mounts: Int, markers: Int
        var changedPages: Int?
    }
    struct Process: Decodable {
        var pid: UInt32, ppid: UInt32, comm: String, zombie: Bool, threads: [UInt32]
        var argv: [String]?, pagesID: UInt32?, filesID: UInt32?, vmas: Int?, pagemapEntries: Int?
        var presentPages: Int?, lazyPresentPages: Int?, parentPages: Int?, fds: Int?, changedPages: Int?
    }
    struct Marker: Decodable {
        var index: Int, text: String, pid: UInt32, address: UInt64, location: String, pagesFile: String, fileOffset: UInt64
        var straddlesPages: Bool
    }
    struct Largest: Decodable { var pid: UInt32; var presentPages: Int; var pagesFile: String }
    var variant: String
    var containerID: String
    var containerName: String
    var directory: String
    var archives: [String]
    var counts: Counts
    var largestProcess: Largest
    var processes: [Process]
    var markers: [Marker]
}

/// One small generated checkpoint (and twin) shared by all tests.
struct Generated: Sendable {
    let root: String
    let base: String
    let twin: String
    let manifest: Manifest
    let twinManifest: Manifest

    static let shared: Result<Generated, any Error> = Result {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-gen-test-\(getpid())").path
        try? FileManager.default.removeItem(atPath: root)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        var config = GeneratorConfig(pagesSize: 4 << 20, out: root + "/base")
        config.twin = root + "/twin"
        config.seed = 42
        config.changedFraction = 0.1
        config.archives = [.tar, .gzip, .zstd]
        config.twinArchives = [.tar]
        _ = try Generator(config: config).run()
        let decoder = JSONDecoder()
        let manifest = try decoder.decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: root + "/base/manifest.json")))
        let twinManifest = try decoder.decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: root + "/twin/manifest.json")))
        return Generated(root: root, base: root + "/base", twin: root + "/twin", manifest: manifest, twinManifest: twinManifest)
    }

    static func get() throws -> Generated { try shared.get() }
}

func bytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

func files(in dir: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
}

/// Where the data of `address` lives: walk the pagemap, counting PRESENT pages (CRIU-FORMAT.md 1.5).
func fileOffset(of address: UInt64, in pagemap: Pagemap, pageSize: UInt64 = 4096) -> (offset: UInt64, flags: PagemapEntry.Flags)? {
    var offset: UInt64 = 0
    for entry in pagemap.entries {
        let range = entry.range(pageSize: pageSize)
        let flags = entry.effectiveFlags
        if range.contains(address) {
            return flags.contains(.present) ? (offset + (address - entry.vaddr), flags) : (0, flags)
        }
        if flags.contains(.present) { offset += entry.effectivePageCount * pageSize }
    }
    return nil
}

func readRange(_ path: String, offset: UInt64, count: Int) throws -> [UInt8] {
    let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    try handle.seek(toOffset: offset)
    return [UInt8](try handle.read(upToCount: count) ?? Data())
}

@Suite(.serialized) struct GeneratedCheckpointTests {
    @Test func manifestMatchesRequest() throws {
        let g = try Generated.get()
        let c = g.manifest.counts
        #expect(c.pagesBytes == 4 << 20)
        #expect(c.processes == 8 && c.zombies == 1)
        #expect(c.threads > c.processes)
        #expect(c.vmas > 300)
        #expect(c.presentPages == c.lazyPresentPages + c.presentOnlyPages)
        #expect(c.parentPages > 0 && c.markers >= 16)
        #expect(g.manifest.markers.contains { $0.location == "parent" })
        #expect(g.manifest.markers.contains { $0.straddlesPages })
        #expect((g.twinManifest.counts.changedPages ?? 0) > 0)
    }

    /// Every image frames, and every entry decodes with the generic decoder: no unknown fields,
    /// no missing required fields.
    @Test func everyImageDecodes() throws {
        let g = try Generated.get()
        let decoder = GenericDecoder()
        var images = 0, entries = 0
        for dir in ["checkpoint", "pre-checkpoint"] {
            for name in try files(in: g.base + "/" + dir) where name.hasSuffix(".img") || name == "stats-dump" {
                let data = try bytes(g.base + "/" + dir + "/" + name)
                let image = try ImageFile.parse(data, fileName: name)
                if image.kind.isRaw {
                    #expect(name.hasPrefix("pages-") || name.hasPrefix("tmpfs-dev-"), "\(name) is raw")
                    continue
                }
                images += 1
                #expect(image.magicWords.count == (name == "inventory.img" ? 1 : 2), "\(name)")
                try data.withUnsafeBytes { buffer in
                    for entry in image.entries {
                        let message = try decoder.decode(entry, in: buffer)
                        #expect(message.unknownFields.isEmpty, "\(name) entry \(entry.index): unknown fields")
                        #expect(message.missingRequiredFields().isEmpty, "\(name) entry \(entry.index): \(message.missingRequiredFields())")
                        entries += 1
                    }
                }
            }
        }
        let stats = try bytes(g.base + "/stats-dump")
        let statsImage = try ImageFile.parse(stats, fileName: "stats-dump")
        #expect(statsImage.magicWords == [0x5510_5940, 0x5709_3306])
        #expect(statsImage.entries.count == 1)
        let c = g.manifest.counts
        // inventory, pstree, files, mountpoints, seccomp, utsns, ipcns-var, timens + per task + pre-dump.
        #expect(images == 8 + c.coreImages + 5 * c.liveProcesses + 1 + 1 + c.liveProcesses)
        #expect(entries > c.vmas / 100)
    }

    @Test func processTreeAndCores() throws {
        let g = try Generated.get()
        let ck = g.base + "/checkpoint"
        let tree = try decodeEntries(ProcessTreeEntry.self, from: bytes(ck + "/pstree.img"), fileName: "pstree.img")
        #expect(tree.count == g.manifest.counts.processes)
        #expect(tree.reduce(0) { $0 + $1.threads.count } == g.manifest.counts.threads)
        #expect(tree.map(\.pid) == g.manifest.processes.map(\.pid))
        #expect(tree.map(\.parentPID) == g.manifest.processes.map(\.ppid))
        #expect(tree.first?.parentPID == 0)
        for (entry, expected) in zip(tree, g.manifest.processes) {
            #expect(entry.threads == expected.threads)
            for tid in entry.threads {
                let core = try decodeEntry(Core.self, from: bytes(ck + "/core-\(tid).img"), fileName: "core-\(tid).img")
                if tid == entry.pid {
                    #expect(core.task?.comm.description == expected.comm)
                } else {
                    #expect(core.task == nil)
                }
            }
        }
    }

    @Test func memoryMapsAndPagemaps() throws {
        let g = try Generated.get()
        let ck = g.base + "/checkpoint"
        var vmas = 0, entries = 0, present = 0, lazy = 0, parent = 0
        for p in g.manifest.processes where !p.zombie {
            let mm = try decodeEntry(MemoryMap.self, from: bytes(ck + "/mm-\(p.pid).img"), fileName: "mm-\(p.pid).img")
            #expect(mm.vmas.count == p.vmas)
            #expect(mm.pageSize == 4096)
            #expect(zip(mm.vmas, mm.vmas.dropFirst()).allSatisfy { $0.end <= $1.start }, "VMAs of \(p.pid) sorted, disjoint")
            vmas += mm.vmas.count
            let pagemap = try Pagemap.decode(bytes(ck + "/pagemap-\(p.pid).img"), fileName: "pagemap-\(p.pid).img")
            #expect(pagemap.pagesID == p.pagesID)
            #expect(pagemap.entries.count == p.pagemapEntries)
            #expect(pagemap.entries.allSatisfy { $0.compatPageCount == 0 && $0.pageCount != nil && $0.flags != nil })
            #expect(zip(pagemap.entries, pagemap.entries.dropFirst()).allSatisfy { $0.range(pageSize: 4096).upperBound <= $1.vaddr })
            // Every run lies inside one VMA.
            for e in pagemap.entries {
                let r = e.range(pageSize: 4096)
                #expect(mm.vmas.contains { $0.start <= r.lowerBound && r.upperBound <= $0.end }, "run \(e.vaddr) of \(p.pid) in a VMA")
            }
            let pPresent = pagemap.entries.filter { $0.effectiveFlags.contains(.present) }.reduce(0) { $0 + Int($1.effectivePageCount) }
            let pLazy = pagemap.entries.filter { $0.effectiveFlags == [.present, .lazy] }.reduce(0) { $0 + Int($1.effectivePageCount) }
            let pParent = pagemap.entries.filter { $0.effectiveFlags == .parent }.reduce(0) { $0 + Int($1.effectivePageCount) }
            #expect(pPresent == p.presentPages && pLazy == p.lazyPresentPages && pParent == p.parentPages)
            let pagesSize = try FileManager.default.attributesOfItem(atPath: ck + "/pages-\(p.pagesID!).img")[.size] as! UInt64
            #expect(pagesSize == UInt64(pPresent) * 4096)
            // The pre-dump holds exactly the parent runs.
            let prePagemap = try Pagemap.decode(bytes(g.base + "/pre-checkpoint/pagemap-\(p.pid).img"), fileName: "pagemap-\(p.pid).img")
            #expect(prePagemap.presentPageCount == UInt64(pParent))
            entries += pagemap.entries.count
            present += pPresent
            lazy += pLazy
            parent += pParent
        }
        let c = g.manifest.counts
        #expect(vmas == c.vmas && entries == c.pagemapEntries)
        #expect(present == c.presentPages && lazy == c.lazyPresentPages && parent == c.parentPages)
    }

    /// Each marker is at its planted address: resolve the address through the pagemap (PRESENT
    /// runs advance the offset; PE_PARENT goes to pre-checkpoint/) and read the pages file.
    @Test func markersAtPlantedAddresses() throws {
        let g = try Generated.get()
        for (dir, manifest) in [(g.base, g.manifest), (g.twin, g.twinManifest)] {
            #expect(!manifest.markers.isEmpty)
            for m in manifest.markers {
                let p = try #require(manifest.processes.first { $0.pid == m.pid })
                let pagemap = try Pagemap.decode(bytes(dir + "/checkpoint/pagemap-\(p.pid).img"), fileName: "pagemap-\(p.pid).img")
                let (offset, flags) = try #require(fileOffset(of: m.address, in: pagemap))
                var pagesPath = dir + "/checkpoint/pages-\(pagemap.pagesID).img"
                var at = offset
                if flags == .parent {
                    #expect(m.location == "parent")
                    let parent = try Pagemap.decode(bytes(dir + "/checkpoint/parent/pagemap-\(p.pid).img"), fileName: "pagemap-\(p.pid).img")
                    let resolved = try #require(fileOffset(of: m.address, in: parent))
                    #expect(resolved.flags.contains(.present))
                    at = resolved.offset
                    pagesPath = dir + "/checkpoint/parent/pages-\(parent.pagesID).img"
                } else {
                    #expect(m.location == "present" && flags.contains(.present))
                }
                #expect(at == m.fileOffset)
                #expect(pagesPath.hasSuffix(m.pagesFile.replacingOccurrences(of: "pre-checkpoint/", with: "parent/")))
                let found = try readRange(pagesPath, offset: at, count: m.text.utf8.count)
                #expect(String(decoding: found, as: UTF8.self) == m.text, "\(m.text) at \(m.address)")
            }
        }
        // The twin lost exactly the markers that sat on changed pages.
        #expect(g.twinManifest.markers.count <= g.manifest.markers.count)
    }

    /// argv sits where mm_entry says, in the top page of the stack.
    @Test func argvInMemory() throws {
        let g = try Generated.get()
        let ck = g.base + "/checkpoint"
        for p in g.manifest.processes where !p.zombie {
            let mm = try decodeEntry(MemoryMap.self, from: bytes(ck + "/mm-\(p.pid).img"), fileName: "mm-\(p.pid).img")
            let pagemap = try Pagemap.decode(bytes(ck + "/pagemap-\(p.pid).img"), fileName: "pagemap-\(p.pid).img")
            let (offset, _) = try #require(fileOffset(of: mm.argumentsStart, in: pagemap))
            let raw = try readRange(ck + "/pages-\(pagemap.pagesID).img", offset: offset, count: Int(mm.argumentsEnd - mm.argumentsStart))
            let argv = raw.split(separator: 0, omittingEmptySubsequences: false).dropLast().map { String(decoding: $0, as: UTF8.self) }
            #expect(argv == p.argv ?? [])
        }
    }

    /// The twin differs from the base in exactly `changedPages` pages, and nowhere else.
    @Test func twinDiffersByChangedPages() throws {
        let g = try Generated.get()
        var changed = 0
        for p in g.manifest.processes where !p.zombie {
            let name = "/checkpoint/pages-\(p.pagesID!).img"
            let a = try bytes(g.base + name), b = try bytes(g.twin + name)
            #expect(a.count == b.count)
            var n = 0
            for page in stride(from: 0, to: a.count, by: 4096) where a[page..<(page + 4096)] != b[page..<(page + 4096)] { n += 1 }
            #expect(n == g.twinManifest.processes.first { $0.pid == p.pid }?.changedPages)
            changed += n
        }
        #expect(changed == g.twinManifest.counts.changedPages)
        for name in try files(in: g.base + "/checkpoint") where !name.hasPrefix("pages-") && name != "parent" {
            #expect(try bytes(g.base + "/checkpoint/" + name) == bytes(g.twin + "/checkpoint/" + name), "\(name) identical in twin")
        }
    }

    /// The library sees the same facts in the directory and in every archive.
    @Test(arguments: ["", ".tar", ".tar.gz", ".tar.zst"])
    func checkpointOpens(suffix: String) throws {
        let g = try Generated.get()
        let path = suffix.isEmpty ? g.base : g.base + suffix
        let checkpoint = try Checkpoint.open(path)
        let m = g.manifest
        #expect(checkpoint.processes.count == m.counts.processes)
        #expect(checkpoint.threadCount == m.counts.threads)
        #expect(checkpoint.engine.engine == .podman)
        #expect(checkpoint.engine.containerName == m.containerName)
        #expect(checkpoint.engine.containerID == m.containerID)
        #expect(checkpoint.files.count == m.counts.files)
        #expect(checkpoint.mounts.values.reduce(0) { $0 + $1.count } == m.counts.mounts)
        #expect(checkpoint.facts.pageSize == 4096)
        #expect(!checkpoint.parents.isEmpty, "checkpoint/parent -> ../pre-checkpoint is followed")
        #expect(checkpoint.sizes.pages == UInt64(m.counts.pagesBytes + m.counts.parentPagesBytes), "pages-*.img of the checkpoint and its pre-dump")
        #expect(checkpoint.dumpStats?.pagesWritten == UInt64(m.counts.presentPages))
        var vmas = 0, fds = 0
        for (process, expected) in zip(checkpoint.processes, m.processes) {
            #expect(process.pid == expected.pid && process.ppid == expected.ppid)
            #expect(process.command == expected.comm)
            #expect(process.threads.map(\.tid) == expected.threads)
            #expect(process.isZombie == expected.zombie)
            if !expected.zombie {
                #expect(process.memory?.vmas.count == expected.vmas)
                #expect(process.files.count == expected.fds)
            }
            vmas += process.memory?.vmas.count ?? 0
            fds += process.files.count
        }
        #expect(vmas == m.counts.vmas && fds == m.counts.fds)
    }
}
