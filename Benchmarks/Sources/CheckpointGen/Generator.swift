#if canImport(Glibc)
import Glibc
#endif

/// What one generation produced.
public struct GenerationResult: Sendable {
    public var layout: CheckpointLayout
    public var manifestPath: String
    public var twinManifestPath: String?
    public var archives: [String]
    public var changedPages: Int
    public var seconds: Double
}

/// Writes a synthetic Podman-style checkpoint (and optionally its twin and archives).
public struct Generator {
    public let config: GeneratorConfig

    public init(config: GeneratorConfig) { self.config = config }

    static let twinSalt: UInt64 = 0x7457_494E

    /// True when page `ordinal` differs in the twin.
    public static func isChanged(_ ordinal: UInt64, layout: CheckpointLayout) -> Bool {
        guard !layout.pinnedOrdinals.contains(ordinal) else { return false }
        return hashUnit(layout.config.seed, twinSalt, ordinal) < layout.config.changedFraction
    }

    public func run() throws -> GenerationResult {
        let started = monotonicSeconds()
        let layout = Self.layout(config)
        log(config.verbose, "layout: \(layout.processes.count) processes, \(layout.totalPresentPages) present pages, "
            + "\(layout.totalParentPages) parent pages, \(layout.markers.count) markers")

        var dirs = [config.out]
        if let twin = config.twin { dirs.append(twin) }
        for dir in dirs {
            removeTree(dir)
            for format in ArchiveFormat.allCases { unlink(dir + "." + format.rawValue) }
            try writeMetadata(layout, dir: dir)
        }
        let changed = try writePages(layout)
        log(config.verbose, String(format1: "pages written in %.1f s", monotonicSeconds() - started))
        try writeParentPages(layout)

        let manifest = config.out + "/manifest.json"
        try writeFile(manifest, manifestJSON(layout, twin: false, changed: changed).serialized() + "\n")
        var twinManifest: String?
        if let twin = config.twin {
            twinManifest = twin + "/manifest.json"
            try writeFile(twinManifest!, manifestJSON(layout, twin: true, changed: changed).serialized() + "\n")
        }

        var archives: [String] = []
        archives += try makeArchives(config.out, formats: config.archives)
        if let twin = config.twin { archives += try makeArchives(twin, formats: config.twinArchives) }
        return GenerationResult(layout: layout, manifestPath: manifest, twinManifestPath: twinManifest, archives: archives,
                                changedPages: changed.values.reduce(0, +), seconds: monotonicSeconds() - started)
    }

    // MARK: metadata

    /// The layout `config` describes (no I/O).
    public static func layout(_ config: GeneratorConfig) -> CheckpointLayout {
        var builder = LayoutBuilder(config: config)
        return builder.build()
    }

    /// Every metadata file of the image directory and the pre-dump, in memory: paths relative to
    /// the extracted archive (`checkpoint/mm-7.img`, `pre-checkpoint/pagemap-7.img`, `stats-dump`,
    /// `config.dump`...). Pages files are not included.
    public static func metadataImages(_ layout: CheckpointLayout) -> [(name: String, path: String, bytes: [UInt8])] {
        var files: [(String, String, [UInt8])] = []
        func add(_ path: String, _ bytes: [UInt8]) {
            files.append((String(path.split(separator: "/").last!), path, bytes))
        }
        var enc = ImageEncoder(layout: layout)
        let uptime: UInt64 = 608_020_000 + layout.config.seed * 1000
        add("checkpoint/inventory.img", enc.inventory(dumpUptime: uptime))
        add("checkpoint/pstree.img", enc.pstree())
        for p in layout.processes {
            for t in p.threads.indices { add("checkpoint/core-\(p.threads[t]).img", enc.core(p, thread: t)) }
            if p.isZombie { continue }
            add("checkpoint/ids-\(p.pid).img", enc.ids(p))
            add("checkpoint/fs-\(p.pid).img", enc.fs(p))
            add("checkpoint/mm-\(p.pid).img", enc.mm(p))
            add("checkpoint/pagemap-\(p.pid).img", enc.pagemap(p, parentSide: false))
            add("checkpoint/fdinfo-\(p.kobjID).img", enc.fdinfo(p))
            add("pre-checkpoint/pagemap-\(p.pid).img", enc.pagemap(p, parentSide: true))
        }
        add("checkpoint/files.img", enc.filesImage())
        add("checkpoint/mountpoints-13.img", enc.mountpoints())
        add("checkpoint/seccomp.img", enc.seccomp())
        add("checkpoint/utsns-12.img", enc.utsns())
        add("checkpoint/ipcns-var-11.img", enc.ipcVar())
        add("checkpoint/timens-0.img", enc.timens())
        for dev in LayoutBuilder.tmpfsDevices { add("checkpoint/tmpfs-dev-\(dev).tar.gz.img", emptyTarGz()) }
        add("checkpoint/descriptors.json", Array("[\"/dev/null\",\"pipe:[68001]\",\"pipe:[68002]\"]".utf8))
        add("pre-checkpoint/inventory.img", enc.preDumpInventory(dumpUptime: uptime - 640_000))
        add("pre-checkpoint/stats-dump", enc.stats(written: layout.totalParentPages, skippedParent: 0,
                                                    scanned: layout.totalParentPages + layout.totalPresentPages / 2))
        add("stats-dump", enc.stats(written: layout.totalPresentPages, skippedParent: layout.totalParentPages,
                                    scanned: layout.totalPresentPages + layout.totalParentPages))
        add("config.dump", Array((EngineFiles.config(layout).serialized() + "\n").utf8))
        add("spec.dump", Array((EngineFiles.spec(layout).serialized() + "\n").utf8))
        add("network.status", Array(EngineFiles.network(layout).serialized(pretty: false).utf8))
        add("ctr.log", [])
        return files
    }

    func writeMetadata(_ layout: CheckpointLayout, dir: String) throws {
        try makeDirectory(dir + "/checkpoint")
        try makeDirectory(dir + "/pre-checkpoint")
        try makeDirectory(dir + "/artifacts")
        symlink("../pre-checkpoint", dir + "/checkpoint/parent")
        for file in Self.metadataImages(layout) {
            try writeFile(dir + "/" + file.path, file.bytes)
        }
    }

    // MARK: pages

    /// Plants (argv/env, markers) by page ordinal: (offset in page, bytes).
    static func plants(_ layout: CheckpointLayout, parent: Bool) -> [UInt64: [(Int, ArraySlice<UInt8>)]] {
        var result: [UInt64: [(Int, ArraySlice<UInt8>)]] = [:]
        func add(ordinal: UInt64, offset: Int, bytes: [UInt8]) {
            var ordinal = ordinal, offset = offset, rest = bytes[...]
            while !rest.isEmpty {
                let n = min(rest.count, 4096 - offset)
                result[ordinal, default: []].append((offset, rest.prefix(n)))
                rest = rest.dropFirst(n)
                ordinal += 1
                offset = 0
            }
        }
        if !parent {
            for p in layout.processes where !p.isZombie {
                for plant in p.plants {
                    guard let (run, page) = LayoutBuilder.locate(p.runs, plant.address), run.isPresent else { continue }
                    add(ordinal: run.ordinal + UInt64(page), offset: Int(plant.address % 4096), bytes: plant.bytes)
                }
            }
        }
        for m in layout.markers where (m.location == "parent") == parent {
            add(ordinal: m.ordinals[0], offset: Int(m.address % 4096), bytes: Array(m.text.utf8))
        }
        return result
    }

    func writePages(_ layout: CheckpointLayout) throws -> [UInt32: Int] {
        let content = PageContent(seed: config.seed)
        let plants = Self.plants(layout, parent: false)
        var changed: [UInt32: Int] = [:]
        for p in layout.processes where !p.isZombie {
            let name = "/checkpoint/pages-\(p.pagesID).img"
            let base = try BufferedFile(path: config.out + name, capacity: 4 << 20)
            let twin = try config.twin.map { try BufferedFile(path: $0 + name, capacity: 4 << 20) }
            var count = 0
            for run in p.runs where run.isPresent {
                for k in 0..<run.pages {
                    let ordinal = run.ordinal + UInt64(k)
                    let page = try base.reserve(4096)
                    content.fill(page, ordinal: ordinal, variant: 0)
                    if let list = plants[ordinal] {
                        for (offset, bytes) in list {
                            bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: page[offset..<(offset + $0.count)]).copyMemory(from: $0) }
                        }
                    }
                    if let twin {
                        let other = try twin.reserve(4096)
                        if Self.isChanged(ordinal, layout: layout) {
                            content.fill(other, ordinal: ordinal, variant: 1)
                            count += 1
                        } else {
                            other.copyMemory(from: UnsafeRawBufferPointer(page))
                        }
                    }
                }
            }
            try base.close()
            try twin?.close()
            changed[p.pid] = count
        }
        return changed
    }

    func writeParentPages(_ layout: CheckpointLayout) throws {
        let content = PageContent(seed: config.seed ^ 0xFA7E_57)
        let plants = Self.plants(layout, parent: true)
        for p in layout.processes where !p.isZombie {
            let name = "/pre-checkpoint/pages-\(p.pagesID).img"
            let file = try BufferedFile(path: config.out + name, capacity: 4 << 20)
            for run in p.runs where run.isParent {
                for k in 0..<run.pages {
                    let ordinal = run.ordinal + UInt64(k)
                    let page = try file.reserve(4096)
                    content.fill(page, ordinal: ordinal, variant: 0)
                    for (offset, bytes) in plants[ordinal] ?? [] {
                        bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: page[offset..<(offset + $0.count)]).copyMemory(from: $0) }
                    }
                }
            }
            try file.close()
            if let twin = config.twin {
                unlink(twin + name)
                if link(config.out + name, twin + name) != 0 { try runProgram(["cp", config.out + name, twin + name]) }
            }
        }
    }

    // MARK: archives

    func makeArchives(_ dir: String, formats: [ArchiveFormat]) throws -> [String] {
        guard !formats.isEmpty else { return [] }
        let tarPath = dir + ".tar"
        // Podman's member order: engine files first, then the image directories (sorted inside).
        try runProgram(["tar", "--sort=name", "--owner=0", "--group=0", "--numeric-owner", "--mtime=@1764460800",
                 "-cf", tarPath, "-C", dir, "artifacts", "config.dump", "spec.dump", "network.status", "stats-dump", "ctr.log",
                 "checkpoint", "pre-checkpoint"])
        var made: [String] = []
        if formats.contains(.tar) { made.append(tarPath) }
        if formats.contains(.zstd) {
            let t = monotonicSeconds()
            try runProgram(["zstd", "-T0", "-3", "-q", "-f", tarPath, "-o", dir + ".tar.zst"])
            made.append(dir + ".tar.zst")
            log(config.verbose, String(format1: "tar.zst in %.1f s", monotonicSeconds() - t))
        }
        if formats.contains(.gzip) {
            let t = monotonicSeconds()
            if which("pigz") != nil {
                try runProgram(["pigz", "-1", "-c", tarPath], stdoutPath: dir + ".tar.gz")
            } else {
                try runProgram(["gzip", "-1", "-c", tarPath], stdoutPath: dir + ".tar.gz")
            }
            made.append(dir + ".tar.gz")
            log(config.verbose, String(format1: "tar.gz in %.1f s", monotonicSeconds() - t))
        }
        if !formats.contains(.tar) { unlink(tarPath) }
        return made
    }

    // MARK: manifest

    func manifestJSON(_ layout: CheckpointLayout, twin: Bool, changed: [UInt32: Int]) -> JSON {
        let live = layout.processes.filter { !$0.isZombie }
        let markers = layout.markers.filter { m in
            !twin || m.location == "parent" || !m.ordinals.contains { Self.isChanged($0, layout: layout) }
        }
        let largest = live.max { $0.presentPages < $1.presentPages }!
        var counts: [(String, JSON)] = [
            ("processes", .int(Int64(layout.processes.count))),
            ("liveProcesses", .int(Int64(live.count))),
            ("zombies", .int(Int64(layout.processes.count - live.count))),
            ("threads", .int(Int64(layout.processes.reduce(0) { $0 + $1.threads.count }))),
            ("coreImages", .int(Int64(layout.processes.reduce(0) { $0 + $1.threads.count }))),
            ("vmas", .int(Int64(live.reduce(0) { $0 + $1.vmas.count }))),
            ("pagemapEntries", .int(Int64(live.reduce(0) { $0 + $1.runs.count }))),
            ("presentPages", .int(Int64(layout.totalPresentPages))),
            ("lazyPresentPages", .int(Int64(live.reduce(0) { $0 + $1.lazyPresentPages }))),
            ("presentOnlyPages", .int(Int64(live.reduce(0) { $0 + $1.presentPages - $1.lazyPresentPages }))),
            ("parentPages", .int(Int64(layout.totalParentPages))),
            ("pagesBytes", .int(Int64(layout.totalPresentPages) * 4096)),
            ("parentPagesBytes", .int(Int64(layout.totalParentPages) * 4096)),
            ("files", .int(Int64(layout.files.count))),
            ("fds", .int(Int64(live.reduce(0) { $0 + $1.fds.count }))),
            ("mounts", .int(Int64(layout.mounts.count))),
            ("markers", .int(Int64(markers.count))),
        ]
        if twin { counts.append(("changedPages", .int(Int64(changed.values.reduce(0, +))))) }
        let processes: [JSON] = layout.processes.map { p in
            var fields: [(String, JSON)] = [
                ("pid", .uint(UInt64(p.pid))), ("ppid", .uint(UInt64(p.ppid))), ("comm", .string(p.comm)),
                ("exe", .string(p.exe)), ("zombie", .bool(p.isZombie)),
                ("threads", .array(p.threads.map { .uint(UInt64($0)) })),
            ]
            if !p.isZombie {
                fields += [
                    ("argv", .strings(p.argv)), ("pagesID", .uint(UInt64(p.pagesID))), ("filesID", .uint(UInt64(p.kobjID))),
                    ("vmas", .int(Int64(p.vmas.count))), ("pagemapEntries", .int(Int64(p.runs.count))),
                    ("presentPages", .int(Int64(p.presentPages))), ("lazyPresentPages", .int(Int64(p.lazyPresentPages))),
                    ("parentPages", .int(Int64(p.parentPages))), ("fds", .int(Int64(p.fds.count))),
                ]
                if twin { fields.append(("changedPages", .int(Int64(changed[p.pid] ?? 0)))) }
            }
            return .object(fields)
        }
        let markerJSON: [JSON] = markers.map { m in
            .object([
                ("index", .int(Int64(m.index))), ("text", .string(m.text)), ("pid", .uint(UInt64(m.pid))),
                ("address", .uint(m.address)), ("addressHex", .string(m.addressHex)), ("location", .string(m.location)),
                ("pagesFile", .string(m.pagesFile)), ("fileOffset", .uint(m.fileOffset)), ("straddlesPages", .bool(m.straddlesPages)),
            ])
        }
        let dir = twin ? config.twin! : config.out
        let formats = twin ? config.twinArchives : config.archives
        return .object([
            ("format", .string("ckpt-gen manifest v1")),
            ("variant", .string(twin ? "twin" : "base")),
            ("seed", .uint(config.seed)),
            ("pageSize", .int(4096)),
            ("requestedPagesSize", .uint(config.pagesSize)),
            ("changedFraction", .double(config.changedFraction)),
            ("twinOf", twin ? .string(config.out) : .null),
            ("twin", !twin && config.twin != nil ? .string(config.twin!) : .null),
            ("engine", .string("podman")),
            ("containerID", .string(layout.containerID)),
            ("containerName", .string(layout.containerName)),
            ("directory", .string(dir)),
            ("archives", .array(formats.map { .string(dir + "." + $0.rawValue) })),
            ("counts", .object(counts)),
            ("largestProcess", .object([("pid", .uint(UInt64(largest.pid))), ("comm", .string(largest.comm)),
                                        ("presentPages", .int(Int64(largest.presentPages))),
                                        ("pagesFile", .string("checkpoint/pages-\(largest.pagesID).img"))])),
            ("markerPrefix", .string("BENCH-MARKER-")),
            ("processes", .array(processes)),
            ("markers", .array(markerJSON)),
        ])
    }
}

extension String {
    /// `String(format:)` for one Double with `%.Nf`, without Foundation.
    init(format1 format: String, _ value: Double) {
        var buffer = [CChar](repeating: 0, count: 256)
        _ = withVaList([value]) { vsnprintf(&buffer, 256, format, $0) }
        let length = buffer.firstIndex(of: 0) ?? buffer.count
        self = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
