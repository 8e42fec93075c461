import CheckpointArchive
import CRIUImages
import Foundation

/// Reads every image and engine file a report needs, once, and links them.
struct Loader {
    let path: String
    let source: CheckpointSource
    let previous: CheckpointSource?
    let options: Checkpoint.Options
    var warnings: [String] = []
    var ociAnnotations: [String: String]?
    /// Images that are present but could not be read, with the located error.
    var unreadableImages: [String: String] = [:]
    /// For a pass still running (a ``PageStreamConsumer``'s plan): the facts a plan does not need
    /// (the version estimate, the missing parents' accounting) are not worked out.
    var provisional = false
    /// Parts kept outside `source` (containerd's checkpoint image).
    var parts = EngineParts()

    init(path: String, source: CheckpointSource, previous: CheckpointSource?, options: Checkpoint.Options) {
        self.path = path
        self.source = source
        self.previous = previous
        self.options = options
    }

    /// Reads a top-level (engine) member, if present.
    mutating func readTop(_ name: String, maxBytes: Int = CheckpointSource.defaultReadLimit) -> [UInt8]? {
        if let bytes = parts.files[name] { return bytes }
        do {
            guard let member = try source.member(named: name), let target = try source.resolve(member), target.kind == .file else { return nil }
            return try source.read(target, maxBytes: maxBytes)
        } catch {
            warnings.append("\(name): \(error.message)")
            return nil
        }
    }

    func member(_ name: String) -> ArchiveMember? {
        guard let member = try? source.member(named: name), let target = try? source.resolve(member) else { return nil }
        return target
    }

    mutating func listNested(_ member: ArchiveMember, in other: CheckpointSource? = nil) -> [Checkpoint.NestedFile] {
        do {
            return try (other ?? source).listNestedArchive(member).map { m in
                let type: String =
                    switch m.kind {
                    case .file: "file"
                    case .directory: "dir"
                    case .symlink: "symlink"
                    case .hardlink: "hardlink"
                    case .other: "other"
                    }
                return Checkpoint.NestedFile(path: m.escapedName, type: type, size: m.size, mode: m.mode,
                                             modificationTime: m.modificationTime, linkTarget: m.linkTarget.map { ArchiveMember.escape(Array($0.utf8)) })
            }
        } catch {
            warnings.append("\(member.escapedName): \(error.message)")
            return []
        }
    }

    /// Decodes an image of `set`, recording a failure as an unreadable image (named, located) instead
    /// of failing the whole checkpoint: one damaged image never hides the others.
    mutating func decode<T: ImageMessage>(_ set: ImageSet, _ type: T.Type, _ name: String) -> [T]? {
        do {
            return try set.decode(type, name)
        } catch {
            unreadable(set.path(of: name), error)
            return nil
        }
    }

    /// Reads a file of `set`, recording a failure (a member the damage cut short) instead of failing.
    mutating func readImage(_ set: ImageSet, _ name: String) -> [UInt8]? {
        do {
            return try set.read(name)
        } catch {
            unreadable(set.path(of: name), error)
            return nil
        }
    }

    /// The images of one process, decoded (or the error each gave), before they are linked.
    struct ProcessImages: Sendable, Equatable {
        var cores: [UInt32: Result<[Core]?, CheckpointError>] = [:]
        var ids: Result<[KernelObjectIDs]?, CheckpointError> = .success(nil)
        var mm: Result<[MemoryMap]?, CheckpointError> = .success(nil)
        var fs: Result<[TaskFS]?, CheckpointError> = .success(nil)
        var fdinfo: Result<[FileDescriptorInfo]?, CheckpointError> = .success(nil)
    }

    static func attempt<T: ImageMessage>(_ set: ImageSet, _ type: T.Type, _ name: String) -> Result<[T]?, CheckpointError> {
        do { return .success(try set.decode(type, name)) } catch { return .failure(error) }
    }

    /// A decoded image, or nil with the failure recorded as ``decode(_:_:_:)`` records it.
    mutating func take<T>(_ result: Result<[T]?, CheckpointError>, _ set: ImageSet, _ name: String) -> [T]? {
        switch result {
        case .success(let entries): return entries
        case .failure(let error): unreadable(set.path(of: name), error); return nil
        }
    }

    /// Decodes each process's core, ids, mm, fs and fdinfo images, on two workers when there are
    /// many processes: a checkpoint of hundreds spends most of its opening here, and while a
    /// compressed archive is being planned the decompression thread waits anyway. The results are
    /// taken in the tree's order, so warnings come out as one worker would give them.
    ///
    /// A provisional load (`planOnly`) decodes what page plans read: mm images, and the first
    /// process's core (the architecture, the default page size); threads, descriptors and the rest
    /// come with the final load.
    static func decodeProcessImages(_ tree: [TreeEntry], in images: ImageSet, preDump: Bool, planOnly: Bool = false,
                                    parallelFrom: Int = 32) -> [ProcessImages] {
        @Sendable func one(_ entry: TreeEntry) -> ProcessImages {
            var out = ProcessImages()
            guard !preDump else { return out }
            if planOnly {
                if entry.pid == tree.first?.pid { out.cores[entry.pid] = attempt(images, Core.self, "core-\(entry.pid).img") }
                out.mm = attempt(images, MemoryMap.self, "mm-\(entry.pid).img")
                return out
            }
            for tid in entry.threadIDs { out.cores[tid] = attempt(images, Core.self, "core-\(tid).img") }
            out.ids = attempt(images, KernelObjectIDs.self, "ids-\(entry.pid).img")
            out.mm = attempt(images, MemoryMap.self, "mm-\(entry.pid).img")
            out.fs = attempt(images, TaskFS.self, "fs-\(entry.pid).img")
            if case .success(let ids?) = out.ids, let first = ids.first {
                out.fdinfo = attempt(images, FileDescriptorInfo.self, "fdinfo-\(first.filesID).img")
            }
            return out
        }
        guard tree.count >= parallelFrom else { return tree.map(one) }
        return orderedParallelMap(count: tree.count, workers: parallelWorkers) { one(tree[$0]) }
    }

    mutating func decodeSingle<T: ImageMessage>(_ set: ImageSet, _ type: T.Type, _ name: String) -> T? {
        decode(set, type, name)?.first
    }

    mutating func unreadable(_ image: String, _ error: CheckpointError) {
        guard unreadableImages[image] == nil else { return }
        unreadableImages[image] = error.description
        warnings.append(error.description)
    }

    static func text(_ bytes: [UInt8]?) -> String? {
        bytes.map { String(decoding: $0, as: UTF8.self) }
    }

    mutating func load() throws(CheckpointError) -> Checkpoint {
        let images = ImageSet(source: source, directory: source.imagesDirectory, label: source.imagesDirectory.isEmpty ? "." : source.imagesDirectory)
        let inventory = decodeSingle(images, Inventory.self, "inventory.img")
        let names = images.fileNames()
        if inventory == nil {
            if names.contains(where: { $0.hasSuffix(".img") }) {
                warnings.append("inventory.img is missing: the image directory is incomplete")
            } else if source.damage == nil, source.members.isEmpty || !names.contains(where: { $0 == "pstree.img" }) {
                throw CheckpointError(.notACheckpoint, source: path,
                                      message: "no CRIU images found (no inventory.img\(source.imagesDirectory.isEmpty ? "" : " in \(source.imagesDirectory)/"))")
            }
        }

        // Engine files.
        let (parsedEngine, engineWarnings) = EngineMetadata.parse(
            configDump: readTop("config.dump"), specDump: readTop("spec.dump"), networkStatus: readTop("network.status"))
        warnings += engineWarnings
        warnings += parts.warnings
        var engine = parsedEngine
        // containerd's CRI archive (PODS.md §7): `status` and `status.dump` are containerd's alone,
        // whatever the spec's annotations say (a container made without the CRI has none).
        if parts.containerd == nil, engine.engine == .podman || engine.engine == .criu, member("status") != nil || member("status.dump") != nil {
            engine.engine = .containerd
        }
        if engine.engine == .containerd, let bytes = readTop("status.dump", maxBytes: 4 << 20),
           let (status, _) = try? StrictJSON.parse(bytes), status.members != nil {
            let s = CRIContainerStatus(status)
            engine.containerName = engine.containerName ?? s.name
            engine.containerID = engine.containerID ?? s.id
            engine.imageName = engine.imageName ?? s.image
            engine.imageRef = engine.imageRef ?? s.imageRef
            engine.podName = engine.podName ?? s.labels["io.kubernetes.pod.name"]
            engine.namespace = engine.namespace ?? s.labels["io.kubernetes.pod.namespace"]
        }
        if let containerd = parts.containerd {
            // The spec of containerd's checkpoint image carries no engine annotations.
            engine.engine = .containerd
            engine.containerdImage = containerd
            engine.runtime = engine.runtime ?? containerd.runtime
            engine.imageName = engine.imageName ?? containerd.baseImage
        }
        if let oci = ociAnnotations {
            engine.ociAnnotations = oci
            // Checkpoint images carry the container's facts as annotations.
            engine.containerName = engine.containerName ?? oci["io.podman.annotations.checkpoint.name"] ?? oci["org.criu.checkpoint.container.name"]
            engine.runtime = engine.runtime ?? oci["io.podman.annotations.checkpoint.runtime.name"] ?? oci["org.criu.checkpoint.container.runtime"]
            engine.imageName = engine.imageName ?? oci["io.podman.annotations.checkpoint.rootfsImageName"] ?? oci["org.criu.checkpoint.rootfs.image.name"]
        }
        var deleted: [String] = []
        if let bytes = readTop("deleted.files") {
            if let list = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [Any] {
                deleted = list.compactMap { $0 as? String }
            } else if !bytes.isEmpty {
                warnings.append("deleted.files: not a JSON array")
            }
        }
        var descriptors: [String] = []
        if let bytes = readImage(images, "descriptors.json"),
           let list = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [Any] {
            descriptors = list.compactMap { $0 as? String }
        }

        // Stats: CRIU's work dir is the archive top level for engines, the images dir for plain CRIU.
        var stats: Stats?
        var restoreStats: Stats?
        for (name, target) in [("stats-dump", 0), ("stats-restore", 1)] {
            var bytes = readTop(name)
            if bytes == nil { bytes = readImage(images, name) }
            guard let bytes else { continue }
            do {
                let decoded = try decodeEntry(Stats.self, from: bytes, fileName: name)
                if target == 0 { stats = decoded } else { restoreStats = decoded }
            } catch {
                warnings.append(CheckpointError(error, source: path, member: name).description)
            }
        }
        let dumpLog = Self.text(readTop("dump.log", maxBytes: 256 << 20) ?? (try? images.read("dump.log", maxBytes: 256 << 20)) ?? nil)
        let restoreLog = Self.text(readTop("restore.log", maxBytes: 256 << 20) ?? (try? images.read("restore.log", maxBytes: 256 << 20)) ?? nil)

        // The process tree and per-task images. Without a readable pstree.img (a pre-dump, or a
        // tree lost to damage), processes are reconstructed from the per-task images.
        let isPreDump = inventory?.imageVersion == 0 || (inventory != nil && !names.contains("pstree.img") && !names.contains { $0.hasPrefix("core-") })
        var treeSource = Checkpoint.ProcessTreeSource.pstree
        var tree = (decode(images, ProcessTreeEntry.self, "pstree.img") ?? []).map(TreeEntry.init)
        if tree.isEmpty && isPreDump {
            treeSource = .preDump
            tree = Self.numbered("pagemap-", in: names).map { TreeEntry(pid: $0) }
        } else if tree.isEmpty, unreadableImages[images.path(of: "pstree.img")] != nil || !names.contains("pstree.img") {
            let leaders = Set(Self.numbered("mm-", in: names)).union(Self.numbered("ids-", in: names))
            let cores = Self.numbered("core-", in: names)
            tree = cores.filter(leaders.contains).map { TreeEntry(pid: $0) }
            if !tree.isEmpty {
                treeSource = .reconstructed
                let orphans = cores.filter { !leaders.contains($0) }
                warnings.append("pstree.img is \(names.contains("pstree.img") ? "unreadable" : "missing"): \(tree.count) process\(tree.count == 1 ? "" : "es") reconstructed from core-, mm- and ids- images (parents, sessions and threads unknown)"
                                + (orphans.isEmpty ? "" : "; thread cores not attributed: " + orphans.map { "core-\($0).img" }.joined(separator: ", ")))
            }
        }
        var fileTables = FileTables()
        let fileEntries = decode(images, FileEntry.self, "files.img") ?? []
        fileTables.files.reserveCapacity(fileEntries.count)  // no rehash copies of a large table
        for entry in fileEntries {
            fileTables.files[entry.id] = entry
        }
        for remap in decode(images, RemapFilePath.self, "remap-fpath.img") ?? [] {
            fileTables.remaps[remap.originalID] = remap
        }
        for inode in decode(images, MemFDInode.self, "memfd.img") ?? [] {
            fileTables.memfdInodes[UInt32(truncatingIfNeeded: inode.inodeID)] = inode
        }
        for data in decode(images, PipeData.self, "pipes-data.img") ?? [] {
            fileTables.pipeData[data.pipeID, default: 0] += UInt64(data.byteCount)
        }
        for data in decode(images, PipeData.self, "fifo-data.img") ?? [] {
            fileTables.pipeData[data.pipeID, default: 0] += UInt64(data.byteCount)
        }
        for packet in decode(images, SocketPacket.self, "sk-queues.img") ?? [] {
            let old = fileTables.socketQueues[packet.socketID] ?? (0, 0)
            fileTables.socketQueues[packet.socketID] = (old.packets + 1, old.bytes + UInt64(packet.length))
        }
        for tty in decode(images, TTYInfo.self, "tty-info.img") ?? [] {
            fileTables.ttys[tty.id] = tty
        }
        for name in names where name.hasPrefix("tcp-stream-") && name.hasSuffix(".img") {
            let hex = name.dropFirst("tcp-stream-".count).dropLast(4)
            guard let inode = UInt32(hex, radix: 16) else { continue }
            if let stream = decodeSingle(images, TCPStream.self, name) { fileTables.tcpStreams[inode] = stream }
        }

        var processes: [CheckpointProcess] = []
        var depthOf: [UInt32: Int] = [:]
        var architecture: Architecture?
        var pageSize: UInt64?
        let decoded = Self.decodeProcessImages(tree, in: images, preDump: treeSource == .preDump, planOnly: provisional)
        for (k, entry) in tree.enumerated() {
            let pid = entry.pid
            let threadIDs = entry.threadIDs
            var threads: [CheckpointThread] = []
            var leaderCore: Core?
            let pre = decoded[k]
            if provisional { leaderCore = (try? pre.cores[pid]?.get())??.first }
            for tid in threadIDs where treeSource != .preDump && !provisional {
                let core = take(pre.cores[tid] ?? .success(nil), images, "core-\(tid).img")?.first
                if core == nil && unreadableImages[images.path(of: "core-\(tid).img")] == nil {
                    warnings.append("core-\(tid).img is missing (thread \(tid) of process \(pid))")
                }
                if tid == pid { leaderCore = core }
                threads.append(CheckpointThread(tid: tid, name: (core?.thread?.comm ?? core?.task?.comm)?.description ?? "", core: core))
            }
            if leaderCore == nil { leaderCore = threads.first?.core }
            if architecture == nil { architecture = leaderCore?.architecture }
            let task = leaderCore?.task
            let state = task?.state ?? .unknown(0)
            let ids = take(pre.ids, images, "ids-\(pid).img")?.first
            let mm = take(pre.mm, images, "mm-\(pid).img")?.first
            if pageSize == nil, let size = mm?.pageSize { pageSize = size }
            let fs = take(pre.fs, images, "fs-\(pid).img")?.first
            var open: [OpenFile] = []
            if treeSource == .preDump || provisional {
            } else if let ids {
                let fdinfo = take(pre.fdinfo, images, "fdinfo-\(ids.filesID).img")
                if fdinfo == nil && state != .dead { warnings.append("fdinfo-\(ids.filesID).img is missing (process \(pid))") }
                open = (fdinfo ?? []).map { fileTables.describe($0) }.sorted { $0.fd < $1.fd }
            } else if state != .dead {
                warnings.append("ids-\(pid).img is missing (process \(pid))")
            }
            let depth = entry.parentPID == 0 ? 0 : (depthOf[entry.parentPID].map { $0 + 1 } ?? 0)
            depthOf[pid] = depth
            processes.append(CheckpointProcess(
                pid: pid, ppid: entry.parentPID, pgid: entry.processGroupID, sid: entry.sessionID,
                command: task?.comm.description ?? threads.first?.name ?? "", state: state, exitCode: task?.exitCode ?? 0,
                threads: threads, core: leaderCore, ids: ids, memory: mm, fs: fs,
                cwd: fs.flatMap { fileTables.path(ofFileID: $0.cwdID) }, root: fs.flatMap { fileTables.path(ofFileID: $0.rootID) },
                executable: mm.flatMap { fileTables.path(ofFileID: $0.exeFileID) }, files: open, depth: depth,
                inProcessTree: treeSource == .pstree))
        }

        // Namespaces.
        var mounts: [UInt32: [Mount]] = [:]
        var nets: [UInt32: Checkpoint.NetworkNamespaceInfo] = [:]
        var uts: [UInt32: UTSNamespace] = [:]
        for name in names {
            func id(_ prefix: String) -> UInt32? {
                guard name.hasPrefix(prefix), name.hasSuffix(".img") else { return nil }
                return UInt32(name.dropFirst(prefix.count).dropLast(4))
            }
            if let n = id("mountpoints-") { mounts[n] = decode(images, Mount.self, name) }
            if let n = id("netns-") {
                nets[n, default: .init(id: n, namespace: nil, devices: [])].namespace = decodeSingle(images, NetNamespace.self, name)
            }
            if let n = id("netdev-") {
                nets[n, default: .init(id: n, namespace: nil, devices: [])].devices = decode(images, NetDevice.self, name) ?? []
            }
            if let n = id("utsns-") { uts[n] = decodeSingle(images, UTSNamespace.self, name) }
        }
        // Raw network images of each dumped namespace (small: iproute2 dumps and rule text).
        for n in Set(nets.keys).union(names.compactMap { name in
            guard name.hasPrefix("ifaddr-"), name.hasSuffix(".img") else { return nil }
            return UInt32(name.dropFirst(7).dropLast(4))
        }).sorted() {
            func raw(_ prefix: String) -> [UInt8]? {
                names.contains("\(prefix)-\(n).img") ? readImage(images, "\(prefix)-\(n).img") : nil
            }
            let configuration = NetworkConfiguration.parse(
                ifaddr: raw("ifaddr"), route: raw("route"), route6: raw("route6"), rule: raw("rule"),
                iptables: raw("iptables"), ip6tables: raw("ip6tables"), nftables: raw("nftables"), id: n)
            warnings += configuration.problems
            nets[n, default: .init(id: n, namespace: nil, devices: [])].configuration = configuration
        }
        let cgroups = decodeSingle(images, Cgroups.self, "cgroup.img")
        let seccomp = decodeSingle(images, Seccomp.self, "seccomp.img")

        // Parents: the `parent` link chain inside the source, then the `previous` archive and its chain.
        var parents: [ImageSet] = []
        var chainEnd: (set: ImageSet, link: ImageSet.ParentLink) = (images, images.parentLink())
        func follow(from start: ImageSet) {
            var current = start
            var link = current.parentLink()
            while parents.count < 64, case .resolved(let parent) = link {
                parents.append(parent)
                current = parent
                link = current.parentLink()
            }
            chainEnd = (current, link)
        }
        follow(from: images)
        if let previous {
            // Podman's pre-checkpoint archive holds its images in checkpoint/ (or pre-checkpoint/ when
            // exported with --pre-checkpoint, or repacked from a --with-previous export).
            var directory = previous.imagesDirectory
            for candidate in [previous.imagesDirectory, "checkpoint", "pre-checkpoint"] {
                let path = candidate.isEmpty ? "inventory.img" : candidate + "/inventory.img"
                if (try? previous.member(named: path)) != nil {
                    directory = candidate
                    break
                }
            }
            let set = ImageSet(source: previous, directory: directory, label: previous.path + (directory.isEmpty ? "" : ":" + directory))
            parents.append(set)
            follow(from: set)
        }
        let parentGap: (link: String?, reason: String)
        switch chainEnd.link {
        case .dangling(let target, let reason):
            parentGap = (target, "\(chainEnd.set.path(of: "parent")) -> \(target) \(reason)")
        case .none, .resolved:
            parentGap = (nil, chainEnd.set.directory == images.directory && previous == nil
                ? "\(chainEnd.set.label) has no parent link and no separate pre-checkpoint was given"
                : "\(chainEnd.set.label) has no parent link")
        }

        // Nested archives and sizes.
        var sizes = Checkpoint.Sizes(total: 0, images: 0, pages: 0, gpuPages: 0, rootfsDiff: 0, volumes: 0, devshm: 0, tmpfs: 0)
        if let total = parts.totalSize {
            sizes.total = total
        } else if case .directory = source.kind {
            sizes.total = source.members.reduce(0) { $0 + ($1.kind == .file ? $1.size : 0) }
        } else if let streamed = source.streamBytes {
            sizes.total = streamed  // stdin: the bytes read from it
        } else if let size = source.archiveSize {
            sizes.total = size
        } else if let attributes = try? FileManager.default.attributesOfItem(atPath: path), let size = attributes[.size] as? UInt64 {
            sizes.total = size
        } else {
            // A part of another source (a container's directory inside a pod tar): its members.
            sizes.total = source.members.reduce(0) { $0 + ($1.kind == .file ? $1.size : 0) }
        }
        let imagePrefix = source.imagesDirectory.isEmpty ? "" : source.imagesDirectory + "/"
        for member in source.members where member.kind == .file {
            let p = member.path
            let base = (p as NSString).lastPathComponent
            if p.hasPrefix("volumes/") { sizes.volumes += member.size; continue }
            if p == "rootfs-diff.tar" { sizes.rootfsDiff += member.size; continue }
            if p == "devshm-checkpoint.tar" { sizes.devshm += member.size; continue }
            guard p.hasPrefix(imagePrefix) || p.hasPrefix("pre-checkpoint/") else { continue }
            if base.hasPrefix("amdgpu-pages-") { sizes.gpuPages += member.size }
            else if base.hasPrefix("pages-") && base.hasSuffix(".img") { sizes.pages += member.size }
            else if base.hasPrefix("tmpfs-") && base.hasSuffix(".tar.gz.img") { sizes.tmpfs += member.size }
            else if base.hasSuffix(".img") { sizes.images += member.size }
        }
        if let (_, layer) = parts.rootfsDiff { sizes.rootfsDiff = layer.size }
        var rootfsDiff: [Checkpoint.NestedFile] = []
        var devshm: [Checkpoint.NestedFile] = []
        var volumes: [String: [Checkpoint.NestedFile]] = [:]
        var tmpfs: [String: [Checkpoint.NestedFile]] = [:]
        if options.listNestedArchives {
            if let (layout, layer) = parts.rootfsDiff {
                rootfsDiff = listNested(layer, in: layout)
            } else if let m = member("rootfs-diff.tar"), m.kind == .file {
                rootfsDiff = listNested(m)
            }
            if let m = member("devshm-checkpoint.tar"), m.kind == .file { devshm = listNested(m) }
            for m in source.members where m.kind == .file && m.path.hasPrefix("volumes/") && m.path.hasSuffix(".tar") {
                let name = String(m.path.dropFirst("volumes/".count).dropLast(4))
                volumes[name] = listNested(m)
            }
            for name in names where name.hasPrefix("tmpfs-") && name.hasSuffix(".tar.gz.img") {
                if let m = (try? images.member(name)) ?? nil, m.kind == .file { tmpfs[name] = listNested(m) }
            }
        }

        // Facts.
        var version: (version: String, source: String, estimate: Bool)?
        for (name, log) in [("dump.log", dumpLog), ("pre-dump.log", Self.text(try? images.read("pre-dump.log", maxBytes: 256 << 20)))] {
            if version == nil, let log, let range = log.range(of: "Version: ") {
                version = (String(log[range.upperBound...].prefix { $0 != " " && $0 != "\n" }), name, false)
            }
        }
        if version == nil, !provisional, let guess = Self.estimateVersion(images: images, names: names) {
            version = (">= " + guess.version, guess.field, true)
        }
        let arch = architecture.map(\.machineName)
        let facts = Checkpoint.Facts(
            criuVersion: version?.version, criuVersionSource: version?.source, criuVersionIsEstimate: version?.estimate ?? false,
            architecture: arch, pageSize: pageSize ?? Self.defaultPageSize(architecture),
            pageSizeSource: pageSize != nil ? "auxv" : "architecture default", imageVersion: inventory?.imageVersion,
            isPreDump: treeSource == .preDump || (inventory != nil && tree.isEmpty), parentChain: parents.map(\.label))
        if let v = inventory?.imageVersion, v > 2 {
            warnings.append("inventory img_version \(v) is newer than this tool knows (2): page images are not interpreted")
        }
        if let damage = source.damage {
            warnings.insert("the archive is damaged, what follows the damage is not read: " + damage.description, at: 0)
        }
        var checkpoint = Checkpoint(
            path: path, source: source, images: images, engine: engine, inventory: inventory, processes: processes,
            files: fileTables.files, memfdInodes: fileTables.memfdInodes, mounts: mounts, networkNamespaces: nets, utsNamespaces: uts, cgroups: cgroups,
            seccomp: seccomp, dumpStats: stats?.dump, restoreStats: restoreStats?.restore, dumpLog: dumpLog, restoreLog: restoreLog,
            deletedFiles: deleted, descriptors: descriptors, rootfsDiff: rootfsDiff, devshm: devshm, volumes: volumes,
            tmpfs: tmpfs, sizes: sizes, facts: facts, warnings: warnings, parents: parents, unreadableImages: unreadableImages,
            processTree: treeSource, imageLayout: parts.imageLayout)
        checkpoint.isProvisional = provisional
        if !provisional { checkpoint.missingParents = checkpoint.findMissingParents(link: parentGap.link, reason: parentGap.reason) }
        return checkpoint
    }

    /// Image fields with the CRIU release that first wrote them (CRIU-FORMAT.md, the "since"
    /// columns), by image kind and crit JSON key: the newest one present gives a lower bound.
    static let fieldVersions: [String: [String: (Int, Int)]] = [
        "inventory": ["pre_dump_mode": (3, 14), "tcp_close": (3, 15), "network_lock_method": (3, 16), "plugins_entry": (4, 1),
                      "dump_criu_run_id": (4, 1), "allow_uprobes": (4, 2)],
        "pagemap": ["nr_pages": (4, 2)],
        "core": ["blk_sigset_extended": (3, 15), "ti_mips": (3, 15), "notify_thread_id": (3, 16), "apparmor_data": (3, 16),
                 "rseq_entry": (3, 17), "stop_signo": (3, 18), "cg_set": (3, 18), "membarrier_registration_mask": (3, 19),
                 "no_new_privs": (3, 19), "ti_loongarch64": (3, 19), "cap_amb": (4, 1), "ti_riscv64": (4, 1), "pac_keys": (4, 1)],
        "files": ["bpf": (3, 15), "pidfd": (4, 1)],
        "mm": ["mm_saved_auxv": (1, 0)],
    ]

    /// The lowest CRIU release whose images have the fields these images have, and the field that
    /// decided it (`core-1.img: membarrier_registration_mask`). Presence proves a lower bound;
    /// absence proves nothing (optional fields are written only when not default).
    static func estimateVersion(images: ImageSet, names: [String]) -> (version: String, field: String)? {
        var best: ((Int, Int), String)?
        var looked = 0
        for name in names where name.hasSuffix(".img") {
            let kind = name.hasPrefix("pagemap-shmem-") ? "" : String(name.prefix { $0 != "-" && $0 != "." })
            guard let table = fieldVersions[kind] else { continue }
            // A few images of each kind are enough: every process's images come from the same CRIU.
            looked += 1
            if looked > 64 { break }
            guard let bytes = try? images.read(name), let json = try? CritJSON(options: .init(pretty: false, payloads: false)).render(bytes, fileName: name)
            else { continue }
            func walk(_ value: JSONValue, _ path: String) {
                switch value {
                case .object(let pairs):
                    for (key, child) in pairs {
                        if let v = table[key], best == nil || v > best!.0 { best = (v, "\(name): \(path.isEmpty ? "" : path + ".")\(key)") }
                        walk(child, path.isEmpty ? key : path + "." + key)
                    }
                case .array(let items):
                    for item in items.prefix(4) { walk(item, path) }
                default: break
                }
            }
            if case .object(let top) = json, let entries = top.first(where: { $0.0 == "entries" })?.1 { walk(entries, "") }
        }
        guard let (v, field) = best, v >= (3, 0) else { return names.contains("files.img") ? ("3.4", "files.img (one file table, CRIU >= 3.4)") : nil }
        return ("\(v.0).\(v.1)", field)
    }

    /// A process of the tree: from `pstree.img`, or reconstructed with only its pid.
    struct TreeEntry {
        var pid: UInt32
        var parentPID: UInt32 = 0
        var processGroupID: UInt32 = 0
        var sessionID: UInt32 = 0
        var threads: [UInt32] = []
        /// The threads whose cores are read: those of the tree, or the leader alone.
        var threadIDs: [UInt32] { threads.isEmpty ? [pid] : threads }

        init(pid: UInt32) { self.pid = pid }
        init(_ entry: ProcessTreeEntry) {
            self.init(pid: entry.pid)
            (parentPID, processGroupID, sessionID, threads) = (entry.parentPID, entry.processGroupID, entry.sessionID, entry.threads)
        }
    }

    /// The N of every `PREFIX<N>.img` among `names`, sorted (`pagemap-shmem-*` is not a `pagemap-<N>`).
    static func numbered(_ prefix: String, in names: [String]) -> [UInt32] {
        names.compactMap { name -> UInt32? in
            guard name.hasPrefix(prefix), name.hasSuffix(".img") else { return nil }
            return UInt32(name.dropFirst(prefix.count).dropLast(4))
        }.sorted()
    }

    static func defaultPageSize(_ a: Architecture?) -> UInt64 {
        if case .ppc64? = a { return 65536 }
        return 4096
    }
}
