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

    init(path: String, source: CheckpointSource, previous: CheckpointSource?, options: Checkpoint.Options) {
        self.path = path
        self.source = source
        self.previous = previous
        self.options = options
    }

    /// Reads a top-level (engine) member, if present.
    mutating func readTop(_ name: String, maxBytes: Int = CheckpointSource.defaultReadLimit) -> [UInt8]? {
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

    mutating func listNested(_ member: ArchiveMember) -> [Checkpoint.NestedFile] {
        do {
            return try source.listNestedArchive(member).map { m in
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

    static func text(_ bytes: [UInt8]?) -> String? {
        bytes.map { String(decoding: $0, as: UTF8.self) }
    }

    mutating func load() throws(CheckpointError) -> Checkpoint {
        let images = ImageSet(source: source, directory: source.imagesDirectory, label: source.imagesDirectory.isEmpty ? "." : source.imagesDirectory)
        let inventory = try images.decodeSingle(Inventory.self, "inventory.img")
        let names = images.fileNames()
        if inventory == nil {
            if names.contains(where: { $0.hasSuffix(".img") }) {
                warnings.append("inventory.img is missing: the image directory is incomplete")
            } else if source.members.isEmpty || !names.contains(where: { $0 == "pstree.img" }) {
                throw CheckpointError(.notACheckpoint, source: path,
                                      message: "no CRIU images found (no inventory.img\(source.imagesDirectory.isEmpty ? "" : " in \(source.imagesDirectory)/"))")
            }
        }

        // Engine files.
        let (parsedEngine, engineWarnings) = EngineMetadata.parse(
            configDump: readTop("config.dump"), specDump: readTop("spec.dump"), networkStatus: readTop("network.status"))
        warnings += engineWarnings
        var engine = parsedEngine
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
        if let bytes = try images.read("descriptors.json"),
           let list = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [Any] {
            descriptors = list.compactMap { $0 as? String }
        }

        // Stats: CRIU's work dir is the archive top level for engines, the images dir for plain CRIU.
        var stats: Stats?
        var restoreStats: Stats?
        for (name, target) in [("stats-dump", 0), ("stats-restore", 1)] {
            var bytes = readTop(name)
            if bytes == nil { bytes = try images.read(name) }
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

        // The process tree and per-task images.
        let tree = try images.decode(ProcessTreeEntry.self, "pstree.img") ?? []
        var fileTables = FileTables()
        for entry in try images.decode(FileEntry.self, "files.img") ?? [] {
            fileTables.files[entry.id] = entry
        }
        for remap in try images.decode(RemapFilePath.self, "remap-fpath.img") ?? [] {
            fileTables.remaps[remap.originalID] = remap
        }
        for inode in try images.decode(MemFDInode.self, "memfd.img") ?? [] {
            fileTables.memfdInodes[UInt32(truncatingIfNeeded: inode.inodeID)] = inode
        }
        for data in try images.decode(PipeData.self, "pipes-data.img") ?? [] {
            fileTables.pipeData[data.pipeID, default: 0] += UInt64(data.byteCount)
        }
        for data in try images.decode(PipeData.self, "fifo-data.img") ?? [] {
            fileTables.pipeData[data.pipeID, default: 0] += UInt64(data.byteCount)
        }
        for packet in try images.decode(SocketPacket.self, "sk-queues.img") ?? [] {
            let old = fileTables.socketQueues[packet.socketID] ?? (0, 0)
            fileTables.socketQueues[packet.socketID] = (old.packets + 1, old.bytes + UInt64(packet.length))
        }
        for tty in try images.decode(TTYInfo.self, "tty-info.img") ?? [] {
            fileTables.ttys[tty.id] = tty
        }
        for name in names where name.hasPrefix("tcp-stream-") && name.hasSuffix(".img") {
            let hex = name.dropFirst("tcp-stream-".count).dropLast(4)
            guard let inode = UInt32(hex, radix: 16) else { continue }
            if let stream = try images.decodeSingle(TCPStream.self, name) { fileTables.tcpStreams[inode] = stream }
        }

        var processes: [CheckpointProcess] = []
        var depthOf: [UInt32: Int] = [:]
        var architecture: Architecture?
        var pageSize: UInt64?
        for entry in tree {
            let pid = entry.pid
            let threadIDs = entry.threads.isEmpty ? [pid] : entry.threads
            var threads: [CheckpointThread] = []
            var leaderCore: Core?
            for tid in threadIDs {
                let core = try images.decodeSingle(Core.self, "core-\(tid).img")
                if core == nil { warnings.append("core-\(tid).img is missing (thread \(tid) of process \(pid))") }
                if tid == pid { leaderCore = core }
                threads.append(CheckpointThread(tid: tid, name: (core?.thread?.comm ?? core?.task?.comm)?.description ?? "", core: core))
            }
            if leaderCore == nil { leaderCore = threads.first?.core }
            if architecture == nil { architecture = leaderCore?.architecture }
            let task = leaderCore?.task
            let state = task?.state ?? .unknown(0)
            let ids = try images.decodeSingle(KernelObjectIDs.self, "ids-\(pid).img")
            let mm = try images.decodeSingle(MemoryMap.self, "mm-\(pid).img")
            if pageSize == nil, let size = mm?.pageSize { pageSize = size }
            let fs = try images.decodeSingle(TaskFS.self, "fs-\(pid).img")
            var open: [OpenFile] = []
            if let ids {
                let fdinfo = try images.decode(FileDescriptorInfo.self, "fdinfo-\(ids.filesID).img")
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
                executable: mm.flatMap { fileTables.path(ofFileID: $0.exeFileID) }, files: open, depth: depth))
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
            if let n = id("mountpoints-") { mounts[n] = try images.decode(Mount.self, name) }
            if let n = id("netns-") {
                nets[n, default: .init(id: n, namespace: nil, devices: [])].namespace = try images.decodeSingle(NetNamespace.self, name)
            }
            if let n = id("netdev-") {
                nets[n, default: .init(id: n, namespace: nil, devices: [])].devices = try images.decode(NetDevice.self, name) ?? []
            }
            if let n = id("utsns-") { uts[n] = try images.decodeSingle(UTSNamespace.self, name) }
        }
        let cgroups = try images.decodeSingle(Cgroups.self, "cgroup.img")
        let seccomp = try images.decodeSingle(Seccomp.self, "seccomp.img")

        // Parents.
        var parents: [ImageSet] = []
        var current = images
        while parents.count < 64, let parent = try current.parent() {
            parents.append(parent)
            current = parent
        }
        if let previous {
            // Podman's pre-checkpoint archive holds its images in checkpoint/ (or pre-checkpoint/ when
            // repacked from a --with-previous export).
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
            current = set
            while parents.count < 64, let parent = try current.parent() {
                parents.append(parent)
                current = parent
            }
        }

        // Nested archives and sizes.
        var sizes = Checkpoint.Sizes(total: 0, images: 0, pages: 0, gpuPages: 0, rootfsDiff: 0, volumes: 0, devshm: 0, tmpfs: 0)
        if case .directory = source.kind {
            sizes.total = source.members.reduce(0) { $0 + ($1.kind == .file ? $1.size : 0) }
        } else if let attributes = try? FileManager.default.attributesOfItem(atPath: path), let size = attributes[.size] as? UInt64 {
            sizes.total = size
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
        var rootfsDiff: [Checkpoint.NestedFile] = []
        var devshm: [Checkpoint.NestedFile] = []
        var volumes: [String: [Checkpoint.NestedFile]] = [:]
        var tmpfs: [String: [Checkpoint.NestedFile]] = [:]
        if options.listNestedArchives {
            if let m = member("rootfs-diff.tar"), m.kind == .file { rootfsDiff = listNested(m) }
            if let m = member("devshm-checkpoint.tar"), m.kind == .file { devshm = listNested(m) }
            for m in source.members where m.kind == .file && m.path.hasPrefix("volumes/") && m.path.hasSuffix(".tar") {
                let name = String(m.path.dropFirst("volumes/".count).dropLast(4))
                volumes[name] = listNested(m)
            }
            for name in names where name.hasPrefix("tmpfs-") && name.hasSuffix(".tar.gz.img") {
                if let m = try images.member(name), m.kind == .file { tmpfs[name] = listNested(m) }
            }
        }

        // Facts.
        var version: String?
        if let log = dumpLog, let range = log.range(of: "Version: ") {
            version = String(log[range.upperBound...].prefix { $0 != " " && $0 != "\n" })
        }
        if version == nil { version = Self.guessVersion(inventory: inventory, images: images, processes: processes) }
        let arch = architecture.map(\.machineName)
        var facts = Checkpoint.Facts(
            criuVersion: version, architecture: arch, pageSize: pageSize ?? Self.defaultPageSize(architecture),
            pageSizeSource: pageSize != nil ? "auxv" : "architecture default", imageVersion: inventory?.imageVersion,
            isPreDump: inventory != nil && tree.isEmpty, parentChain: parents.map(\.label))
        if inventory?.imageVersion == 0 { facts.isPreDump = true }
        if let v = inventory?.imageVersion, v > 2 {
            warnings.append("inventory img_version \(v) is newer than this tool knows (2): page images are not interpreted")
        }
        return Checkpoint(
            path: path, source: source, images: images, engine: engine, inventory: inventory, processes: processes,
            files: fileTables.files, memfdInodes: fileTables.memfdInodes, mounts: mounts, networkNamespaces: nets, utsNamespaces: uts, cgroups: cgroups,
            seccomp: seccomp, dumpStats: stats?.dump, restoreStats: restoreStats?.restore, dumpLog: dumpLog, restoreLog: restoreLog,
            deletedFiles: deleted, descriptors: descriptors, rootfsDiff: rootfsDiff, devshm: devshm, volumes: volumes,
            tmpfs: tmpfs, sizes: sizes, facts: facts, warnings: warnings, parents: parents)
    }


    static func defaultPageSize(_ a: Architecture?) -> UInt64 {
        if case .ppc64? = a { return 65536 }
        return 4096
    }

    /// The lowest CRIU version whose images have the fields these images have (CRIU-FORMAT.md 3.1).
    static func guessVersion(inventory: Inventory?, images: ImageSet, processes: [CheckpointProcess]) -> String? {
        guard let inventory else { return nil }
        if inventory.allowUprobes != nil { return ">= 4.2" }
        if let first = processes.first, let bytes = try? images.read("pagemap-\(first.pid).img"),
           let pagemap = try? Pagemap.decode(bytes, fileName: "pagemap-\(first.pid).img"),
           pagemap.entries.contains(where: { $0.pageCount != nil }) {
            return ">= 4.2"
        }
        if inventory.plugins != nil || inventory.dumpRunID != nil { return ">= 4.1" }
        if processes.contains(where: { $0.threads.contains { $0.core?.thread?.cgroupSet != nil } }) { return ">= 3.18" }
        return ">= 3.4"
    }
}
