public import Checkpoint
public import CheckpointArchive
import CRIUImages
import Foundation

/// Says why a restore would fail, before it fails: structural checks over every image, the logs the
/// checkpoint carries, and (optionally) a comparison with this machine.
///
/// ```swift
/// let report = try Verifier.verify("checkpoint.tar.zst")
/// for finding in report.errors { print(finding.id, finding.location ?? "", finding.message) }
/// ```
///
/// Damaged images become findings (`image.corrupt` with entry and byte offset), not errors: only a source
/// that cannot be opened at all, or holds no CRIU images, throws.
///
/// Check ids (stable): `archive.duplicate-member`, `image.missing`, `image.corrupt`, `inventory.version`,
/// `criu.version`, `thread.core.missing`, `core.incomplete`, `core.arch.mismatch`, `core.arch.unknown`,
/// `zombie.has-mm`, `zombie.threads`, `fd.unresolved`, `fd.type.mismatch`, `file.duplicate-id`,
/// `file.unresolved`, `memfd.inode.unresolved`, `pipe.unresolved`, `unix.peer.unresolved`,
/// `epoll.target.unresolved`, `pagemap.unaligned`, `pagemap.unsorted`, `pagemap.overlap`, `pagemap.invalid`,
/// `pagemap.pages.short`, `pagemap.pages.extra`, `pages.orphan`, `pagemap.parent.unresolved`, `vma.invalid`,
/// `vma.unsorted`, `vma.overlap`, `pagemap.outside-vma`, `shmem.pagemap.missing`, `ghost.incomplete`,
/// `tcp.stream.missing`, `tcp.stream.incomplete`, `skqueue.incomplete`, `skqueue.unresolved`, `archive.damaged`,
/// `image.stale`, `pagemap.pages-id.shared`,
/// `log.failed`, `log.error`, `log.warning`, `log.harmless`, `log.caution`, `engine.metadata`, the
/// restore options the checkpoint needs (`restore.tcp-established`, `restore.shell-job`, `restore.ext-unix-sk`,
/// `restore.external-mounts`, `restore.external-net`, `restore.file-locks`; info, with the evidence), and the
/// `host.*` checks of ``HostCheck``.
public enum Verifier {
    /// Where the parent images are, how to read the archives, and whether to compare with this machine.
    public struct Options: Sendable {
        /// A separate archive or directory with the parent (pre-dump) images (`--previous`).
        public var previous: String?
        /// Options for reading the archives (limits, progress).
        public var source: CheckpointSource.Options
        /// Compare with this machine; nil skips the host checks.
        public var host: HostEnvironment?
        /// Other machines to compare with (`--target NODE.json`): one ``NodeVerdict`` each.
        public var targets: [HostEnvironment]

        /// Options; by default no separate parent archive, the default archive limits, and no host checks.
        public init(previous: String? = nil, source: CheckpointSource.Options = .init(), host: HostEnvironment? = nil,
                    targets: [HostEnvironment] = []) {
            self.previous = previous
            self.source = source
            self.host = host
            self.targets = targets
        }
    }

    /// Verifies the checkpoint at `path` (any source ``Checkpoint/open(_:options:)`` accepts).
    ///
    /// - Throws: ``CheckpointError`` `.archive` or `.notACheckpoint` when the source cannot be read at all.
    public static func verify(_ path: String, options: Options = Options()) throws(CheckpointError) -> VerificationReport {
        try verify(source: try openSource(path, options.source), options: options)
    }

    /// Verifies the checkpoint in an already opened source (``Checkpoint/open(source:options:)``); the
    /// report names it by the source's path. `options.source` applies to a `previous` archive only.
    ///
    /// - Throws: ``CheckpointError`` `.archive` or `.notACheckpoint` when the source holds no readable checkpoint.
    public static func verify(source: CheckpointSource, options: Options = Options()) throws(CheckpointError) -> VerificationReport {
        let path = source.path
        var checkpoint: Checkpoint?
        var openError: CheckpointError?
        do {
            checkpoint = try Checkpoint.open(source: source, options: .init(previous: options.previous, source: options.source, listNestedArchives: false))
        } catch {
            if error.code == .archive || error.code == .notACheckpoint { throw error }
            openError = error
        }
        var walk: Walk
        if let checkpoint {
            walk = Walk(source: checkpoint.source, sets: checkpoint.imageSets)
        } else {
            let own = ImageSet(source: source, directory: source.imagesDirectory, label: source.imagesDirectory.isEmpty ? "." : source.imagesDirectory)
            walk = Walk(source: source, sets: [own])
            walk.collectParents(previous: try options.previous.map { p throws(CheckpointError) in try openSource(p, options.source) })
        }
        return finish(path: path, walk: walk, checkpoint: checkpoint, openError: openError, options: options)
    }

    /// Verifies a checkpoint already opened (a container of a ``PodCheckpoint``, or a checkpoint a
    /// command opened for more than verify: no archive is read again); its ``Checkpoint/path``
    /// names it in the report. `options.previous` and `options.source` are not used: the checkpoint's own
    /// parents are checked.
    public static func verify(_ checkpoint: Checkpoint, options: Options = Options()) -> VerificationReport {
        finish(path: checkpoint.path, walk: Walk(source: checkpoint.source, sets: checkpoint.imageSets), checkpoint: checkpoint,
               openError: nil, options: options)
    }

    static func finish(path: String, walk: Walk, checkpoint: Checkpoint?, openError: CheckpointError?, options: Options) -> VerificationReport {
        var walk = walk
        walk.noteDanglingParentLinks()
        walk.checkDamage()
        walk.run()

        // Logs.
        let logs = CRIULog.logs(in: walk.source)
        walk.checkLogs(logs)
        if let checkpoint {
            walk.findings += RestoreOptions.findings(checkpoint)
            walk.checks += RestoreOptions.checks
        }

        // The open error, when the walk did not already report that file.
        if let openError, !walk.findings.contains(where: { $0.image == openError.file && $0.severity == .error }) {
            walk.add("image.corrupt", .error, openError.message, image: openError.file, entry: openError.entry, offset: openError.offset)
        }
        if let checkpoint {
            for warning in checkpoint.warnings where !warning.contains(".img") && !warning.contains("img_version") {
                walk.add("engine.metadata", .warning, warning)
            }
        }

        // Facts.
        var facts = walk.facts(checkpoint: checkpoint, logs: logs)
        var host: HostReport?
        let input = options.host == nil && options.targets.isEmpty ? nil : walk.hostInput(checkpoint: checkpoint, logs: logs)
        if let environment = options.host, let input {
            let report = HostCheck.compare(input, with: environment)
            facts += report.facts
            // The host's findings on external mounts and unix sockets say the same as the restore.*
            // ones, for this host: keep one of each.
            walk.findings = RestoreOptions.withoutDuplicates(walk.findings, of: report.findings)
            walk.findings += report.findings
            walk.checks += report.checks
            host = report
        }
        let damaged = walk.findings.contains { $0.severity == .error && $0.area != .host }
        let targets = options.targets.map { target in
            NodeVerdict(name: target.name, file: nil, node: target.node, report: HostCheck.compare(input!, with: target), checkpointDamaged: damaged)
        }
        if !targets.isEmpty { walk.checks += HostCheck.checkIDs }
        let ordered = Severity.allCases.flatMap { s in walk.findings.filter { $0.severity == s } }
        var seen = Set<String>()
        var report = VerificationReport(path: path, facts: facts, findings: ordered, checks: walk.checks.filter { seen.insert($0).inserted },
                                        logs: logs, host: host)
        report.targets = targets
        return report
    }

    static func openSource(_ path: String, _ options: CheckpointSource.Options) throws(CheckpointError) -> CheckpointSource {
        do {
            return try CheckpointSource.open(path: path, options: options)
        } catch {
            throw CheckpointError(.archive, source: error.source, file: error.member, offset: error.offset, message: error.message)
        }
    }
}

/// One pass over every image set, collecting findings.
struct Walk {
    struct Framed {
        let name: String
        let path: String
        let bytes: [UInt8]
        let image: ImageFile
    }

    /// One run of a pagemap.
    struct Run {
        enum Kind { case present, parent, lazy }
        var start: UInt64
        var end: UInt64
        var kind: Kind
        var entry: Int
        var offset: Int
    }

    struct PagemapInfo {
        var path: String
        var pagesID: UInt32
        var runs: [Run]
        /// Bytes of the pages file its PE_PRESENT entries account for.
        var bytesUsed: UInt64 = 0
    }

    /// Task ids of pstree.img (processes and threads), once it was read.
    var treeTasks: Set<UInt32>?

    struct ProcessInfo {
        var pid: UInt32
        var memory: MemoryMap?
        var memoryPath: String?
        var ids: KernelObjectIDs?
        var fds: Set<UInt32> = []
        var fileIDs: Set<UInt32> = []
    }

    let source: CheckpointSource
    var sets: [ImageSet]
    var findings: [Finding] = []
    var checks: [String] = []
    var cache: [String: Framed?] = [:]
    /// Why set `k` has no parent (a dangling `parent` link), by set index.
    var parentNotes: [Int: String] = [:]
    var pageSize: UInt64 = 4096
    var pageSizeSource = "default"
    var architecture: Architecture?
    var inventory: Inventory?
    var processCount = 0
    var threadCount = 0
    var files: [UInt32: (file: FileEntry, entry: ImageEntry)] = [:]
    var fileOrder: [UInt32] = []
    var memfdInodes: [UInt32: MemFDInode] = [:]
    var processes: [ProcessInfo] = []
    var pagemaps: [String: PagemapInfo?] = [:]

    init(source: CheckpointSource, sets: [ImageSet]) {
        self.source = source
        self.sets = sets
    }

    var own: ImageSet { sets[0] }

    // MARK: - Recording

    mutating func ran(_ ids: String...) {
        for id in ids where !checks.contains(id) { checks.append(id) }
    }

    mutating func add(_ id: String, _ severity: Severity, _ message: String, area: Finding.Area = .structure, image: String? = nil,
                      entry: Int? = nil, field: String? = nil, offset: UInt64? = nil, from: Finding.Reference? = nil, hint: String? = nil) {
        ran(id)
        findings.append(Finding(id: id, severity: severity, area: area, message: message, image: image, entry: entry, field: field,
                                offset: offset, referencedFrom: from, hint: hint))
    }

    // MARK: - Parents

    /// The parent chain when ``Checkpoint/open(_:options:)`` could not build it.
    mutating func collectParents(previous: CheckpointSource?) {
        var current = sets[0]
        while sets.count < 64 {
            switch current.parentLink() {
            case .resolved(let parent):
                sets.append(parent)
                current = parent
                continue
            case .dangling(let target, let reason):
                parentNotes[sets.count - 1] = "its parent link \(current.path(of: "parent")) -> \(target) leads nowhere (\(reason))"
            case .none:
                break
            }
            break
        }
        if let previous {
            var directory = previous.imagesDirectory
            for candidate in [previous.imagesDirectory, "checkpoint", "pre-checkpoint"] {
                if (try? previous.member(named: candidate.isEmpty ? "inventory.img" : candidate + "/inventory.img")) != nil {
                    directory = candidate
                    break
                }
            }
            current = ImageSet(source: previous, directory: directory, label: previous.path + (directory.isEmpty ? "" : ":" + directory))
            sets.append(current)
            while sets.count < 64, let parent = current.parent() {
                sets.append(parent)
                current = parent
            }
        }
    }

    /// Notes, for the last set of the chain, a `parent` link that exists but leads nowhere.
    mutating func noteDanglingParentLinks() {
        for (k, set) in sets.enumerated() where k == sets.count - 1 && parentNotes[k] == nil {
            let path = set.path(of: "parent")
            if let link = set.source.members.first(where: { $0.path == path && $0.kind == .symlink }) {
                parentNotes[k] = "its parent link \(link.escapedName) -> \(link.linkTarget.map { ArchiveMember.escape(Array($0.utf8)) } ?? "?") leads nowhere"
            }
        }
    }

    // MARK: - Reading

    func exists(_ set: ImageSet, _ name: String) -> Bool {
        guard let member = try? set.member(name) else { return false }
        return member.kind != .directory
    }

    static func corruptionID(_ name: String) -> String {
        if name.hasPrefix("ghost-file-") { return "ghost.incomplete" }
        if name.hasPrefix("tcp-stream-") { return "tcp.stream.incomplete" }
        if name == "sk-queues.img" { return "skqueue.incomplete" }
        return "image.corrupt"
    }

    /// Reads and frames an image; nil (with a finding) when it is missing and `required`, or damaged.
    mutating func frame(_ set: ImageSet, _ name: String, required: Bool = false, why: @autoclosure () -> String = "",
                        from: Finding.Reference? = nil, missingID: String = "image.missing") -> Framed? {
        let path = set.path(of: name)
        if let cached = cache[path] { return cached }
        let result = load(set, name, required: required, why: why(), from: from, missingID: missingID)
        cache[path] = .some(result)
        return result
    }

    private mutating func load(_ set: ImageSet, _ name: String, required: Bool, why: String, from: Finding.Reference?, missingID: String) -> Framed? {
        let path = set.path(of: name)
        ran("image.missing", "image.corrupt")
        let member: ArchiveMember?
        do {
            member = try set.member(name)
        } catch {
            add(Self.corruptionID(name), .error, "cannot be read: \(error.message)", image: path, from: from)
            return nil
        }
        guard let member, member.kind != .directory else {
            if required, let damage = set.source.damage {
                add(missingID, .error, "\(name) is not in the readable part of the archive\(why.isEmpty ? "" : " (" + why + ")"): the archive is damaged before it could be reached (\(damage.location))",
                    image: path, from: from, hint: "The archive was cut short or damaged (a full disk, an interrupted copy); copy it again from the node.")
            } else if required {
                add(missingID, .error, "\(name) is missing\(why.isEmpty ? "" : ": " + why)", image: path, from: from,
                    hint: "The checkpoint is incomplete; take it again, or copy the missing image from the original images directory.")
            }
            return nil
        }
        let bytes: [UInt8]
        do {
            bytes = try set.source.read(member, maxBytes: 256 << 20)
        } catch {
            add(Self.corruptionID(name), .error, "cannot be read: \(error.message)", image: path, offset: error.offset, from: from)
            return nil
        }
        do {
            let image = try ImageFile.parse(bytes, fileName: name)
            return Framed(name: name, path: path, bytes: bytes, image: image)
        } catch {
            corrupt(name, path, error, from: from)
            return nil
        }
    }

    mutating func corrupt(_ name: String, _ path: String, _ error: ImageError, from: Finding.Reference? = nil) {
        var detail = error
        detail.file = nil
        detail.image = nil
        detail.entry = nil
        add(Self.corruptionID(name), .error, detail.description, image: path, entry: error.entry, offset: UInt64(max(0, error.offset)), from: from,
            hint: "The image is truncated or damaged; the restore would stop here.")
    }

    /// Decodes the entries of `T` with their framing; nil (with a finding) when one does not decode.
    mutating func decode<T: ImageMessage>(_ framed: Framed, _ type: T.Type) -> [(value: T, entry: ImageEntry)]? {
        let result: Result<[(value: T, entry: ImageEntry)], ImageError> = framed.bytes.withUnsafeBytes { buffer in
            var out: [(value: T, entry: ImageEntry)] = []
            for e in framed.image.entries where e.message == T.messageName {
                do throws(ImageError) {
                    out.append((try T.decode(e, in: buffer), e))
                } catch {
                    return .failure(error.located(entry: e.index))
                }
            }
            return .success(out)
        }
        switch result {
        case .success(let values): return values
        case .failure(let error):
            corrupt(framed.name, framed.path, error)
            return nil
        }
    }

    mutating func decodeImage<T: ImageMessage>(_ set: ImageSet, _ name: String, _ type: T.Type, required: Bool = false,
                                               why: @autoclosure () -> String = "", from: Finding.Reference? = nil) -> [(value: T, entry: ImageEntry)]? {
        guard let framed = frame(set, name, required: required, why: why(), from: from) else { return nil }
        return decode(framed, type)
    }

    static func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }

    // MARK: - The walk

    mutating func run() {
        checkArchive()
        for k in sets.indices { checkInventory(k) }
        let tree = checkProcessTree()
        checkStaleTaskImages()
        decidePageSize()
        for k in sets.indices { checkPagemaps(k) }
        checkParentPages()
        for process in processes { checkMemory(process) }
        checkMemFDs()
        checkFileLinks()
        _ = tree
    }

    /// files.img was read: references into it can be checked.
    var filesLoaded: Bool { (cache[own.path(of: "files.img")] ?? nil) != nil }

    /// The archive's damage (truncation, a damaged stream or header), for each source of the chain.
    mutating func checkDamage() {
        ran("archive.damaged")
        var seen = Set<String>()
        for set in sets where seen.insert(set.source.path).inserted {
            guard let damage = set.source.damage else { continue }
            add("archive.damaged", .error,
                "\(damage.code == .truncated ? "the archive is cut short" : "the archive is damaged") in \(damage.member.map { "member " + $0 } ?? "a member header"): \(damage.message); \(damage.location). Everything before it was read; what follows is missing",
                image: damage.member, offset: damage.fileOffset,
                hint: "Copy the archive again from where it was made; a restore needs every member.")
        }
    }

    mutating func checkArchive() {
        ran("archive.duplicate-member")
        var seen: [String: Int] = [:]
        for member in source.members where member.kind != .directory {
            if let first = seen[member.path] {
                add("archive.duplicate-member", .error,
                    "\(member.escapedName) is in the archive twice (members \(first) and \(member.index ?? -1)); extracting keeps the later copy, readers may use either",
                    image: member.escapedName, entry: member.index, offset: member.dataOffset,
                    hint: "Rebuild the archive so every member appears once.")
            } else {
                seen[member.path] = member.index ?? -1
            }
        }
    }

    mutating func checkInventory(_ k: Int) {
        ran("inventory.version")
        let set = sets[k]
        let why = k == 0 ? "every image set starts with its inventory" : "the parent image set \(set.label) has no inventory"
        guard let entries = decodeImage(set, "inventory.img", Inventory.self, required: true, why: why), let (inv, entry) = entries.first else {
            return
        }
        if k == 0 { inventory = inv }
        let path = set.path(of: "inventory.img")
        let hasTree = exists(set, "pstree.img")
        switch inv.imageVersion {
        case 2:
            if hasTree && inv.fdinfoPerID != true {
                add("inventory.version", .error, "fdinfo_per_id is not set: CRIU refuses images this old (fdinfo named by pid)",
                    image: path, entry: entry.index, offset: UInt64(entry.offset))
            }
        case 0:
            if hasTree {
                add("inventory.version", .warning, "img_version 0 marks a pre-dump, but this set has a process tree",
                    image: path, entry: entry.index, offset: UInt64(entry.offset))
            }
        case 1:
            add("inventory.version", .warning, "img_version 1: an ancient image format (no common magic); current CRIU writes 2",
                image: path, entry: entry.index, offset: UInt64(entry.offset))
        default:
            add("inventory.version", .error,
                "img_version \(inv.imageVersion) is newer than the formats known here (0 pre-dump, 1 ancient, 2 current; 3 would mean compressed pages)",
                image: path, entry: entry.index, offset: UInt64(entry.offset),
                hint: "Restore with the CRIU that wrote it; page data is not interpreted.")
        }
    }

    // MARK: Processes

    mutating func checkProcessTree() -> [ProcessTreeEntry] {
        ran("thread.core.missing", "core.incomplete", "zombie.has-mm", "fd.unresolved", "fd.type.mismatch", "file.unresolved", "file.duplicate-id")
        let isPreDump = inventory?.imageVersion == 0 && !exists(own, "pstree.img")
        guard !isPreDump else { return [] }
        let treePath = own.path(of: "pstree.img")
        let tree = decodeImage(own, "pstree.img", ProcessTreeEntry.self, required: inventory != nil,
                               why: "a checkpoint lists its processes in pstree.img") ?? []
        processCount = tree.count
        if !tree.isEmpty { treeTasks = Set(tree.flatMap { $0.value.threads.isEmpty ? [$0.value.pid] : $0.value.threads + [$0.value.pid] }) }

        if let filesEntries = decodeImage(own, "files.img", FileEntry.self, required: !tree.isEmpty,
                                          why: "the open files of every process are in files.img") {
            for (file, entry) in filesEntries {
                if let first = files[file.id] {
                    add("file.duplicate-id", .error, "file id \(file.id) is used twice (entries \(first.entry.index) and \(entry.index))",
                        image: own.path(of: "files.img"), entry: entry.index, offset: UInt64(entry.offset))
                    continue
                }
                files[file.id] = (file, entry)
                fileOrder.append(file.id)
            }
        }
        for (inode, _) in decodeImage(own, "memfd.img", MemFDInode.self) ?? [] {
            memfdInodes[UInt32(truncatingIfNeeded: inode.inodeID)] = inode
        }

        var cores: [(tid: UInt32, core: Core, path: String, entry: ImageEntry)] = []
        var doneFDTables = Set<UInt32>()
        for (pe, treeEntry) in tree {
            let pid = pe.pid
            let ref = Finding.Reference(image: treePath, entry: treeEntry.index)
            let threads = pe.threads.isEmpty ? [pid] : pe.threads
            threadCount += threads.count
            var leader: (core: Core, path: String, entry: ImageEntry)?
            var threadCores: [(index: Int, tid: UInt32, core: Core, path: String, entry: ImageEntry)] = []
            for (t, tid) in threads.enumerated() {
                let name = "core-\(tid).img"
                guard exists(own, name) else {
                    add("thread.core.missing", .error,
                        "thread \(tid) of process \(pid) (pstree.img entry \(treeEntry.index), threads[\(t)]) has no \(name)",
                        image: own.path(of: name), from: ref, hint: "Every thread needs its core image; the checkpoint is incomplete.")
                    continue
                }
                guard let decoded = decodeImage(own, name, Core.self), let (core, entry) = decoded.first else {
                    if let framed = frame(own, name), framed.image.entries.isEmpty {
                        add("image.corrupt", .error, "\(name) holds no core_entry", image: framed.path)
                    }
                    continue
                }
                let path = own.path(of: name)
                cores.append((tid, core, path, entry))
                threadCores.append((t, tid, core, path, entry))
                if tid == pid { leader = (core, path, entry) }
            }
            let zombie = leader?.core.task?.state == .dead
            if let leader, leader.core.task == nil {
                add("core.incomplete", .error, "the core of process \(pid)'s leader has no task_core (tc)",
                    image: leader.path, entry: leader.entry.index, offset: UInt64(leader.entry.offset))
            }
            if !zombie {
                for t in threadCores where t.core.thread == nil {
                    add("core.incomplete", .error, "thread \(t.tid) of process \(pid) is alive but its core has no thread_core",
                        image: t.path, entry: t.entry.index, offset: UInt64(t.entry.offset))
                }
            }
            if zombie {
                ran("zombie.threads")
                let coreRef = leader.map { Finding.Reference(image: $0.path, entry: $0.entry.index) }
                if exists(own, "mm-\(pid).img") {
                    add("zombie.has-mm", .error,
                        "process \(pid) is a zombie (task_state 2 in core-\(pid).img) but has mm-\(pid).img; zombies have no memory",
                        image: own.path(of: "mm-\(pid).img"), from: coreRef,
                        hint: "The core and the memory images contradict each other; one of them is from another dump.")
                }
                if threads.count > 1 {
                    add("zombie.threads", .warning, "zombie \(pid) lists \(threads.count) threads; CRIU dumps zombies with one",
                        image: treePath, entry: treeEntry.index)
                }
                processes.append(ProcessInfo(pid: pid))
                continue
            }
            var info = ProcessInfo(pid: pid)
            let ids = decodeImage(own, "ids-\(pid).img", KernelObjectIDs.self, required: true,
                                  why: "process \(pid) (pstree.img entry \(treeEntry.index)) needs its kernel-object ids", from: ref)?.first
            let mm = decodeImage(own, "mm-\(pid).img", MemoryMap.self, required: true,
                                 why: "process \(pid) needs its memory map", from: ref)?.first
            let fs = decodeImage(own, "fs-\(pid).img", TaskFS.self, required: true,
                                 why: "process \(pid) needs its cwd and root", from: ref)?.first
            if !exists(own, "pagemap-\(pid).img") {
                add("image.missing", .error, "pagemap-\(pid).img is missing: process \(pid)'s memory cannot be restored",
                    image: own.path(of: "pagemap-\(pid).img"), from: ref)
            }
            if let mm {
                info.memory = mm.value
                info.memoryPath = own.path(of: "mm-\(pid).img")
                let path = own.path(of: "mm-\(pid).img")
                if filesLoaded, files[mm.value.exeFileID] == nil {
                    add("file.unresolved", .error, "the executable (exe_file_id \(mm.value.exeFileID)) of process \(pid) is not in files.img",
                        image: path, entry: mm.entry.index, field: "exe_file_id", offset: UInt64(mm.entry.offset))
                }
            }
            if let fs {
                let path = own.path(of: "fs-\(pid).img")
                for (field, id) in [("cwd_id", fs.value.cwdID), ("root_id", fs.value.rootID)] where filesLoaded && files[id] == nil {
                    add("file.unresolved", .error, "\(field) \(id) of process \(pid) is not in files.img",
                        image: path, entry: fs.entry.index, field: field, offset: UInt64(fs.entry.offset))
                }
            }
            info.ids = ids?.value
            if let ids {
                let idsRef = Finding.Reference(image: own.path(of: "ids-\(pid).img"), entry: ids.entry.index)
                let name = "fdinfo-\(ids.value.filesID).img"
                if let fdinfo = decodeImage(own, name, FileDescriptorInfo.self, required: true,
                                            why: "ids-\(pid).img names fd table \(ids.value.filesID)", from: idsRef) {
                    let first = doneFDTables.insert(ids.value.filesID).inserted
                    for (fd, entry) in fdinfo {
                        info.fds.insert(fd.fd)
                        info.fileIDs.insert(fd.id)
                        guard first else { continue }
                        guard filesLoaded else { continue }
                        guard let file = files[fd.id] else {
                            add("fd.unresolved", .error, "fd \(fd.fd) (\(fd.type)) refers to file id \(fd.id), which files.img does not have",
                                image: own.path(of: name), entry: entry.index, field: "fd \(fd.fd)", offset: UInt64(entry.offset),
                                from: Finding.Reference(image: own.path(of: "files.img")),
                                hint: "files.img lost an entry, or the fd table comes from another dump.")
                            continue
                        }
                        if file.file.type != fd.type {
                            add("fd.type.mismatch", .error, "fd \(fd.fd) is \(fd.type) in \(name) but file id \(fd.id) is \(file.file.type) in files.img",
                                image: own.path(of: name), entry: entry.index, field: "fd \(fd.fd)", offset: UInt64(entry.offset),
                                from: Finding.Reference(image: own.path(of: "files.img"), entry: file.entry.index))
                        }
                    }
                }
                checkNamespaceImages(pid: pid, ids: ids.value, ref: idsRef)
            }
            processes.append(info)
        }
        checkArchitectures(cores)
        return tree.map(\.value)
    }

    mutating func checkNamespaceImages(pid: UInt32, ids: KernelObjectIDs, ref: Finding.Reference) {
        guard inventory?.namespacesPerID == true, let root = inventory?.rootIDs else { return }
        let spaces: [(String, UInt32?, UInt32?, String)] = [
            ("mount", ids.mountNamespaceID, root.mountNamespaceID, "mountpoints-"),
            ("UTS", ids.utsNamespaceID, root.utsNamespaceID, "utsns-"),
            ("IPC", ids.ipcNamespaceID, root.ipcNamespaceID, "ipcns-var-"),
        ]
        for (label, id, rootID, prefix) in spaces {
            guard let id, id != rootID else { continue }
            _ = frame(own, "\(prefix)\(id).img", required: true, why: "process \(pid) lives in its own \(label) namespace (id \(id))", from: ref)
        }
    }

    mutating func checkArchitectures(_ cores: [(tid: UInt32, core: Core, path: String, entry: ImageEntry)]) {
        ran("core.arch.mismatch", "core.arch.unknown")
        guard let first = cores.first else { return }
        architecture = first.core.architecture
        for c in cores {
            let offset = UInt64(c.entry.offset)
            if case .unknown(let n) = c.core.architecture {
                add("core.arch.unknown", .error, "thread \(c.tid) has architecture \(n), which is not a CRIU architecture",
                    image: c.path, entry: c.entry.index, field: "mtype", offset: offset)
            } else if c.core.architecture != first.core.architecture {
                add("core.arch.mismatch", .error,
                    "thread \(c.tid) is \(c.core.architecture.machineName) but thread \(first.tid) is \(first.core.architecture.machineName); a checkpoint holds one architecture",
                    image: c.path, entry: c.entry.index, field: "mtype", offset: offset,
                    from: Finding.Reference(image: first.path, entry: first.entry.index))
            } else if let registers = c.core.registers, registers.architecture != c.core.architecture {
                add("core.arch.mismatch", .error,
                    "thread \(c.tid) says \(c.core.architecture.machineName) but carries \(registers.architecture.machineName) registers",
                    image: c.path, entry: c.entry.index, field: "thread_info", offset: offset)
            }
        }
    }


    mutating func decidePageSize() {
        if let size = processes.lazy.compactMap({ $0.memory?.pageSize }).first, size > 0, size & (size - 1) == 0 {
            pageSize = size
            pageSizeSource = "auxv"
        } else if case .ppc64? = architecture {
            pageSize = 65536
            pageSizeSource = "architecture default"
        } else {
            pageSize = 4096
            pageSizeSource = "architecture default"
        }
    }

    // MARK: Pagemaps

    mutating func checkPagemaps(_ k: Int) {
        ran("pagemap.unaligned", "pagemap.unsorted", "pagemap.overlap", "pagemap.pages.short", "pagemap.pages.extra", "pages.orphan")
        let set = sets[k]
        let names = set.fileNames()
        var used = Set<UInt32>()
        var owners: [UInt32: [(name: String, info: PagemapInfo, stale: Bool)]] = [:]
        let referencedShmem = k == 0 ? referencedSharedMemory() : nil
        for name in names where name.hasPrefix("pagemap-") && name.hasSuffix(".img") {
            guard let info = pagemap(k, name) else { continue }
            used.insert(info.pagesID)
            owners[info.pagesID, default: []].append((name, info, isStale(name, referencedShmem: referencedShmem)))
        }
        // Each pages file is accounted for by the pagemaps that own it. Pagemaps no process references
        // (left from another dump) are reported as stale and do not count; two live pagemaps claiming
        // one pages_id is itself the fault.
        for (pagesID, list) in owners.sorted(by: { $0.key < $1.key }) {
            let pagesName = "pages-\(pagesID).img"
            let live = list.filter { !$0.stale }
            let pagesPresent = ((try? set.member(pagesName)) ?? nil) != nil
            for owner in live where !pagesPresent && owner.info.bytesUsed > 0 {
                add("image.missing", .error, "\(pagesName) is missing: \(owner.name) has \(owner.info.bytesUsed / pageSize) pages in it",
                    image: set.path(of: pagesName), from: Finding.Reference(image: owner.info.path, entry: 0))
            }
            for stale in list where stale.stale {
                let others = list.filter { $0.name != stale.name }.map(\.name)
                add("image.stale", .warning,
                    "\(stale.name) belongs to no \(stale.name.hasPrefix("pagemap-shmem-") ? "shared memory any process maps" : "process of pstree.img")"
                        + (others.isEmpty ? "" : "; it claims \(pagesName) like \(others.joined(separator: ", ")) (pages_id \(pagesID)), whose pages are accounted to \(live.first?.name ?? others[0])")
                        + (pagesPresent || stale.info.bytesUsed == 0 ? "" : "; its pages file \(pagesName) is absent too"),
                    image: stale.info.path,
                    hint: "A leftover of another dump in the same directory: CRIU ignores it on restore; remove it, or dump into an empty directory.")
            }
            if live.count > 1 {
                ran("pagemap.pages-id.shared")
                add("pagemap.pages-id.shared", .error,
                    "\(live.map(\.name).joined(separator: " and ")) both claim \(pagesName) (pages_id \(pagesID)); a pages file belongs to one pagemap",
                    image: live[0].info.path, from: Finding.Reference(image: live[1].info.path),
                    hint: "The images come from different dumps.")
                continue
            }
            guard let owner = live.first ?? list.first,
                  let pagesSize = ((try? set.member(pagesName)) ?? nil).map({ set.source.availableSize(of: $0) }),
                  pagesSize > owner.info.bytesUsed else { continue }
            let extra = pagesSize - owner.info.bytesUsed
            add("pagemap.pages.extra", .error,
                "\(pagesName) has \(plural(pagesSize, "byte")) but \(owner.name) accounts for \(owner.info.bytesUsed) (\(plural(owner.info.bytesUsed / pageSize, "page"))); \(plural(extra, "byte"))\(extra % pageSize == 0 ? " (\(plural(extra / pageSize, "page")))" : "") \(extra == 1 ? "belongs" : "belong") to no entry",
                image: set.path(of: pagesName), from: Finding.Reference(image: owner.info.path, entry: 0),
                hint: "The pagemap and the pages file do not belong together (an entry was lost, or the pages file comes from another dump).")
        }
        for name in names where name.hasPrefix("pages-") && name.hasSuffix(".img") {
            guard let id = UInt32(name.dropFirst("pages-".count).dropLast(4)), !used.contains(id) else { continue }
            let size = (try? set.member(name))??.size ?? 0
            add("pages.orphan", size > 0 ? .warning : .info, "\(name) (\(plural(size, "byte"))) belongs to no pagemap of \(set.label)",
                image: set.path(of: name))
        }
    }

    /// Shared-memory ids some process maps: anonymous shared VMAs and memfd inodes. nil when the
    /// process tree was not read (then nothing is called stale).
    func referencedSharedMemory() -> Set<UInt64>? {
        guard treeTasks != nil else { return nil }
        var ids = Set<UInt64>()
        for process in processes {
            for vma in process.memory?.vmas ?? [] where vma.isAnonymousShared || vma.status.contains(.sysVIPC) { ids.insert(vma.shmid) }
        }
        for inode in memfdInodes.values { ids.insert(UInt64(inode.shmid)) }
        return ids
    }

    /// Whether a per-task or shared-memory image of the checkpoint's own set belongs to nothing the
    /// process tree names (a leftover of another dump in the same directory).
    func isStale(_ name: String, referencedShmem: Set<UInt64>?) -> Bool {
        guard name.hasSuffix(".img"), let tasks = treeTasks else { return false }
        if name.hasPrefix("pagemap-shmem-") {
            guard let referencedShmem, let id = UInt64(name.dropFirst("pagemap-shmem-".count).dropLast(4)) else { return false }
            return !referencedShmem.contains(id)
        }
        for prefix in ["pagemap-", "core-", "mm-", "ids-", "fs-"] where name.hasPrefix(prefix) {
            guard let id = UInt32(name.dropFirst(prefix.count).dropLast(4)) else { return false }
            return !tasks.contains(id)
        }
        return false
    }

    /// Per-task images of the own set that no task of pstree.img has (pagemaps are reported with
    /// the page accounting).
    mutating func checkStaleTaskImages() {
        ran("image.stale")
        guard treeTasks != nil else { return }
        for name in own.fileNames() where !name.hasPrefix("pagemap-") && isStale(name, referencedShmem: nil) {
            add("image.stale", .warning, "\(name) belongs to no process or thread of pstree.img", image: own.path(of: name),
                hint: "A leftover of another dump in the same directory: CRIU ignores it on restore; remove it, or dump into an empty directory.")
        }
    }

    /// Analyses one pagemap once: framing, order, alignment, overlap, and its pages file's size.
    mutating func pagemap(_ k: Int, _ name: String) -> PagemapInfo? {
        let key = "\(k)/\(name)"
        if let cached = pagemaps[key] { return cached }
        let info = analysePagemap(k, name)
        pagemaps[key] = .some(info)
        return info
    }

    private mutating func analysePagemap(_ k: Int, _ name: String) -> PagemapInfo? {
        let set = sets[k]
        guard let framed = frame(set, name) else { return nil }
        guard let head = decode(framed, PagemapHead.self)?.first else {
            if framed.image.entries.isEmpty { add("image.corrupt", .error, "a pagemap starts with a pagemap_head; this one is empty", image: framed.path) }
            return nil
        }
        guard let entries = decode(framed, PagemapEntry.self) else { return nil }
        let pagesName = "pages-\(head.value.pagesID).img"
        let pagesPath = set.path(of: pagesName)
        let pagesMember = (try? set.member(pagesName)) ?? nil
        let pagesSize = pagesMember?.size
        var runs: [Run] = []
        var bytesUsed: UInt64 = 0
        var previousStart: UInt64?
        var maxEnd: UInt64 = 0
        var reportedShort = false
        for (entry, e) in entries {
            let count = entry.effectivePageCount
            let flags = entry.effectiveFlags
            let offset = UInt64(e.offset)
            let (length, o1) = count.multipliedReportingOverflow(by: pageSize)
            let (end, o2) = entry.vaddr.addingReportingOverflow(length)
            if o1 || o2 {
                add("pagemap.invalid", .error, "\(plural(count, "page")) at \(Self.hex(entry.vaddr)) run past the end of the address space",
                    image: framed.path, entry: e.index, offset: offset)
                continue
            }
            if entry.vaddr % pageSize != 0 {
                add("pagemap.unaligned", .error, "address \(Self.hex(entry.vaddr)) is not aligned to the \(pageSize)-byte page size",
                    image: framed.path, entry: e.index, offset: offset)
            }
            if let previousStart, entry.vaddr < previousStart {
                add("pagemap.unsorted", .error,
                    "entry at \(Self.hex(entry.vaddr)) comes after one at \(Self.hex(previousStart)); entries must ascend (the pages file is read in entry order)",
                    image: framed.path, entry: e.index, offset: offset)
            } else if previousStart != nil, entry.vaddr < maxEnd {
                add("pagemap.overlap", .error,
                    "entry at \(Self.hex(entry.vaddr)) overlaps the previous entries, which reach \(Self.hex(maxEnd))",
                    image: framed.path, entry: e.index, offset: offset)
            }
            previousStart = entry.vaddr
            maxEnd = max(maxEnd, end)
            guard count > 0 else { continue }
            if flags.contains(.present) {
                let next = bytesUsed &+ length
                if let pagesSize, next > pagesSize, !reportedShort {
                    reportedShort = true
                    let missing = next - pagesSize
                    add("pagemap.pages.short", .error,
                        "\(plural(count, "page")) at \(Self.hex(entry.vaddr)) need bytes \(bytesUsed)..<\(next) of \(pagesName), which has \(pagesSize) (\(plural(missing, "byte")) short\(pagesSize % pageSize != 0 ? ", not a whole number of pages" : ""))",
                        image: framed.path, entry: e.index, offset: offset, from: Finding.Reference(image: pagesPath),
                        hint: "The pages file was cut short (a full disk or an interrupted copy); the restored memory would be missing.")
                }
                runs.append(Run(start: entry.vaddr, end: end, kind: .present, entry: e.index, offset: e.offset))
                bytesUsed = next
            } else if flags.contains(.parent) {
                runs.append(Run(start: entry.vaddr, end: end, kind: .parent, entry: e.index, offset: e.offset))
            } else {
                runs.append(Run(start: entry.vaddr, end: end, kind: .lazy, entry: e.index, offset: e.offset))
            }
        }
        // Whether the pages file holds bytes no entry accounts for is decided per pages_id owner, by
        // checkPagemaps, once every pagemap of the set is known.
        return PagemapInfo(path: framed.path, pagesID: head.value.pagesID, runs: runs, bytesUsed: bytesUsed)
    }

    /// Address ranges of set `k`'s pagemap `name` that have data somewhere in the chain, merged and sorted.
    mutating func coverage(_ k: Int, _ name: String, depth: Int = 0) -> [Range<UInt64>] {
        guard k < sets.count, depth < 64, let info = pagemap(k, name) else { return [] }
        var ranges: [Range<UInt64>] = []
        var parent: [Range<UInt64>]?
        for run in info.runs {
            switch run.kind {
            case .present: ranges.append(run.start..<run.end)
            case .lazy: break
            case .parent:
                if parent == nil { parent = coverage(k + 1, name, depth: depth + 1) }
                ranges += Self.intersect(run.start..<run.end, parent ?? [])
            }
        }
        return Self.merge(ranges)
    }

    static func merge(_ ranges: [Range<UInt64>]) -> [Range<UInt64>] {
        var out: [Range<UInt64>] = []
        for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) where !r.isEmpty {
            if let last = out.last, r.lowerBound <= last.upperBound {
                out[out.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
            } else {
                out.append(r)
            }
        }
        return out
    }

    static func intersect(_ range: Range<UInt64>, _ sorted: [Range<UInt64>]) -> [Range<UInt64>] {
        sorted.compactMap { r in
            let lo = max(r.lowerBound, range.lowerBound), hi = min(r.upperBound, range.upperBound)
            return lo < hi ? lo..<hi : nil
        }
    }

    /// The parts of `range` not covered by `sorted` (merged) ranges.
    static func subtract(_ sorted: [Range<UInt64>], from range: Range<UInt64>) -> [Range<UInt64>] {
        var out: [Range<UInt64>] = []
        var cursor = range.lowerBound
        for r in sorted where r.upperBound > cursor && r.lowerBound < range.upperBound {
            if r.lowerBound > cursor { out.append(cursor..<r.lowerBound) }
            cursor = max(cursor, r.upperBound)
            if cursor >= range.upperBound { break }
        }
        if cursor < range.upperBound { out.append(cursor..<range.upperBound) }
        return out
    }

    mutating func checkParentPages() {
        ran("pagemap.parent.unresolved")
        for k in sets.indices {
            let set = sets[k]
            for name in set.fileNames() where name.hasPrefix("pagemap-") && name.hasSuffix(".img") {
                guard let info = pagemap(k, name), info.runs.contains(where: { $0.kind == .parent }) else { continue }
                let hasParent = k + 1 < sets.count
                let parentInfo = hasParent ? pagemap(k + 1, name) : nil
                let parentCoverage = parentInfo != nil ? coverage(k + 1, name) : []
                for run in info.runs where run.kind == .parent {
                    let missing = Self.subtract(parentCoverage, from: run.start..<run.end)
                    guard let first = missing.first else { continue }
                    let pages = missing.reduce(0) { $0 + ($1.upperBound - $1.lowerBound) } / pageSize
                    let why: String
                    if !hasParent {
                        why = "\(set.label) has no parent image set" + (parentNotes[k].map { ": " + $0 } ?? "")
                    } else if parentInfo == nil {
                        why = "the parent image set \(sets[k + 1].label) has no \(name)"
                    } else {
                        why = "the parent chain from \(sets[k + 1].label) has no data for them (first missing page \(Self.hex(first.lowerBound)))"
                    }
                    add("pagemap.parent.unresolved", .error,
                        "\(pages) of \(plural((run.end - run.start) / pageSize, "PE_PARENT page")) at \(Self.hex(run.start)) \(pages == 1 ? "does" : "do") not resolve: \(why)",
                        image: info.path, entry: run.entry, offset: UInt64(run.offset),
                        hint: hasParent ? "The parent (pre-dump) images do not match this dump." : "Give the pre-dump images (--previous ARCHIVE), or restore the `parent` link.")
                }
            }
        }
    }

    // MARK: Memory of each process

    /// The shmem id whose pagemap holds a VMA's pages (CRIU-FORMAT.md 3.6); mirrors ``Checkpoint/sharedMemoryID(of:)``.
    func sharedMemoryID(of vma: VMA) -> (id: UInt64?, problem: String?) {
        let s = vma.status
        if s.contains(.memfd) || (s.contains(.fileShared) && !s.contains(.anonymousShared)) {
            guard let entry = files[UInt32(truncatingIfNeeded: vma.shmid)] else { return (nil, nil) }
            guard case .memfd(let memfd) = entry.file.file else { return (nil, nil) }
            guard let inode = memfdInodes[memfd.inodeID] else { return (nil, "memfd inode \(memfd.inodeID) is not in memfd.img") }
            return (UInt64(inode.shmid), nil)
        }
        if s.contains(.anonymousShared) { return (vma.shmid, nil) }
        return (nil, nil)
    }

    mutating func checkMemory(_ process: ProcessInfo) {
        ran("vma.invalid", "vma.unsorted", "vma.overlap", "pagemap.outside-vma", "shmem.pagemap.missing", "memfd.inode.unresolved")
        guard let mm = process.memory, let path = process.memoryPath else { return }
        var previous: (index: Int, vma: VMA)?
        var maxEnd: UInt64 = 0
        var covered: [Range<UInt64>] = []
        for (i, vma) in mm.vmas.enumerated() where !vma.isGuard {
            let field = "vmas[\(i)]"
            let span = "\(Self.hex(vma.start))-\(Self.hex(vma.end))"
            if vma.end <= vma.start || vma.start % pageSize != 0 || vma.end % pageSize != 0 {
                add("vma.invalid", .error, "VMA \(span) is empty, reversed or not page-aligned", image: path, entry: 0, field: field)
            }
            if let p = previous {
                if vma.start < p.vma.start {
                    add("vma.unsorted", .error, "VMA \(span) comes after VMA \(Self.hex(p.vma.start))-\(Self.hex(p.vma.end)) (vmas[\(p.index)]); VMAs must ascend",
                        image: path, entry: 0, field: field)
                } else if vma.start < maxEnd {
                    add("vma.overlap", .error, "VMA \(span) overlaps VMA \(Self.hex(p.vma.start))-\(Self.hex(p.vma.end)) (vmas[\(p.index)])",
                        image: path, entry: 0, field: field, hint: "Two mappings cannot share addresses; the memory map is damaged.")
                }
            }
            previous = (i, vma)
            maxEnd = max(maxEnd, vma.end)
            if vma.end > vma.start { covered.append(vma.start..<vma.end) }
            if vma.isFileBacked, filesLoaded, files[UInt32(truncatingIfNeeded: vma.shmid)] == nil {
                add("file.unresolved", .error, "VMA \(span) maps file id \(vma.shmid), which files.img does not have", image: path, entry: 0, field: field + ".shmid")
            }
            let (shmid, problem) = sharedMemoryID(of: vma)
            if let problem {
                add("memfd.inode.unresolved", .error, "VMA \(span): \(problem)", image: path, entry: 0, field: field + ".shmid")
            }
            if let shmid, !exists(own, "pagemap-shmem-\(shmid).img") {
                add("shmem.pagemap.missing", .error,
                    "VMA \(span) maps shared memory \(shmid), but pagemap-shmem-\(shmid).img is missing",
                    image: own.path(of: "pagemap-shmem-\(shmid).img"), from: Finding.Reference(image: path, entry: 0),
                    hint: "The contents of shared memory are lost; the restore fails opening that pagemap.")
            }
        }
        let union = Self.merge(covered)
        guard let info = pagemap(0, "pagemap-\(process.pid).img") else { return }
        for run in info.runs {
            let outside = Self.subtract(union, from: run.start..<run.end)
            guard let first = outside.first else { continue }
            let pages = outside.reduce(0) { $0 + ($1.upperBound - $1.lowerBound) } / pageSize
            add("pagemap.outside-vma", .error,
                "\(plural(pages, "page")) of the entry at \(Self.hex(run.start))-\(Self.hex(run.end)) \(pages == 1 ? "lies" : "lie") outside every VMA of mm-\(process.pid).img (first \(Self.hex(first.lowerBound)))",
                image: info.path, entry: run.entry, offset: UInt64(run.offset), from: Finding.Reference(image: path, entry: 0))
        }
    }

    mutating func checkMemFDs() {
        for inode in memfdInodes.values.sorted(by: { $0.inodeID < $1.inodeID }) where !exists(own, "pagemap-shmem-\(inode.shmid).img") {
            add("shmem.pagemap.missing", .error,
                "memfd \"\(inode.name)\" (inode \(inode.inodeID)) keeps its contents in pagemap-shmem-\(inode.shmid).img, which is missing",
                image: own.path(of: "pagemap-shmem-\(inode.shmid).img"), from: Finding.Reference(image: own.path(of: "memfd.img")))
        }
    }

    // MARK: Files, pipes, sockets

    mutating func checkFileLinks() {
        ran("unix.peer.unresolved", "epoll.target.unresolved", "pipe.unresolved", "memfd.inode.unresolved", "tcp.stream.missing",
            "tcp.stream.incomplete", "skqueue.incomplete", "skqueue.unresolved", "ghost.incomplete")
        let filesPath = own.path(of: "files.img")
        var unixInodes = Set<UInt32>()
        var pipeIDs = Set<UInt32>()
        var fifoIDs = Set<UInt32>()
        for id in fileOrder {
            switch files[id]!.file.file {
            case .unixSocket(let u): unixInodes.insert(u.inode)
            case .pipe(let p): pipeIDs.insert(p.pipeID)
            case .fifo(let f): fifoIDs.insert(f.pipeID)
            default: break
            }
        }
        for id in fileOrder {
            let (file, entry) = files[id]!
            let offset = UInt64(entry.offset)
            switch file.file {
            case .unixSocket(let u):
                if u.peer != 0 && !unixInodes.contains(u.peer) {
                    add("unix.peer.unresolved", .error, "unix socket \(u.inode) (file id \(u.id)) is connected to socket \(u.peer), which is not in files.img",
                        image: filesPath, entry: entry.index, field: "usk.peer", offset: offset,
                        hint: "The peer was not dumped; dump with --ext-unix-sk, or include the peer's process.")
                }
            case .eventpoll(let ep):
                let owners = processes.filter { $0.fileIDs.contains(ep.id) }
                guard !owners.isEmpty else { continue }
                for (j, target) in ep.targets.enumerated() where !owners.contains(where: { $0.fds.contains(target.fd) }) {
                    add("epoll.target.unresolved", .error,
                        "epoll file id \(ep.id) watches fd \(target.fd), which no process holding the epoll has open",
                        image: filesPath, entry: entry.index, field: "epfd.tfd[\(j)]", offset: offset)
                }
            case .fifo(let f):
                if let r = f.regularFileID, files[r] == nil {
                    add("file.unresolved", .error, "FIFO file id \(f.id) names its path in file id \(r), which files.img does not have",
                        image: filesPath, entry: entry.index, field: "fifo.regf_id", offset: offset)
                }
            case .memfd(let m):
                if memfdInodes[m.inodeID] == nil {
                    add("memfd.inode.unresolved", .error, "memfd file id \(m.id) refers to inode \(m.inodeID), which memfd.img does not have",
                        image: filesPath, entry: entry.index, field: "memfd.inode_id", offset: offset)
                }
            case .inetSocket(let s) where s.protocolNumber == 6 && s.type == 1 && s.state == 1:
                guard inventory?.tcpClose != true else { continue }
                let name = "tcp-stream-\(String(s.inode, radix: 16)).img"
                let ref = Finding.Reference(image: filesPath, entry: entry.index)
                guard exists(own, name) else {
                    add("tcp.stream.missing", .error, "established TCP socket \(s.inode) (file id \(s.id), port \(s.sourcePort) -> \(s.destinationPort)) has no \(name)",
                        image: own.path(of: name), from: ref,
                        hint: "Its queues and sequence numbers are lost: restore with --tcp-close, or take the checkpoint again.")
                    continue
                }
                if let framed = frame(own, name, from: ref), let stream = decode(framed, TCPStream.self) {
                    if stream.isEmpty {
                        add("tcp.stream.incomplete", .error, "\(name) holds no tcp_stream_entry", image: framed.path, from: ref)
                    }
                }
            default:
                break
            }
        }
        // Queued pipe data.
        for (image, ids, kind) in [("pipes-data.img", pipeIDs, "pipe"), ("fifo-data.img", fifoIDs, "FIFO")] {
            for (data, entry) in decodeImage(own, image, PipeData.self) ?? [] where !ids.contains(data.pipeID) {
                add("pipe.unresolved", .error, "\(data.byteCount) queued bytes belong to \(kind) \(data.pipeID), which no \(kind) in files.img has",
                    image: own.path(of: image), entry: entry.index, offset: UInt64(entry.offset))
            }
        }
        // Socket queues.
        for (packet, entry) in decodeImage(own, "sk-queues.img", SocketPacket.self) ?? [] {
            let isSocket: Bool
            switch files[packet.socketID]?.file.file {
            case .unixSocket?, .inetSocket?, .packetSocket?, .netlinkSocket?: isSocket = true
            default: isSocket = false
            }
            if !isSocket {
                add("skqueue.unresolved", .error, "a \(packet.length)-byte queued packet belongs to file id \(packet.socketID), which is not a socket in files.img",
                    image: own.path(of: "sk-queues.img"), entry: entry.index, field: "id_for", offset: UInt64(entry.offset))
            }
        }
        // Deleted files.
        for (remap, entry) in decodeImage(own, "remap-fpath.img", RemapFilePath.self) ?? [] {
            let remapPath = own.path(of: "remap-fpath.img")
            let ref = Finding.Reference(image: remapPath, entry: entry.index)
            guard let original = files[remap.originalID] else {
                add("file.unresolved", .error, "remap of file id \(remap.originalID), which files.img does not have",
                    image: remapPath, entry: entry.index, field: "orig_id", offset: UInt64(entry.offset))
                continue
            }
            guard remap.effectiveType == .ghost else { continue }
            let id = remap.type == nil ? remap.remapID & 0x7fff_ffff : remap.remapID
            let name = "ghost-file-\(String(id, radix: 16)).img"
            var fileName = "file id \(remap.originalID)"
            var expected: UInt64?
            if case .regular(let reg) = original.file.file {
                fileName = reg.name.description
                expected = reg.size
            }
            guard exists(own, name) else {
                add("ghost.incomplete", .error, "the deleted file \(fileName) keeps its contents in \(name), which is missing",
                    image: own.path(of: name), from: ref, hint: "Without it the deleted-but-open file cannot be recreated.")
                continue
            }
            guard let framed = frame(own, name, from: ref), let ghost = decode(framed, GhostFile.self)?.first else { continue }
            guard ghost.value.mode & 0o170000 == 0o100000 else { continue }
            if ghost.value.isChunked == true {
                let size = ghost.value.size ?? expected ?? 0
                for (chunk, e) in decode(framed, GhostChunk.self) ?? [] where chunk.offset &+ chunk.length > size {
                    add("ghost.incomplete", .error, "chunk \(chunk.offset)+\(chunk.length) runs past the file's size \(size)",
                        image: framed.path, entry: e.index, offset: UInt64(e.offset), from: ref)
                }
            } else if let expected, let extra = ghost.entry.extra {
                let have = UInt64(extra.byteCount)
                if have != expected {
                    add("ghost.incomplete", .error, "holds \(plural(have, "byte")) of \(fileName), which had \(expected)\(have < expected ? " (truncated)" : " (extra bytes)")",
                        image: framed.path, entry: ghost.entry.index, offset: UInt64(ghost.entry.offset), from: ref)
                }
            }
        }
    }

    // MARK: Logs

    mutating func checkLogs(_ logs: [CRIULog]) {
        ran("log.failed", "log.error", "log.warning", "log.harmless", "log.caution")
        for log in logs {
            for c in log.cautions {
                add("log.caution", .warning, "\(log.name) line \(c.line): \(c.title)", area: .log, image: log.name, hint: c.text)
            }
            let what = log.operation == .unknown ? "operation" : log.operation.rawValue
            let firstError = log.significantErrors.first
            if log.outcome == .failure {
                let cause = firstError.map { " First error, line \($0.line)\($0.location.map { " (\($0))" } ?? ""): \($0.text)" } ?? ""
                add("log.failed", log.operation == .restore ? .warning : .error,
                    "\(log.name) says the \(what) failed (line \(log.outcomeLine ?? 0)).\(cause)",
                    area: .log, image: log.name, hint: firstError?.explanation.map { "\($0.title): \($0.text)" })
            }
            for m in log.messages where !log.isCaution(m) {
                let place = "line \(m.line)\(m.location.map { " (\($0))" } ?? "")"
                if let reason = m.harmless {
                    add("log.harmless", .info, "\(log.name) \(place): \(m.text) — known harmless", area: .log, image: log.name, hint: reason)
                } else if m.level == .error, log.outcome != .failure {
                    add("log.error", .warning, "\(log.name) \(place): \(m.text)", area: .log, image: log.name,
                        hint: m.explanation.map { "\($0.title): \($0.text)" })
                } else if m.level == .warning {
                    add("log.warning", .info, "\(log.name) \(place): \(m.text)", area: .log, image: log.name)
                }
            }
        }
    }

    // MARK: Facts

    func facts(checkpoint: Checkpoint?, logs: [CRIULog]) -> [Fact] {
        var facts: [Fact] = []
        facts.append(Fact("source", sourceKind(source.kind)))
        if let checkpoint { facts.append(Fact("engine", checkpoint.engine.engine.rawValue)) }
        facts.append(Fact("architecture", architecture.map(\.machineName) ?? "unknown"))
        facts.append(Fact("page size", "\(pageSize) (\(pageSizeSource))"))
        facts.append(Fact("CRIU version", criuVersion(checkpoint: checkpoint, logs: logs) ?? "unknown"))
        facts.append(Fact("image version", inventory.map { String($0.imageVersion) } ?? "unknown"))
        if let kernel = logs.lazy.compactMap(\.kernel).first { facts.append(Fact("kernel", kernel)) }
        facts.append(Fact("processes", String(processCount)))
        facts.append(Fact("threads", String(threadCount)))
        if sets.count > 1 { facts.append(Fact("parents", sets.dropFirst().map(\.label).joined(separator: ", "))) }
        return facts
    }

    func criuVersion(checkpoint: Checkpoint?, logs: [CRIULog]) -> String? {
        logs.lazy.compactMap(\.criuVersion).first ?? checkpoint?.facts.criuVersion
    }

    func sourceKind(_ kind: CheckpointSource.Kind) -> String {
        switch kind {
        case .directory: "directory"
        case .tar(let c): c == .none ? "tar" : "tar." + c.rawValue
        case .stdin(let c): "stdin:" + c.rawValue
        }
    }
}
