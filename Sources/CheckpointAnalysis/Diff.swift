public import Checkpoint
import CheckpointArchive
import CRIUImages
import Foundation
internal import Synchronization

/// Options of ``diff(_:_:options:progress:)``.
public struct DiffOptions: Sendable {
    /// The sections to compare (the memory section is the expensive one).
    public var sections: Set<DiffSection>
    /// Also list the compared items that are equal (``CheckpointDiff/unchanged``).
    public var includeUnchanged: Bool
    /// Capture up to this many bytes of differing 16-byte lines of changed pages (`--hexdump`); 0: none.
    public var hexdumpBytes: Int
    /// Pages above which a pair is compared by two workers (see ``PageDiff``); tests lower it.
    var parallelAbove = 8192
    /// Hash the contents of same-size files in `rootfs-diff.tar`, volumes and `/dev/shm` (one pass
    /// over each nested tar on each side).
    public var hashFileContents: Bool

    /// Options; by default every section, no unchanged items, no hexdump, and file contents hashed.
    public init(sections: Set<DiffSection> = Set(DiffSection.allCases), includeUnchanged: Bool = false,
                hexdumpBytes: Int = 0, hashFileContents: Bool = true) {
        self.sections = sections
        self.includeUnchanged = includeUnchanged
        self.hexdumpBytes = hexdumpBytes
        self.hashFileContents = hashFileContents
    }
}

/// Compares two opened checkpoints, section by section, down to the page.
///
/// Processes are paired by pid inside the checkpoint's pid namespace; processes whose pid has no
/// partner are then paired by tree position and comm (``PairingMethod``). Checkpoints of different
/// containers may be compared; the result then carries a warning.
///
/// ```swift
/// let result = try diff(Checkpoint.open("gen1"), Checkpoint.open("gen2"))
/// for m in result.memory { print(m.a.pid, m.changedPages, m.addedPages) }
/// ```
///
/// - Parameters:
///   - options: the sections to compare and what to capture.
///   - progress: told how the memory section advances: `done` of `total` pages, where `total` is
///     the number of pages dumped on both sides of the paired processes (counted before comparing,
///     only when a reporter is given). Called on the calling thread, about once per 1,024 pages
///     (or 8 MiB read); `done` never decreases and ends at `total`. Where pages are hashed first
///     (a compressed archive on either side), `done` measures work: hashing each side's pages is
///     a third of it and reading the pages that differ again the last third. Not called when the
///     memory section is not compared. Throttle any drawing.
public func diff(
    _ a: Checkpoint, _ b: Checkpoint, options: DiffOptions = DiffOptions(),
    progress: ((_ done: UInt64, _ total: UInt64) -> Void)? = nil
) throws(CheckpointError) -> CheckpointDiff {
    let needsMemoryStrings = options.sections.contains(.processes)
    return try diff(CheckpointSnapshot(a, readMemory: needsMemoryStrings), CheckpointSnapshot(b, readMemory: needsMemoryStrings),
                    options: options, progress: progress)
}

/// Compares two snapshots (see ``CheckpointSnapshot``; edit one to see how a change is reported).
///
/// `progress` is as for the overload that compares two ``Checkpoint``s.
public func diff(
    _ a: CheckpointSnapshot, _ b: CheckpointSnapshot, options: DiffOptions = DiffOptions(),
    progress: ((_ done: UInt64, _ total: UInt64) -> Void)? = nil
) throws(CheckpointError) -> CheckpointDiff {
    var differ = Differ(a: a, b: b, options: options)
    differ.progress = progress
    return try differ.run()
}

/// The work of one diff.
struct Differ {
    let a: CheckpointSnapshot
    let b: CheckpointSnapshot
    let options: DiffOptions
    var result: CheckpointDiff
    /// Pairs of process indexes (A, B).
    var pairs: [(a: Int, b: Int, method: PairingMethod)] = []
    var added: [Int] = []
    var removed: [Int] = []
    /// Each side's container id (full and short): replaced by `<id>` in mount, cgroup and fd paths, so
    /// two containers' otherwise equal paths compare equal (the id itself is reported once, in `container`).
    let ids: [[String]]
    /// Told how the memory section advances (see ``diff(_:_:options:progress:)``).
    var progress: ((_ done: UInt64, _ total: UInt64) -> Void)?

    init(a: CheckpointSnapshot, b: CheckpointSnapshot, options: DiffOptions) {
        self.a = a
        self.b = b
        self.options = options
        func side(_ s: CheckpointSnapshot) -> DiffSide {
            DiffSide(path: s.checkpoint.path, engine: s.checkpoint.engine.engine.rawValue, containerName: s.checkpoint.engine.containerName,
                     containerID: s.checkpoint.engine.containerID, processes: s.processes.count, pagesBytes: s.checkpoint.sizes.pages)
        }
        result = CheckpointDiff(a: side(a), b: side(b), sections: options.sections.sorted())
        ids = [a, b].map { s in
            guard let id = s.checkpoint.engine.containerID, id.count >= 12 else { return [] }
            return [id, String(id.prefix(12))]
        }
    }

    /// `s` of side 0 (A) or 1 (B) with the container id replaced by `<id>`.
    func norm(_ s: String, _ side: Int) -> String {
        var out = s
        for id in ids[side] where Self.occurs(id, in: out) { out = out.replacing(id, with: "<id>") }
        return out
    }

    /// Whether `needle` occurs in `s`, byte for byte in UTF-8 (what `contains` means for the ASCII
    /// ids looked for here), by the memory search's memmem; `String.contains(_:)` goes through the
    /// generic string searcher, which cost more than the memory comparison at 500 processes.
    static func occurs(_ needle: String, in s: String) -> Bool {
        let found = s.utf8.withContiguousStorageIfAvailable { h in
            needle.utf8.withContiguousStorageIfAvailable { n in Matcher.occurs(UnsafeRawBufferPointer(n), in: UnsafeRawBufferPointer(h)) }
        }
        return (found ?? nil) ?? s.contains(needle)
    }

    mutating func run() throws(CheckpointError) -> CheckpointDiff {
        let ea = a.checkpoint.engine, eb = b.checkpoint.engine
        if let ia = ea.containerID, let ib = eb.containerID, ia != ib {
            result.warnings.append("different containers: A is \(ea.containerName ?? "?") (\(ia.prefix(12))), B is \(eb.containerName ?? "?") (\(ib.prefix(12)))")
        }
        if a.checkpoint.facts.pageSize != b.checkpoint.facts.pageSize {
            result.warnings.append("page sizes differ (\(a.checkpoint.facts.pageSize) and \(b.checkpoint.facts.pageSize)): memory is not compared")
        }
        pairProcesses()
        for (ia, ib, method) in pairs where method != .pid {
            result.warnings.append("process \(a.processes[ia].process.pid) (\(a.processes[ia].process.command)) of A paired with \(b.processes[ib].process.pid) of B by \(method == .tree ? "tree position" : "comm and depth")")
        }
        var sections = options.sections
        // A pre-checkpoint records memory only: its processes, VMAs, files and statistics are not
        // there to compare, so a diff with one compares memory (and says so).
        let preDumps = [a, b].enumerated().filter { $0.element.checkpoint.processTree == .preDump }.map { $0.offset == 0 ? "A" : "B" }
        if !preDumps.isEmpty {
            result.warnings.append("\(preDumps.joined(separator: " and ")) \(preDumps.count == 1 ? "is a pre-checkpoint, which records" : "are pre-checkpoints, which record") memory only (no process tree, VMAs or files): only memory is compared")
            sections = sections.intersection([.memory])
            result.sections = sections.sorted()
        }
        for (name, side) in [("A", a), ("B", b)] {
            for missing in side.checkpoint.missingParents {
                result.warnings.append("\(name): \(missing.description); those pages are not compared (give the pre-checkpoint with --previous-\(name.lowercased()))")
            }
        }
        if sections.contains(.container) { diffContainer() }
        if sections.contains(.processes) { diffProcesses() }
        if sections.contains(.vmas) { try diffVMAs() }
        if sections.contains(.memory) && a.checkpoint.facts.pageSize == b.checkpoint.facts.pageSize { try diffMemory() }
        if sections.contains(.fds) || sections.contains(.sockets) { diffFDs() }
        if sections.contains(.mounts) { diffMounts() }
        if sections.contains(.cgroups) { diffCgroups() }
        if sections.contains(.files) { try diffFiles() }
        if sections.contains(.stats) { diffStats() }
        result.equal = sections.allSatisfy { result.summary($0).isEmpty }
        return result
    }

    func ref(_ s: CheckpointSnapshot, _ i: Int) -> ProcessRef {
        ProcessRef(pid: s.processes[i].process.pid, comm: s.processes[i].process.command)
    }

    mutating func unchanged(_ section: DiffSection, _ label: String) {
        guard options.includeUnchanged else { return }
        result.unchanged[section.rawValue, default: []].append(label)
    }

    // MARK: - Pairing

    /// Pid first; then tree position (parents paired) and comm; then comm and depth.
    mutating func pairProcesses() {
        let pa = a.processes.map(\.process), pb = b.processes.map(\.process)
        var bOfA = [Int?](repeating: nil, count: pa.count)
        var aOfB = [Int?](repeating: nil, count: pb.count)
        var method = [PairingMethod](repeating: .pid, count: pa.count)
        var indexB: [UInt32: Int] = [:]
        for (i, p) in pb.enumerated() where indexB[p.pid] == nil { indexB[p.pid] = i }
        for (i, p) in pa.enumerated() {
            if let j = indexB[p.pid], aOfB[j] == nil {
                bOfA[i] = j
                aOfB[j] = i
            }
        }
        var indexA: [UInt32: Int] = [:]
        for (i, p) in pa.enumerated() where indexA[p.pid] == nil { indexA[p.pid] = i }
        func parentIndex(_ list: [CheckpointProcess], _ index: [UInt32: Int], _ i: Int) -> Int? {
            let p = list[i]
            guard p.ppid != 0, p.ppid != p.pid else { return nil }
            return index[p.ppid]
        }
        // Tree position: same comm, parents paired with each other (or both roots).
        for i in pa.indices where bOfA[i] == nil {
            let parentA = parentIndex(pa, indexA, i)
            for j in pb.indices where aOfB[j] == nil && pb[j].command == pa[i].command {
                let parentB = parentIndex(pb, indexB, j)
                let match: Bool =
                    if let parentA, let parentB { bOfA[parentA] == parentB } else { parentA == nil && parentB == nil }
                if match {
                    bOfA[i] = j
                    aOfB[j] = i
                    method[i] = .tree
                    break
                }
            }
        }
        // Comm and depth.
        for i in pa.indices where bOfA[i] == nil {
            if let j = pb.indices.first(where: { aOfB[$0] == nil && pb[$0].command == pa[i].command && pb[$0].depth == pa[i].depth }) {
                bOfA[i] = j
                aOfB[j] = i
                method[i] = .comm
            }
        }
        for i in pa.indices {
            if let j = bOfA[i] { pairs.append((i, j, method[i])) } else { removed.append(i) }
        }
        added = pb.indices.filter { aOfB[$0] == nil }
        result.pairs = pairs.map { ProcessPair(a: ref(a, $0.a), b: ref(b, $0.b), method: $0.method) }
    }

    // MARK: - Container

    mutating func diffContainer() {
        let ea = a.checkpoint.engine, eb = b.checkpoint.engine
        let fa = a.checkpoint.facts, fb = b.checkpoint.facts
        var changes: [FieldChange] = []
        func field(_ name: String, _ x: String?, _ y: String?) {
            if x != y { changes.append(FieldChange(name, x, y)) } else { unchanged(.container, "\(name): \(x ?? "(none)")") }
        }
        field("engine", ea.engine.rawValue, eb.engine.rawValue)
        field("id", ea.containerID, eb.containerID)
        field("name", ea.containerName, eb.containerName)
        field("image", ea.imageName, eb.imageName)
        field("image_ref", ea.imageRef, eb.imageRef)
        field("image_id", ea.imageID, eb.imageID)
        field("runtime", ea.runtime, eb.runtime)
        field("created", ea.created, eb.created)
        field("checkpointed", ea.checkpointed, eb.checkpointed)
        field("restored", ea.restored, eb.restored)
        field("pod", ea.podName, eb.podName)
        field("namespace", ea.namespace, eb.namespace)
        field("hostname", ea.hostname, eb.hostname)
        field("args", Self.joined(ea.processArgs), Self.joined(eb.processArgs))
        field("create_command", Self.joined(ea.createCommand), Self.joined(eb.createCommand))
        field("spec_mounts", Self.joined(ea.specMounts), Self.joined(eb.specMounts))
        field("spec_namespaces", Self.joined(ea.specNamespaces), Self.joined(eb.specNamespaces))
        for change in Self.keyed(Self.environment(ea.processEnv), Self.environment(eb.processEnv)) {
            changes.append(FieldChange("env." + change.field, change.a, change.b))
        }
        for change in Self.keyed(ea.annotations, eb.annotations) {
            changes.append(FieldChange("annotation." + change.field, change.a, change.b))
        }
        func networks(_ e: EngineMetadata) -> [String: String] {
            var out: [String: String] = [:]
            for (i, n) in e.networks.enumerated() {
                let key = [n.network, n.interface].compactMap { $0 }.joined(separator: "/")
                out[key.isEmpty ? "#\(i)" : key] = (n.addresses + (n.mac.map { ["mac " + $0] } ?? [])).joined(separator: " ")
            }
            return out
        }
        for change in Self.keyed(networks(ea), networks(eb)) {
            changes.append(FieldChange("network." + change.field, change.a, change.b))
        }
        field("criu_version", fa.criuVersion, fb.criuVersion)
        field("architecture", fa.architecture, fb.architecture)
        field("page_size", String(fa.pageSize), String(fb.pageSize))
        field("parents", String(fa.parentChain.count), String(fb.parentChain.count))
        result.container = changes
    }

    // MARK: - Processes

    mutating func diffProcesses() {
        var changes: [ProcessChange] = []
        for i in removed {
            changes.append(ProcessChange(kind: .removed, a: ref(a, i), b: nil, pairedBy: nil, fields: [], environment: [], threads: []))
        }
        for j in added {
            changes.append(ProcessChange(kind: .added, a: nil, b: ref(b, j), pairedBy: nil, fields: [], environment: [], threads: []))
        }
        // The partner of each A pid, for comparing parents.
        var partner: [UInt32: UInt32] = [:]
        for (i, j, _) in pairs { partner[a.processes[i].process.pid] = b.processes[j].process.pid }
        for (i, j, method) in pairs {
            let sa = a.processes[i], sb = b.processes[j]
            let pa = sa.process, pb = sb.process
            var fields: [FieldChange] = []
            func field(_ name: String, _ x: String?, _ y: String?) {
                if x != y { fields.append(FieldChange(name, x, y)) }
            }
            field("comm", pa.command, pb.command)
            field("state", pa.state.description, pb.state.description)
            let expectedParent = pa.ppid == 0 ? 0 : (partner[pa.ppid] ?? pa.ppid)
            if expectedParent != pb.ppid { fields.append(FieldChange("ppid", String(pa.ppid), String(pb.ppid))) }
            if pa.isZombie || pb.isZombie { field("exit_code", String(pa.exitCode), String(pb.exitCode)) }
            field("cmdline", sa.commandLine.map(Self.joined), sb.commandLine.map(Self.joined))
            field("exe", pa.executable, pb.executable)
            field("cwd", pa.cwd, pb.cwd)
            field("root", pa.root, pb.root)
            field("threads", String(pa.threads.count), String(pb.threads.count))
            field("oom_score_adj", pa.task?.oomScoreAdjust.map { String($0) }, pb.task?.oomScoreAdjust.map { String($0) })
            field("seccomp", pa.core?.thread?.seccompMode.map { "\($0)" }, pb.core?.thread?.seccompMode.map { "\($0)" })
            fields += Self.namespaces(pa.ids, pb.ids)
            fields += Self.credentials(pa.threads.first { $0.tid == pa.pid }?.credentials ?? pa.core?.thread?.credentials,
                                       pb.threads.first { $0.tid == pb.pid }?.credentials ?? pb.core?.thread?.credentials)
            var environment: [FieldChange] = []
            if let ea = sa.environment, let eb = sb.environment {
                environment = Self.keyed(Self.environment(ea), Self.environment(eb))
            } else if (sa.environment == nil) != (sb.environment == nil) {
                fields.append(FieldChange("environ", sa.environment.map { plural($0.count, "variable") },
                                          sb.environment.map { plural($0.count, "variable") }))
            }
            let threads = Self.threads(pa, pb)
            if fields.isEmpty && environment.isEmpty && threads.isEmpty {
                unchanged(.processes, "\(pa.pid) \(pa.command)")
                continue
            }
            changes.append(ProcessChange(kind: .changed, a: ref(a, i), b: ref(b, j), pairedBy: method, fields: fields,
                                         environment: environment, threads: threads))
        }
        result.processes = changes
    }

    /// Threads other than the leader (the leader is the process itself): by tid, then by position.
    static func threads(_ pa: CheckpointProcess, _ pb: CheckpointProcess) -> [ThreadChange] {
        let ta = pa.threads.filter { $0.tid != pa.pid }, tb = pb.threads.filter { $0.tid != pb.pid }
        var out: [ThreadChange] = []
        var usedB = Set<Int>()
        var pairs: [(Int, Int)] = []
        var unpairedA: [Int] = []
        for (i, t) in ta.enumerated() {
            if let j = tb.firstIndex(where: { $0.tid == t.tid }), !usedB.contains(j) {
                pairs.append((i, j))
                usedB.insert(j)
            } else {
                unpairedA.append(i)
            }
        }
        if pa.pid != pb.pid {
            // Different pid namespaces numbering: pair the rest by position.
            var rest = tb.indices.filter { !usedB.contains($0) }
            var still: [Int] = []
            for i in unpairedA {
                if !rest.isEmpty {
                    let j = rest.removeFirst()
                    pairs.append((i, j))
                    usedB.insert(j)
                } else {
                    still.append(i)
                }
            }
            unpairedA = still
        }
        for i in unpairedA { out.append(ThreadChange(kind: .removed, aTID: ta[i].tid, bTID: nil, fields: [])) }
        for j in tb.indices where !usedB.contains(j) { out.append(ThreadChange(kind: .added, aTID: nil, bTID: tb[j].tid, fields: [])) }
        for (i, j) in pairs {
            var fields: [FieldChange] = []
            if ta[i].name != tb[j].name { fields.append(FieldChange("name", ta[i].name, tb[j].name)) }
            fields += credentials(ta[i].credentials, tb[j].credentials)
            if !fields.isEmpty { out.append(ThreadChange(kind: .changed, aTID: ta[i].tid, bTID: tb[j].tid, fields: fields)) }
        }
        return out
    }

    static func credentials(_ x: Credentials?, _ y: Credentials?) -> [FieldChange] {
        func values(_ c: Credentials?) -> [(String, String?)] {
            func caps(_ set: CapabilitySet?) -> String? { set.map { "0x" + String($0.rawValue, radix: 16) } }
            return [
                ("uid", c.map { String($0.uid) }), ("gid", c.map { String($0.gid) }),
                ("euid", c.map { String($0.euid) }), ("egid", c.map { String($0.egid) }),
                ("suid", c.map { String($0.suid) }), ("sgid", c.map { String($0.sgid) }),
                ("fsuid", c.map { String($0.fsuid) }), ("fsgid", c.map { String($0.fsgid) }),
                ("groups", c.map { $0.groups.map(String.init).joined(separator: ",") }),
                ("cap_effective", caps(c?.effective)), ("cap_permitted", caps(c?.permitted)),
                ("cap_inheritable", caps(c?.inheritable)), ("cap_bounding", caps(c?.bounding)), ("cap_ambient", caps(c?.ambient)),
                ("securebits", c.map { String($0.secureBits) }), ("no_new_privs", c?.noNewPrivileges.map { String($0) }),
                ("lsm_profile", c?.lsmProfile?.description),
            ]
        }
        return zip(values(x), values(y)).compactMap { l, r in l.1 == r.1 ? nil : FieldChange("creds." + l.0, l.1, r.1) }
    }

    static func namespaces(_ x: KernelObjectIDs?, _ y: KernelObjectIDs?) -> [FieldChange] {
        func values(_ i: KernelObjectIDs?) -> [(String, UInt32?)] {
            [("pid", i?.pidNamespaceID), ("net", i?.netNamespaceID), ("ipc", i?.ipcNamespaceID), ("uts", i?.utsNamespaceID),
             ("mnt", i?.mountNamespaceID), ("user", i?.userNamespaceID), ("cgroup", i?.cgroupNamespaceID), ("time", i?.timeNamespaceID)]
        }
        return zip(values(x), values(y)).compactMap { l, r in
            l.1 == r.1 ? nil : FieldChange("ns." + l.0, l.1.map { String($0) }, r.1.map { String($0) })
        }
    }

    // MARK: - VMAs

    mutating func diffVMAs() throws(CheckpointError) {
        for (i, j, _) in pairs {
            let pa = a.processes[i].process, pb = b.processes[j].process
            guard let ma = pa.memory, let mb = pb.memory else { continue }
            let va = ma.vmas.filter { !$0.isGuard }.sorted { $0.start < $1.start }
            let vb = mb.vmas.filter { !$0.isGuard }.sorted { $0.start < $1.start }
            // From the mm image and the files (no address space: its page index is not needed).
            func describe(_ v: VMA, _ c: Checkpoint) -> VMARef {
                let file = Self.backingFile(v, c)
                return VMARef(start: v.start, end: v.end, prot: v.permissions, kind: AddressSpace.kind(of: v, backingFile: file).rawValue, file: file)
            }
            var usedB = Set<Int>()
            var matched: [(Int, Int)] = []
            var unmatchedA: [Int] = []
            var byStart: [UInt64: Int] = [:], byEnd: [UInt64: Int] = [:]
            for (k, v) in vb.enumerated() {
                if byStart[v.start] == nil { byStart[v.start] = k }
                if byEnd[v.end] == nil { byEnd[v.end] = k }
            }
            for (k, v) in va.enumerated() {
                if let m = byStart[v.start], !usedB.contains(m) {
                    matched.append((k, m))
                    usedB.insert(m)
                } else {
                    unmatchedA.append(k)
                }
            }
            var removedA: [Int] = []
            for k in unmatchedA {
                if let m = byEnd[va[k].end], !usedB.contains(m) {
                    matched.append((k, m))
                    usedB.insert(m)
                } else {
                    removedA.append(k)
                }
            }
            var changes: [VMAChange] = []
            for k in removedA { changes.append(VMAChange(kind: .removed, a: describe(va[k], a.checkpoint), b: nil, fields: [])) }
            for m in vb.indices where !usedB.contains(m) { changes.append(VMAChange(kind: .added, a: nil, b: describe(vb[m], b.checkpoint), fields: [])) }
            for (k, m) in matched {
                let x = va[k], y = vb[m]
                let rx = describe(x, a.checkpoint), ry = describe(y, b.checkpoint)
                var fields: [FieldChange] = []
                func field(_ name: String, _ l: String?, _ r: String?) {
                    if l != r { fields.append(FieldChange(name, l, r)) }
                }
                let resized = x.start != y.start || x.end != y.end
                if resized { fields.append(FieldChange("range", Self.range(x.start, x.end), Self.range(y.start, y.end))) }
                field("prot", x.permissions, y.permissions)
                field("flags", Self.flags(x), Self.flags(y))
                field("status", "0x" + String(x.status.rawValue, radix: 16), "0x" + String(y.status.rawValue, radix: 16))
                field("file", rx.file, ry.file)
                if x.isFileBacked || y.isFileBacked { field("offset", "0x" + String(x.pageOffset, radix: 16), "0x" + String(y.pageOffset, radix: 16)) }
                field("madvise", x.madvise.map { "0x" + String($0, radix: 16) }, y.madvise.map { "0x" + String($0, radix: 16) })
                if fields.isEmpty {
                    unchanged(.vmas, "\(pa.pid) \(Self.range(y.start, y.end))")
                } else {
                    changes.append(VMAChange(kind: resized ? .resized : .changed, a: rx, b: ry, fields: fields))
                }
            }
            changes.sort { ($0.b ?? $0.a)!.start < ($1.b ?? $1.a)!.start }
            if !changes.isEmpty { result.vmas.append(ProcessVMAs(a: ref(a, i), b: ref(b, j), changes: changes)) }
        }
    }

    /// The file a VMA maps, as ``AddressSpace/backingFiles`` names it (for VMAs of edited snapshots too).
    static func backingFile(_ v: VMA, _ c: Checkpoint) -> String? {
        guard v.isFileBacked || v.status.contains(.memfd), let entry = c.files[UInt32(truncatingIfNeeded: v.shmid)] else { return nil }
        switch entry.file {
        case .regular(let reg): return reg.name.description
        case .memfd(let m):
            let name = c.memfdInodes[m.inodeID]?.name.description ?? "?"
            return name == "/dev/zero" ? nil : "/memfd:" + name
        default: return nil
        }
    }

    static func range(_ start: UInt64, _ end: UInt64) -> String { String(start, radix: 16) + "-" + String(end, radix: 16) }

    static func flags(_ v: VMA) -> String {
        var parts: [String] = [v.isShared ? "shared" : "private"]
        if v.flags.contains(.anonymous) { parts.append("anon") }
        if v.flags.contains(.growsDown) { parts.append("growsdown") }
        if v.flags.contains(.locked) { parts.append("locked") }
        if v.flags.contains(.noReserve) { parts.append("noreserve") }
        if v.flags.contains(.hugeTLB) { parts.append("hugetlb") }
        if v.flags.contains(.droppable) { parts.append("droppable") }
        let known: VMA.MappingFlags = [.shared, .private, .anonymous, .growsDown, .locked, .noReserve, .hugeTLB, .droppable, .fixed]
        let other = v.flags.subtracting(known).rawValue
        if other != 0 { parts.append("0x" + String(other, radix: 16)) }
        return parts.joined(separator: ",")
    }

    // MARK: - Memory

    mutating func diffMemory() throws(CheckpointError) {
        var budget = options.hexdumpBytes
        var pages = PageDiff()
        pages.parallelAbove = options.parallelAbove
        // A pre-dump's processes have no mm image, but their recorded pages are compared.
        func hasMemory(_ s: CheckpointSnapshot, _ i: Int) -> Bool { s.processes[i].process.memory != nil || s.checkpoint.processTree == .preDump }
        let memoryPairs = pairs.filter { hasMemory(a, $0.a) && hasMemory(b, $0.b) }
        // With a reporter: each pair's share of the pages to compare, counted first.
        var shares: [UInt64] = []
        var total: UInt64 = 0
        if let progress {
            shares = memoryPairs.map { Self.comparedPages(a.checkpoint, a.processes[$0.a].process.pid, b.checkpoint, b.processes[$0.b].process.pid) }
            total = shares.reduce(0, +)
            progress(0, total)
        }
        var results: [ProcessMemory?]
        let seekable = [a.checkpoint, b.checkpoint].allSatisfy { $0.imageSets.allSatisfy(\.source.isSeekable) }
        if budget == 0, seekable, memoryPairs.count > 1, parallelWorkers > 1 {
            results = try comparePairsInParallel(memoryPairs.map { ($0.a, $0.b) }, pages, shares: shares, total: total)
        } else {
            results = []
            var finished: UInt64 = 0
            for (k, (i, j, _)) in memoryPairs.enumerated() {
                let pa = a.processes[i].process, pb = b.processes[j].process
                var report: ((Int, Int) -> Void)?
                if let progress {
                    let share = shares[k], base = finished
                    var last = UInt64.max
                    report = { done, of in
                        let now = min(share, of > 0 ? share * UInt64(done) / UInt64(of) : share)
                        if now != last { last = now; progress(base + now, total) }
                    }
                    finished += share
                }
                results.append(try pages.compare(a.checkpoint, pid: pa.pid, b.checkpoint, pid: pb.pid, comm: (pa.command, pb.command),
                                                 budget: &budget, progress: report))
            }
        }
        for (k, (i, _, _)) in memoryPairs.enumerated() {
            guard let m = results[k] else { continue }
            let pa = a.processes[i].process
            if m.ranges.isEmpty {
                unchanged(.memory, "\(pa.pid) \(pa.command): \(plural(m.comparedPages, "page"))")
            } else {
                result.memory.append(m)
            }
        }
        progress?(total, total)
    }

    /// Pairs of seekable checkpoints without a hexdump: two pairs at a time (each worker reads and
    /// compares its own), the largest first so that the workers end together. A pair holding more
    /// than half of the memory is compared first on its own, by two workers of its own. Results in
    /// the pairs' order; after an error no further pair is started.
    func comparePairsInParallel(_ list: [(a: Int, b: Int)], _ pages: PageDiff, shares: [UInt64], total: UInt64) throws(CheckpointError) -> [ProcessMemory?] {
        // Sizes to schedule by: the A side's mapped bytes (cheap; the dumped pages are known only
        // once the address spaces are built).
        let sizes: [UInt64] = list.map { p in
            (a.processes[p.a].process.memory?.vmas ?? []).reduce(0) { $0 + ($1.end &- $1.start) }
        }
        var order = Array(list.indices).sorted { sizes[$0] != sizes[$1] ? sizes[$0] > sizes[$1] : $0 < $1 }
        let all = sizes.reduce(0, +)
        var alone: [Int] = []
        if let first = order.first, sizes[first] > all / 2 { alone = [first]; order.removeFirst() }
        let done = Mutex([UInt64](repeating: 0, count: list.count))
        let failed = Atomic<Bool>(false)
        let reporter = UncheckedSendableBox(progress)
        let (ca, cb) = (a.checkpoint, b.checkpoint)
        let named = list.map { p in (a.processes[p.a].process, b.processes[p.b].process) }
        @Sendable func run(_ k: Int, _ comparer: PageDiff) -> Result<ProcessMemory?, CheckpointError> {
            // After a failure the remaining pairs are skipped: the first error is what is reported.
            guard !failed.load(ordering: .relaxed) else { return .success(nil) }
            let (pa, pb) = named[k]
            var report: ((Int, Int) -> Void)?
            if reporter.value != nil {
                let share = shares[k]
                report = { finished, of in
                    let now = min(share, of > 0 ? share * UInt64(finished) / UInt64(of) : share)
                    done.withLock { d in
                        d[k] = now
                        reporter.value?(d.reduce(0, +), total)
                    }
                }
            }
            var none = 0
            do throws(CheckpointError) {
                return .success(try comparer.compare(ca, pid: pa.pid, cb, pid: pb.pid, comm: (pa.command, pb.command), budget: &none, progress: report))
            } catch {
                failed.store(true, ordering: .relaxed)
                return .failure(error)
            }
        }
        var results = [Result<ProcessMemory?, CheckpointError>](repeating: .success(nil), count: list.count)
        for k in alone { results[k] = run(k, pages) }
        var one = pages
        one.parallelAbove = Int.max  // each worker compares its pair alone
        let (single, queue) = (one, order)
        for (n, result) in orderedParallelMap(count: queue.count, workers: parallelWorkers, { run(queue[$0], single) }).enumerated() {
            results[queue[n]] = result
        }
        // The error of the first failed pair in the pairs' order, of those compared before the stop.
        for result in results { if case .failure(let error) = result { throw error } }
        return results.map { (try? $0.get()) ?? nil }
    }

    /// The pages dumped on both sides of one pair (what ``PageDiff`` will compare); 0 when they
    /// cannot be counted (the comparison then reports the problem).
    static func comparedPages(_ a: Checkpoint, _ aPID: UInt32, _ b: Checkpoint, _ bPID: UInt32) -> UInt64 {
        guard let spaceA = (try? a.addressSpace(aPID)) ?? nil, let spaceB = (try? b.addressSpace(bPID)) ?? nil,
              spaceA.pageSize == spaceB.pageSize, spaceA.pageSize > 0
        else { return 0 }
        return PageDiff.segments(PageDiff.slots(spaceA), PageDiff.slots(spaceB))
            .filter { $0.kind == .compare }
            .reduce(0) { $0 + ($1.end - $1.start) / spaceA.pageSize }
    }

    // MARK: - File descriptors and sockets

    static func isSocket(_ f: OpenFile) -> Bool {
        f.target.hasPrefix("socket:") || ["unix", "tcp", "udp", "udplite", "icmp", "icmpv6", "packet", "netlink"].contains(f.kind)
    }

    /// `pipe:[12345]` -> `pipe:[]`: inode numbers change with every restore and say nothing.
    static func normalizedTarget(_ t: String) -> String {
        guard t.hasSuffix("]"), let open = t.lastIndex(of: "["),
              t[t.index(after: open)..<t.index(before: t.endIndex)].allSatisfy(\.isNumber) else { return t }
        return String(t[...open]) + "]"
    }

    mutating func diffFDs() {
        let wantFDs = options.sections.contains(.fds), wantSockets = options.sections.contains(.sockets)
        for (i, j, _) in pairs {
            let pa = a.processes[i].process, pb = b.processes[j].process
            var fa: [UInt32: OpenFile] = [:], fb: [UInt32: OpenFile] = [:]
            for f in pa.files { fa[f.fd] = f }
            for f in pb.files { fb[f.fd] = f }
            let process = ref(b, j)
            for fd in Set(fa.keys).union(fb.keys).sorted() {
                let x = fa[fd], y = fb[fd]
                let socket = (x.map(Self.isSocket) ?? false) || (y.map(Self.isSocket) ?? false)
                let section: DiffSection = socket ? .sockets : .fds
                guard socket ? wantSockets : wantFDs else { continue }
                var change = FDChange(kind: .changed, process: process, fd: fd, a: x.map { $0.kind + " " + $0.target },
                                      b: y.map { $0.kind + " " + $0.target }, fields: [])
                if x == nil {
                    change.kind = .added
                } else if y == nil {
                    change.kind = .removed
                    change.process = ref(a, i)
                } else if let x, let y {
                    change.fields = fdFields(x, y)
                    if change.fields.isEmpty {
                        unchanged(section, "\(pb.pid) fd \(fd) \(y.kind) \(y.target)")
                        continue
                    }
                }
                if socket { result.sockets.append(change) } else { result.fds.append(change) }
            }
        }
    }

    func fdFields(_ x: OpenFile, _ y: OpenFile) -> [FieldChange] {
        var fields: [FieldChange] = []
        if x.kind != y.kind { fields.append(FieldChange("kind", x.kind, y.kind)) }
        if Self.normalizedTarget(norm(x.target, 0)) != Self.normalizedTarget(norm(y.target, 1)) {
            fields.append(FieldChange("target", x.target, y.target))
        }
        if (x.fdFlags & 1) != (y.fdFlags & 1) {
            fields.append(FieldChange("cloexec", x.fdFlags & 1 != 0 ? "yes" : "no", y.fdFlags & 1 != 0 ? "yes" : "no"))
        }
        var keys: [String] = []
        for d in x.details + y.details where !keys.contains(d.key) && d.key != "peer" { keys.append(d.key) }
        for key in keys {
            let l = x.detail(key), r = y.detail(key)
            if l.map({ norm($0, 0) }) != r.map({ norm($0, 1) }) { fields.append(FieldChange(key, l, r)) }
        }
        return fields
    }

    // MARK: - Mounts and cgroups

    mutating func diffMounts() {
        func table(_ c: Checkpoint, _ side: Int) -> [String: [String: String]] {
            var out: [String: [String: String]] = [:]
            for ns in c.mounts.keys.sorted() {
                for m in c.mounts[ns] ?? [] {
                    var key = norm(m.mountPoint.description, side)
                    var n = 2
                    while out[key] != nil {
                        key = norm(m.mountPoint.description, side) + " (#\(n))"
                        n += 1
                    }
                    out[key] = [
                        "fstype": m.filesystemName?.description ?? "\(m.filesystemType)", "source": norm(m.source.description, side),
                        "root": norm(m.root.description, side), "options": norm(m.options.description, side),
                        "flags": "0x" + String(m.flags, radix: 16), "external": norm(m.externalKey?.description ?? "", side),
                    ]
                }
            }
            return out
        }
        result.mounts = entries(table(a.checkpoint, 0), table(b.checkpoint, 1), scope: "mounts", section: .mounts)
    }

    /// Cgroup properties that hold pids or kernel bookkeeping: they differ between any two dumps and say
    /// nothing about how the container was configured, so they are not compared.
    static let cgroupBookkeeping: Set<String> = [
        "tasks", "cgroup.procs", "cgroup.threads", "cgroup.events", "cgroup.stat", "notify_on_release", "cgroup.clone_children",
        "release_agent",
    ]

    /// What matters of two processes' cgroups, summarised: which cgroup each controller put them in
    /// (controllers with the same change on one line), and the settings of those cgroups whose values
    /// differ, keyed by their place under the membership (`cpu:./cpu.shares`), so two containers in
    /// differently named cgroups compare setting by setting. Pid lists and bookkeeping files are left
    /// out (``cgroupBookkeeping``); a side without `cgroup.img` gives one line.
    mutating func diffCgroups() {
        func controllerName(_ name: String) -> String { name.isEmpty ? "cgroup2" : name }
        func table(_ c: Checkpoint, _ side: Int) -> (members: [String: String], properties: [String: String]) {
            var paths: [String: Set<String>] = [:]
            for set in c.cgroups?.sets ?? [] {
                for m in set.members { paths[controllerName(m.controllers.description), default: []].insert(norm(m.path.description, side)) }
            }
            let members = paths.mapValues { $0.sorted().joined(separator: ", ") }
            var properties: [String: String] = [:]
            func walk(_ dir: CgroupDirectory, _ prefix: String, _ controller: String) {
                let path = prefix.isEmpty ? dir.name.description : prefix + "/" + dir.name.description
                let absolute = "/" + norm(path, side)
                // The place relative to the controller's membership, when it is on the way to it or under it.
                var place = absolute
                for member in paths[controller] ?? [] {
                    if absolute == member { place = "." } else if absolute.hasPrefix(member + "/") { place = "." + absolute.dropFirst(member.count) }
                }
                for p in dir.properties where !Self.cgroupBookkeeping.contains(p.name.description) {
                    properties[controller + ":" + place + "/" + p.name.description] = norm(p.value.description, side)
                }
                for child in dir.children { walk(child, path, controller) }
            }
            for controller in c.cgroups?.controllers ?? [] {
                let name = controllerName(controller.names.map(\.description).joined(separator: ","))
                for dir in controller.directories { walk(dir, "", name) }
            }
            return (members, properties)
        }
        let hasA = a.checkpoint.cgroups != nil, hasB = b.checkpoint.cgroups != nil
        let ta = table(a.checkpoint, 0), tb = table(b.checkpoint, 1)
        guard hasA == hasB else {
            // Only one side recorded its cgroups: one line, with what it holds.
            let (kind, t): (ChangeKind, (members: [String: String], properties: [String: String])) = hasA ? (.removed, ta) : (.added, tb)
            let where_ = Set(t.members.values).sorted().joined(separator: "; ")
            result.cgroups = [EntryChange(kind: kind, scope: "cgroup.img", key: "only in \(hasA ? "A" : "B")", fields: [
                FieldChange("controllers", hasA ? "\(t.members.count) at \(where_)" : nil, hasA ? nil : "\(t.members.count) at \(where_)"),
                FieldChange("settings", hasA ? String(t.properties.count) : nil, hasA ? nil : String(t.properties.count)),
            ])]
            return
        }
        // Memberships: controllers grouped by how their cgroup changed.
        var groups: [String: [String]] = [:]
        var order: [String] = []
        var values: [String: (String?, String?)] = [:]
        for controller in Set(ta.members.keys).union(tb.members.keys).sorted() {
            let x = ta.members[controller], y = tb.members[controller]
            let key = (x ?? "\u{0}") + "\u{1}" + (y ?? "\u{0}")
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(controller)
            values[key] = (x, y)
        }
        var out: [EntryChange] = []
        for key in order {
            let controllers = groups[key]!.joined(separator: ",")
            let (x, y) = values[key]!
            switch (x, y) {
            case (let x?, let y?) where x == y: unchanged(.cgroups, "membership \(controllers): \(x)")
            case (let x?, let y?): out.append(EntryChange(kind: .changed, scope: "membership", key: controllers, fields: [FieldChange("cgroup", x, y)]))
            case (let x?, nil): out.append(EntryChange(kind: .removed, scope: "membership", key: controllers, fields: [FieldChange("cgroup", x, nil)]))
            case (nil, let y?): out.append(EntryChange(kind: .added, scope: "membership", key: controllers, fields: [FieldChange("cgroup", nil, y)]))
            case (nil, nil): break
            }
        }
        // Settings, by their place under the membership.
        for key in Set(ta.properties.keys).union(tb.properties.keys).sorted() {
            let x = ta.properties[key], y = tb.properties[key]
            if x == y {
                unchanged(.cgroups, "setting \(key) = \(x ?? "")")
            } else {
                out.append(EntryChange(kind: x == nil ? .added : y == nil ? .removed : .changed, scope: "setting", key: key, fields: [FieldChange("value", x, y)]))
            }
        }
        result.cgroups = out
    }

    /// Keyed entries with named fields: added, removed, changed.
    mutating func entries(_ x: [String: [String: String]], _ y: [String: [String: String]], scope: String, section: DiffSection) -> [EntryChange] {
        var out: [EntryChange] = []
        for key in Set(x.keys).union(y.keys).sorted() {
            switch (x[key], y[key]) {
            case (nil, .some): out.append(EntryChange(kind: .added, scope: scope, key: key, fields: []))
            case (.some, nil): out.append(EntryChange(kind: .removed, scope: scope, key: key, fields: []))
            case (.some(let l), .some(let r)):
                let fields = Self.keyed(l, r)
                if fields.isEmpty {
                    unchanged(section, scope + " " + key + (l.isEmpty ? "" : " (" + l.keys.sorted().map { "\($0) \(l[$0] ?? "")" }.joined(separator: ", ") + ")"))
                } else {
                    out.append(EntryChange(kind: .changed, scope: scope, key: key, fields: fields))
                }
            case (nil, nil): break
            }
        }
        return out
    }

    // MARK: - Files

    mutating func diffFiles() throws(CheckpointError) {
        let ca = a.checkpoint, cb = b.checkpoint
        var areas: [(scope: String, a: [Checkpoint.NestedFile], b: [Checkpoint.NestedFile], memberA: ArchiveMember?, memberB: ArchiveMember?)] = []
        func top(_ c: Checkpoint, _ name: String) -> ArchiveMember? {
            guard let m = try? c.source.member(named: name), let t = try? c.source.resolve(m), t.kind == .file else { return nil }
            return t
        }
        areas.append(("rootfs", ca.rootfsDiff, cb.rootfsDiff, top(ca, "rootfs-diff.tar"), top(cb, "rootfs-diff.tar")))
        areas.append(("devshm", ca.devshm, cb.devshm, top(ca, "devshm-checkpoint.tar"), top(cb, "devshm-checkpoint.tar")))
        for name in Set(ca.volumes.keys).union(cb.volumes.keys).sorted() {
            areas.append(("volume:" + name, ca.volumes[name] ?? [], cb.volumes[name] ?? [],
                          top(ca, "volumes/\(name).tar"), top(cb, "volumes/\(name).tar")))
        }
        // tmpfs-dev-<s_dev>.tar.gz.img: keyed by the mount point (device numbers differ between dumps).
        func tmpfs(_ c: Checkpoint) -> [String: String] {
            var mountPoints: [UInt32: String] = [:]
            for list in c.mounts.values {
                for m in list {
                    let point = m.mountPoint.description
                    if let known = mountPoints[m.rootDevice], known.count <= point.count { continue }
                    mountPoints[m.rootDevice] = point
                }
            }
            var out: [String: String] = [:]
            for name in c.tmpfs.keys {
                let id = UInt32(name.dropFirst("tmpfs-dev-".count).prefix { $0.isNumber })
                out[id.flatMap { mountPoints[$0] } ?? name] = name
            }
            return out
        }
        let tmpfsA = tmpfs(ca), tmpfsB = tmpfs(cb)
        for place in Set(tmpfsA.keys).union(tmpfsB.keys).sorted() {
            let na = tmpfsA[place], nb = tmpfsB[place]
            areas.append(("tmpfs:" + place, na.flatMap { ca.tmpfs[$0] } ?? [], nb.flatMap { cb.tmpfs[$0] } ?? [],
                          na.flatMap { (try? ca.images.member($0)) ?? nil }, nb.flatMap { (try? cb.images.member($0)) ?? nil }))
        }
        var out: [EntryChange] = []
        for area in areas {
            var x: [String: Checkpoint.NestedFile] = [:], y: [String: Checkpoint.NestedFile] = [:]
            for f in area.a { x[f.path] = f }
            for f in area.b { y[f.path] = f }
            // Content hashes only where sizes agree (a size change is already a change).
            var hashA: [String: UInt64] = [:], hashB: [String: UInt64] = [:]
            let sameSize = Set(x.keys).intersection(y.keys).filter { x[$0]!.type == "file" && y[$0]!.type == "file" && x[$0]!.size == y[$0]!.size && x[$0]!.size > 0 }
            if options.hashFileContents, !sameSize.isEmpty, let ma = area.memberA, let mb = area.memberB {
                hashA = try Self.hashes(ca.source, ma, only: sameSize)
                hashB = try Self.hashes(cb.source, mb, only: sameSize)
            }
            func fields(_ f: Checkpoint.NestedFile, _ hash: UInt64?) -> [String: String] {
                var d = ["type": f.type, "size": String(f.size), "mode": "0" + String(f.mode, radix: 8)]
                if let link = f.linkTarget { d["link"] = link }
                if let hash { d["xxh64"] = String(hash, radix: 16) }
                return d
            }
            var tx: [String: [String: String]] = [:], ty: [String: [String: String]] = [:]
            for (k, f) in x { tx[k] = fields(f, hashA[k]) }
            for (k, f) in y { ty[k] = fields(f, hashB[k]) }
            out += entries(tx, ty, scope: area.scope, section: .files)
        }
        var da: [String: [String: String]] = [:], db: [String: [String: String]] = [:]
        for f in ca.deletedFiles { da[f] = [:] }
        for f in cb.deletedFiles { db[f] = [:] }
        out += entries(da, db, scope: "deleted.files", section: .files)
        result.files = out
    }

    /// XXH64 of the files named in `only`, streaming the nested tar once.
    static func hashes(_ source: CheckpointSource, _ member: ArchiveMember, only: Set<String>) throws(CheckpointError) -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        var current: String?
        var hasher = XXHash64()
        do {
            try source.streamNestedArchive(member) { nested, chunk in
                let name = nested.escapedName
                if name != current {
                    if let current, only.contains(current) { out[current] = hasher.finalize() }
                    current = name
                    hasher = XXHash64()
                }
                if only.contains(name) { hasher.update(chunk) }
            }
        } catch let error as ArchiveError {
            throw CheckpointError(archive: error)
        } catch {
            throw CheckpointError(.archive, source: source.path, file: member.escapedName, message: "\(error)")
        }
        if let current, only.contains(current) { out[current] = hasher.finalize() }
        return out
    }

    // MARK: - Statistics

    mutating func diffStats() {
        func dump(_ d: DumpStats?) -> [String: String] {
            guard let d else { return [:] }
            var out: [String: String] = [
                "freezing_time_us": String(d.freezingTime), "frozen_time_us": String(d.frozenTime),
                "memdump_time_us": String(d.memoryDumpTime), "memwrite_time_us": String(d.memoryWriteTime),
                "pages_scanned": String(d.pagesScanned), "pages_skipped_parent": String(d.pagesSkippedParent),
                "pages_written": String(d.pagesWritten), "pages_lazy": String(d.pagesLazy),
            ]
            if let v = d.irmapResolveTime { out["irmap_resolve_time_us"] = String(v) }
            if let v = d.pagePipes { out["page_pipes"] = String(v) }
            if let v = d.pagePipeBuffers { out["page_pipe_bufs"] = String(v) }
            if let v = d.sharedPagesScanned { out["shpages_scanned"] = String(v) }
            if let v = d.sharedPagesSkippedParent { out["shpages_skipped_parent"] = String(v) }
            if let v = d.sharedPagesWritten { out["shpages_written"] = String(v) }
            return out
        }
        func restore(_ r: RestoreStats?) -> [String: String] {
            guard let r else { return [:] }
            var out = ["pages_compared": String(r.pagesCompared), "pages_skipped_cow": String(r.pagesSkippedCOW),
                       "forking_time_us": String(r.forkingTime), "restore_time_us": String(r.restoreTime)]
            if let v = r.pagesRestored { out["pages_restored"] = String(v) }
            return out
        }
        var changes: [FieldChange] = []
        for c in Self.keyed(dump(a.checkpoint.dumpStats), dump(b.checkpoint.dumpStats)) { changes.append(FieldChange("dump." + c.field, c.a, c.b)) }
        for c in Self.keyed(restore(a.checkpoint.restoreStats), restore(b.checkpoint.restoreStats)) {
            changes.append(FieldChange("restore." + c.field, c.a, c.b))
        }
        if options.includeUnchanged {
            let values = dump(a.checkpoint.dumpStats)
            for name in values.keys.sorted() where !changes.contains(where: { $0.field == "dump." + name }) {
                unchanged(.stats, "dump.\(name): \(values[name] ?? "")")
            }
        }
        result.stats = changes
    }

    // MARK: - Helpers

    static func joined(_ list: [String]) -> String { list.joined(separator: " ") }

    /// `KEY=VALUE` lines to a dictionary (the first occurrence of a key wins, as getenv).
    static func environment(_ lines: [String]) -> [String: String] {
        var out: [String: String] = [:]
        for line in lines where !line.isEmpty {
            let key: String, value: String
            if let eq = line.firstIndex(of: "=") {
                key = String(line[..<eq])
                value = String(line[line.index(after: eq)...])
            } else {
                key = line
                value = ""
            }
            if out[key] == nil { out[key] = value }
        }
        return out
    }

    /// Differences of two dictionaries, sorted by key.
    static func keyed(_ x: [String: String], _ y: [String: String]) -> [FieldChange] {
        Set(x.keys).union(y.keys).sorted().compactMap { k in x[k] == y[k] ? nil : FieldChange(k, x[k], y[k]) }
    }
}
