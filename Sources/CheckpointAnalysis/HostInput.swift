import Checkpoint
import CheckpointArchive
import CRIUImages
import Foundation

/// What the host comparison needs to know about the checkpoint, read from the walk's images and (when it
/// opened) the linked checkpoint.
extension Walk {
    func hostInput(checkpoint: Checkpoint?, logs: [CRIULog]) -> HostCheck.Input {
        var input = HostCheck.Input()
        input.architecture = architecture.map(\.machineName)
        input.pageSize = pageSize
        input.criuVersion = criuVersion(checkpoint: checkpoint, logs: logs)
        input.kernel = logs.lazy.compactMap(\.kernel).first
        input.cpu = logs.lazy.compactMap(\.cpu).first
        if let annotations = checkpoint?.engine.annotations {
            for (key, value) in annotations.sorted(by: { $0.key < $1.key }) where key.lowercased().contains("kernel") {
                input.kernel = input.kernel ?? value
            }
        }
        input.engine = checkpoint?.engine.engine.rawValue ?? "criu"
        let root = inventory?.rootIDs
        let firstIDs = processes.lazy.compactMap(\.ids).first
        input.ownMountNamespace = firstIDs.map { $0.mountNamespaceID != root?.mountNamespaceID } ?? (input.engine != "criu")
        input.ownNetworkNamespace = firstIDs.map { $0.netNamespaceID != root?.netNamespaceID } ?? (input.engine != "criu")
        addNamespaces(&input)
        addFiles(&input)
        addMemory(&input)
        if let seccomp = checkpoint?.seccomp, !seccomp.filters.isEmpty {
            input.features.insert(.seccompFilters)
            input.featureEvidence[.seccompFilters] = "seccomp.img: \(seccomp.filters.count) filter\(seccomp.filters.count == 1 ? "" : "s")"
        }
        addCPU(&input, checkpoint: checkpoint)
        addCgroups(&input, checkpoint: checkpoint)
        addSecurity(&input, checkpoint: checkpoint)
        addMounts(&input, checkpoint: checkpoint)
        if let engine = checkpoint?.engine, engine.engine != .criu {
            input.image = HostCheck.ImageNeed(id: engine.imageID, reference: engine.imageRef, name: engine.imageName,
                                              source: engine.engine == .podman ? "config.dump" : "spec.dump annotations")
        }
        input.plugins = inventory?.plugins
        input.pluginImages = own.fileNames().filter { $0.hasPrefix("amdgpu-") }.sorted()
        return input
    }

    /// Namespaces the tree holds apart from CRIU's own (`inventory.root_ids`): the restore creates them.
    func addNamespaces(_ input: inout HostCheck.Input) {
        guard let root = inventory?.rootIDs else { return }
        let kinds: [(HostCheck.Feature, String, KeyPath<KernelObjectIDs, UInt32?>)] = [
            (.userNamespace, "user_ns_id", \.userNamespaceID), (.pidNamespace, "pid_ns_id", \.pidNamespaceID),
            (.netNamespace, "net_ns_id", \.netNamespaceID), (.ipcNamespace, "ipc_ns_id", \.ipcNamespaceID),
            (.utsNamespace, "uts_ns_id", \.utsNamespaceID), (.mountNamespace, "mnt_ns_id", \.mountNamespaceID),
            (.cgroupNamespace, "cgroup_ns_id", \.cgroupNamespaceID), (.timeNamespace, "time_ns_id", \.timeNamespaceID),
        ]
        for (feature, field, path) in kinds {
            guard let process = processes.first(where: { p in p.ids.map { $0[keyPath: path] != nil && $0[keyPath: path] != root[keyPath: path] } ?? false }),
                  let id = process.ids?[keyPath: path] else { continue }
            input.features.insert(feature)
            input.featureEvidence[feature] = "ids-\(process.pid).img: \(field) \(id), CRIU's own \(root[keyPath: path].map(String.init) ?? "none")"
        }
    }

    func addFiles(_ input: inout HostCheck.Input) {
        let root = inventory?.rootIDs?.netNamespaceID
        var removed = Set<UInt32>()
        if let remaps = try? own.decode(RemapFilePath.self, "remap-fpath.img") {
            for r in remaps { removed.insert(r.originalID) }
        }
        let filesPath = own.path(of: "files.img")
        var pipes: [UInt32: (readers: [UInt32], writers: [UInt32], entry: Int)] = [:]
        var pidfds = 0
        func netNamespace(of socket: InetSocket) -> UInt32? {
            socket.netNamespaceID ?? processes.first { $0.fileIDs.contains(socket.id) }?.ids?.netNamespaceID
        }
        func port(_ s: InetSocket, _ proto: String, _ entry: Int) -> HostCheck.PortReference {
            var ref = HostCheck.PortReference(port: s.sourcePort, family: s.family == 10 ? 6 : 4, protocolName: proto, fileID: s.id)
            ref.address = s.sourceAddress?.description
            ref.entry = entry
            if let root, let ns = netNamespace(of: s) { ref.inHostNetwork = ns == root }
            return ref
        }
        for id in fileOrder {
            let (file, entry) = files[id]!
            switch file.file {
            case .regular(let reg) where !removed.contains(id) && reg.isExternal != true:
                input.files.append(.init(id: id, path: reg.name.description, size: reg.size, mode: reg.mode, image: filesPath, entry: entry.index))
                let name = reg.name.description
                if name.contains("secretmem") {
                    input.features.insert(.memfdSecret)
                    input.featureEvidence[.memfdSecret] = "files.img entry \(entry.index): \(name)"
                }
                if name.contains("[io_uring]") {
                    input.features.insert(.ioUring)
                    input.featureEvidence[.ioUring] = "files.img entry \(entry.index): \(name)"
                }
            case .regular(let reg) where reg.isExternal == true:
                input.externals.append(.init(kind: "fd", description: "\(reg.name.description) (file id \(id), dumped as external)",
                                             image: filesPath, entry: entry.index))
            case .inetSocket(let s) where s.state == 10 && s.protocolNumber == 6:
                input.listeningPorts.append(port(s, "tcp", entry.index))
            case .inetSocket(let s) where s.protocolNumber == 17 && s.sourcePort != 0:
                input.listeningPorts.append(port(s, "udp", entry.index))
            case .inetSocket(let s) where s.protocolNumber == 6 && s.state == 1:
                input.features.insert(.tcpRepair)
                input.featureEvidence[.tcpRepair] = input.featureEvidence[.tcpRepair]
                    ?? "files.img entry \(entry.index): established TCP \(s.sourcePort) -> \(s.destinationPort)"
            case .pidfd:
                pidfds += 1
                input.features.insert(.pidfd)
                input.featureEvidence[.pidfd] = input.featureEvidence[.pidfd] ?? "files.img entry \(entry.index): a pidfd"
            case .pipe(let p):
                var ends = pipes[p.pipeID] ?? ([], [], entry.index)
                if p.flags & 3 == 1 { ends.writers.append(id) } else { ends.readers.append(id) }
                pipes[p.pipeID] = ends
            case .unixSocket(let u) where u.criuFlags & 0x1 != 0:
                input.externals.append(.init(kind: "unix", description: "unix socket \(u.path.description.isEmpty ? "inode \(u.inode)" : u.path.description) (file id \(id))",
                                             image: filesPath, entry: entry.index))
            case .unixSocket(let u) where u.criuFlags & 0x8 != 0:
                input.externals.append(.init(kind: "fd", description: "unix socket inode \(u.inode) (file id \(id), inherited)",
                                             image: filesPath, entry: entry.index))
            case .external:
                input.externals.append(.init(kind: "fd", description: "file id \(id) (an external file a plugin restores)", image: filesPath, entry: entry.index))
            default: break
            }
        }
        if pidfds > 1 { input.featureEvidence[.pidfd] = "files.img: \(pidfds) pidfds" }
        for (pipeID, ends) in pipes.sorted(by: { $0.key < $1.key }) where ends.readers.isEmpty || ends.writers.isEmpty {
            let side = ends.readers.isEmpty ? "write" : "read"
            let ids = (ends.readers + ends.writers).map(String.init).joined(separator: ", ")
            input.externals.append(.init(kind: "fd", description: "pipe:[\(pipeID)] (only its \(side) end is in the dump: file id \(ids))",
                                         image: filesPath, entry: ends.entry))
        }
        if !memfdInodes.isEmpty {
            input.features.insert(.memfd)
            input.featureEvidence[.memfd] = "memfd.img: \(memfdInodes.count) memfd\(memfdInodes.count == 1 ? "" : "s")"
        }
    }

    func addMemory(_ input: inout HostCheck.Input) {
        if let p = processes.first(where: { $0.memory?.vmas.contains { $0.status.contains(.shadowStack) } == true }) {
            input.features.insert(.shadowStack)
            input.featureEvidence[.shadowStack] = "mm-\(p.pid).img: a shadow-stack VMA"
        }
        if let p = processes.first(where: { $0.memory?.vmas.contains { $0.isGuard } == true }) {
            input.features.insert(.guardRegions)
            input.featureEvidence[.guardRegions] = "mm-\(p.pid).img: a guard region"
        }
        for (path, info) in pagemaps.sorted(by: { $0.key < $1.key }) {
            guard let info, let lazy = info.runs.first(where: { $0.kind == .lazy }) else { continue }
            input.features.insert(.userfaultfd)
            input.featureEvidence[.userfaultfd] = "\(path) entry \(lazy.entry): lazy pages, restored through userfaultfd"
            break
        }
        // CRIU 4.2 writes a pagemap entry's page count in nr_pages and leaves compat_nr_pages 0.
        for name in own.fileNames().sorted() where name.hasPrefix("pagemap-") && !name.hasPrefix("pagemap-shmem-") {
            guard let entries = try? own.decode(PagemapEntry.self, name) else { continue }
            if let k = entries.firstIndex(where: { $0.pageCount != nil && $0.compatPageCount == 0 }) {
                input.newPageCount = Finding.Reference(image: own.path(of: name), entry: k + 1)
            }
            break
        }
    }

    func addCPU(_ input: inout HostCheck.Input, checkpoint: Checkpoint?) {
        input.hasCPUInfo = exists(own, "cpuinfo.img")
        if input.hasCPUInfo, let bytes = (try? own.read("cpuinfo.img")) ?? nil {
            input.cpuInfo = CPUInfoRecord.read(bytes)
        }
        if let log = checkpoint?.dumpLog ?? ((try? own.read("dump.log")) ?? nil).map({ String(decoding: $0, as: UTF8.self) }) {
            input.dumpFPU = HostCheck.DumpFPU.parse(log)
        }
        // The threads' saved XSAVE state, per core image.
        var cores: [(String, [Core])] = []
        if let checkpoint {
            for process in checkpoint.processes {
                cores.append(("core-\(process.pid).img", process.threads.compactMap(\.core)))
            }
        } else {
            for name in own.fileNames().sorted() where name.hasPrefix("core-") {
                if let core = try? own.decodeSingle(Core.self, name) { cores.append((name, [core])) }
            }
        }
        for (name, list) in cores {
            var mask: UInt64 = 0
            var threads = 0
            for core in list {
                guard case .x86_64(let regs)? = core.registers, let bv = regs.xstateBV else { continue }
                mask |= bv
                threads += 1
            }
            if threads > 0 { input.xstate.append(.init(image: own.path(of: name), threads: threads, mask: mask)) }
        }
    }

    func addCgroups(_ input: inout HostCheck.Input, checkpoint: Checkpoint?) {
        guard let cgroups = checkpoint?.cgroups ?? ((try? own.decodeSingle(Cgroups.self, "cgroup.img")) ?? nil) else { return }
        var v1 = Set<String>()
        var v2 = false
        for set in cgroups.sets where set.id != inventory?.rootCgroupSet || cgroups.sets.count == 1 {
            for member in set.members {
                let name = member.controllers.description
                if name.isEmpty { v2 = true } else if name.hasPrefix("name=") { v1.insert(name) } else {
                    for c in name.split(separator: ",") { v1.insert(String(c)) }
                }
            }
        }
        var v2Controllers = Set<String>()
        func walk(_ dirs: [CgroupDirectory]) {
            for d in dirs {
                for p in d.properties {
                    let name = p.name.description
                    if let dot = name.firstIndex(of: "."), name[..<dot] != "cgroup" { v2Controllers.insert(String(name[..<dot])) }
                }
                walk(d.children)
            }
        }
        for controller in cgroups.controllers where controller.names.map(\.description) == [""] { walk(controller.directories) }
        input.cgroups = HostCheck.CgroupNeeds(v1: v1.sorted(), usesV2: v2, v2Controllers: v2Controllers.sorted())
    }

    func addSecurity(_ input: inout HostCheck.Input, checkpoint: Checkpoint?) {
        input.lsmType = inventory?.lsmType
        let kind: String = switch inventory?.lsmType {
        case .some(LSMType.apparmor): "apparmor"
        case .some(LSMType.selinux): "selinux"
        default: "unknown"
        }
        var seen = Set<String>()
        for process in checkpoint?.processes ?? [] {
            for thread in process.threads {
                guard let profile = thread.credentials?.lsmProfile?.description, !profile.isEmpty else { continue }
                // AppArmor's label reads "name (mode)"; the profile is the name.
                var label = profile
                if kind == "apparmor", let open = label.range(of: " (", options: .backwards), label.hasSuffix(")") { label = String(label[..<open.lowerBound]) }
                guard seen.insert(label).inserted else { continue }
                input.labels.append(.init(kind: kind, label: label, source: "core-\(thread.tid).img creds.lsm_profile"))
            }
        }
        if let engine = checkpoint?.engine {
            if let profile = engine.apparmorProfile, seen.insert(profile).inserted {
                input.labels.append(.init(kind: "apparmor", label: profile, source: "spec.dump process.apparmorProfile"))
            }
            for (label, field) in [(engine.selinuxLabel, "process.selinuxLabel"), (engine.mountLabel, "linux.mountLabel")] {
                if let label, !label.isEmpty, seen.insert(label).inserted {
                    input.labels.append(.init(kind: "selinux", label: label, source: "spec.dump \(field)"))
                }
            }
        }
    }

    func addMounts(_ input: inout HostCheck.Input, checkpoint: Checkpoint?) {
        guard let checkpoint else { return }
        for (ns, mounts) in checkpoint.mounts.sorted(by: { $0.key < $1.key }) {
            let image = own.path(of: "mountpoints-\(ns).img")
            for (k, mount) in mounts.enumerated() {
                if let key = mount.externalKey?.description {
                    input.externals.append(.init(kind: "mount", description: "\(mount.mountPoint.description) (ext_key \(key))", image: image, entry: k))
                }
                if mount.filesystemType == .overlayfs, input.featureEvidence[.overlayfs] == nil {
                    input.features.insert(.overlayfs)
                    input.featureEvidence[.overlayfs] = "\(image) entry \(k): \(mount.mountPoint.description) is an overlay mount"
                }
            }
        }
    }
}

extension HostCheck.DumpFPU {
    /// The `cpu: fpu: xfeatures_mask 0x205 xsave_size 2440 xsave_size_max 2440 ...` line of a CRIU log.
    static func parse(_ log: String) -> HostCheck.DumpFPU? {
        guard let range = log.range(of: "cpu: fpu: xfeatures_mask ") else { return nil }
        let words = log[range.upperBound...].prefix { $0 != "\n" }.split(separator: " ")
        guard let first = words.first, first.hasPrefix("0x"), let mask = UInt64(first.dropFirst(2), radix: 16) else { return nil }
        func value(_ key: String) -> UInt32? {
            guard let i = words.firstIndex(where: { $0 == key }), i + 1 < words.count else { return nil }
            return UInt32(words[i + 1])
        }
        return .init(xfeaturesMask: mask, xsaveSize: value("xsave_size"), xsaveSizeMax: value("xsave_size_max"))
    }
}

extension CPUInfoRecord {
    /// Reads the first x86 entry of a `cpuinfo.img`; nil when it does not decode or has none.
    static func read(_ bytes: [UInt8]) -> CPUInfoRecord? {
        guard let json = try? CritJSON(options: .init(pretty: true, payloads: false)).render(bytes, fileName: "cpuinfo.img"),
              case .array(let entries)? = json["entries"], let entry = entries.first,
              case .array(let x86)? = entry["x86_entry"], let first = x86.first else { return nil }
        func text(_ v: JSONValue?) -> String? {
            switch v {
            case .string(let s)?: s
            case .number(let n)?: n
            default: nil
            }
        }
        func number(_ key: String) -> UInt64? {
            guard let t = text(first[key]) else { return nil }
            return t.hasPrefix("0x") ? UInt64(t.dropFirst(2), radix: 16) : UInt64(t)
        }
        var words: [UInt32] = []
        if case .array(let caps)? = first["capability"] {
            words = caps.compactMap { text($0).flatMap { $0.hasPrefix("0x") ? UInt32($0.dropFirst(2), radix: 16) : UInt32($0) } }
        }
        return CPUInfoRecord(vendor: text(first["vendor_id"]), family: number("cpu_family").map { UInt32(truncatingIfNeeded: $0) },
                             model: number("model").map { UInt32(truncatingIfNeeded: $0) }, stepping: number("stepping").map { UInt32(truncatingIfNeeded: $0) },
                             modelName: text(first["model_id"]), capabilityVersion: number("capability_ver").map { UInt32(truncatingIfNeeded: $0) },
                             capabilityWords: words, xfeaturesMask: number("xfeatures_mask"),
                             xsaveSize: number("xsave_size").map { UInt32(truncatingIfNeeded: $0) },
                             xsaveSizeMax: number("xsave_size_max").map { UInt32(truncatingIfNeeded: $0) })
    }
}
