import Checkpoint
import CheckpointArchive
import CRIUImages
import Foundation

/// The JSON documents of `show` and `inspect` (schema: Schemas/inspect.schema.json).
extension JSONValue {
    /// A virtual address (or other 64-bit quantity beyond 2^53) as lowercase hex: `"0x7f8c00711000"`.
    static func hex<T: BinaryInteger>(_ value: T) -> String { "0x" + String(value, radix: 16) }
}

enum Report {
    static let schemaVersion = "ckpt-inspect/inspect/v2"

    static func str(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
    static func int<T: BinaryInteger>(_ v: T?) -> JSONValue { v.map { JSONValue.int($0) } ?? .null }

    static func sourceKind(_ kind: CheckpointSource.Kind) -> String {
        switch kind {
        case .directory: "directory"
        case .tar(let c): c == .none ? "tar" : "tar." + c.rawValue
        case .stdin(let c): "stdin:" + c.rawValue
        }
    }

    /// The document of `show` and `list` (Schemas/show.schema.json): one summary per checkpoint.
    static func checkpoints(_ rows: [JSONValue], command: String) -> JSONValue {
        .object([("schema", .string("ckpt-inspect/\(command)/v2")), ("checkpoints", .array(rows))])
    }

    /// The one-line facts `show` prints; with the pod and the container's name for a container of a pod.
    static func summary(_ c: Checkpoint, pod: PodCheckpoint? = nil, container: String? = nil) -> JSONValue {
        let e = c.engine
        return .object([
            ("path", .string(RawPath.display(pod?.path ?? c.path))),
            ("pod", pod.map { p in
                .object([("name", str(p.pod.name)), ("namespace", str(p.pod.namespace)), ("variant", .string(p.variant.rawValue)),
                         ("container", str(container)), ("location", str(p.container(named: container ?? "")?.location))])
            } ?? .null),
            ("source", .string(sourceKind(c.source.kind))),
            ("engine", .string(e.engine.rawValue)),
            ("container", str(e.containerName)),
            ("id", str(e.containerID)),
            ("image", str(e.imageName)),
            ("runtime", str(e.runtime)),
            ("created", str(e.created)),
            ("checkpointed", str(e.checkpointed)),
            ("size", .int(c.sizes.total)),
            ("rootfs_diff_size", .int(c.sizes.rootfsDiff)),
            ("processes", .int(c.processes.count)),
            ("threads", .int(c.threadCount)),
            ("pages_size", .int(c.sizes.pages)),
        ])
    }

    static func container(_ c: Checkpoint) -> JSONValue {
        let e = c.engine
        return .object([
            ("engine", .string(e.engine.rawValue)),
            ("name", str(e.containerName)),
            ("id", str(e.containerID)),
            ("image", str(e.imageName)),
            ("image_ref", str(e.imageRef)),
            ("image_id", str(e.imageID)),
            ("runtime", str(e.runtime)),
            ("created", str(e.created)),
            ("checkpointed", str(e.checkpointed)),
            ("restored", str(e.restored)),
            ("pod", str(e.podName)),
            ("namespace", str(e.namespace)),
            ("hostname", str(e.hostname)),
            ("args", .array(e.processArgs.map(JSONValue.string))),
            ("env", .array(e.processEnv.map(JSONValue.string))),
            ("create_command", .array(e.createCommand.map(JSONValue.string))),
            ("named_volumes", .array(e.namedVolumes.map { v in
                .object([("name", .string(v.name)), ("destination", .string(v.destination)), ("options", .array(v.options.map(JSONValue.string)))])
            })),
            ("export_options", .array(Describe.exportOptions(c).map(JSONValue.string))),
            ("networks", .array(e.networks.map { n in
                .object([
                    ("network", str(n.network)), ("interface", str(n.interface)),
                    ("addresses", .array(n.addresses.map(JSONValue.string))),
                    ("gateways", .array(n.gateways.map(JSONValue.string))), ("mac", str(n.mac)),
                ])
            })),
        ])
    }

    static func sizes(_ s: Checkpoint.Sizes) -> JSONValue {
        .object([
            ("total", .int(s.total)), ("images", .int(s.images)), ("pages", .int(s.pages)), ("gpu_pages", .int(s.gpuPages)),
            ("rootfs_diff", .int(s.rootfsDiff)), ("volumes", .int(s.volumes)), ("devshm", .int(s.devshm)), ("tmpfs", .int(s.tmpfs)),
        ])
    }

    static func stats(_ c: Checkpoint) -> JSONValue {
        var pairs: [(String, JSONValue)] = []
        if let d = c.dumpStats {
            pairs.append(("dump", .object([
                ("freezing_time_us", .int(d.freezingTime)), ("frozen_time_us", .int(d.frozenTime)),
                ("memdump_time_us", .int(d.memoryDumpTime)), ("memwrite_time_us", .int(d.memoryWriteTime)),
                ("pages_scanned", .int(d.pagesScanned)), ("pages_skipped_parent", .int(d.pagesSkippedParent)),
                ("pages_written", .int(d.pagesWritten)), ("irmap_resolve_time_us", int(d.irmapResolveTime)),
                ("pages_lazy", .int(d.pagesLazy)), ("page_pipes", int(d.pagePipes)), ("page_pipe_bufs", int(d.pagePipeBuffers)),
                ("shpages_scanned", int(d.sharedPagesScanned)), ("shpages_skipped_parent", int(d.sharedPagesSkippedParent)),
                ("shpages_written", int(d.sharedPagesWritten)),
            ])))
        }
        if let r = c.restoreStats {
            pairs.append(("restore", .object([
                ("pages_compared", .int(r.pagesCompared)), ("pages_skipped_cow", .int(r.pagesSkippedCOW)),
                ("forking_time_us", .int(r.forkingTime)), ("restore_time_us", .int(r.restoreTime)),
                ("pages_restored", int(r.pagesRestored)),
            ])))
        }
        return .object(pairs)
    }

    static func facts(_ c: Checkpoint) -> JSONValue {
        let f = c.facts
        return .object([
            ("criu_version", str(f.criuVersion)), ("architecture", str(f.architecture)), ("page_size", .int(f.pageSize)),
            ("page_size_source", .string(f.pageSizeSource)), ("image_version", int(f.imageVersion)),
            ("criu_version_source", str(f.criuVersionSource)), ("criu_version_estimated", .bool(f.criuVersionIsEstimate)),
            ("pre_dump", .bool(f.isPreDump)), ("parents", .array(f.parentChain.map { .string(RawPath.display($0)) })),
            ("images_directory", .string(c.images.directory)),
            ("process_tree", .string(c.processTree.rawValue)),
        ] + partialEvidence(c))
    }

    /// What the checkpoint could not give: missing parent pre-checkpoints, the archive's damage,
    /// images present but unreadable. Every report's JSON carries these members.
    static func partialEvidence(_ c: Checkpoint) -> [(String, JSONValue)] {
        [
            ("missing_parents", .array(c.missingParents.map { m in
                .object([
                    ("image_set", .string(RawPath.display(m.imageSet))), ("link", str(m.link)), ("reason", .string(RawPath.display(m.reason))),
                    ("pages", .int(m.pages)), ("pids", .array(m.pids.map { .int($0) })), ("shared_memory", .array(m.sharedMemory.map { .int($0) })),
                ])
            })),
            ("damage", c.damage.map { d in
                .object([
                    ("code", .string(d.code.description)), ("member", str(d.member)), ("member_bytes_read", d.memberBytesRead.map { .int($0) } ?? .null),
                    ("file_offset", .int(d.fileOffset)), ("stream_offset", d.streamOffset.map { .int($0) } ?? .null),
                    ("message", .string(d.message)), ("description", .string(RawPath.display(d.description))),
                ])
            } ?? .null),
            ("unreadable_images", .array(c.unreadableImages.sorted { $0.key < $1.key }.map { .object([("image", .string($0.key)), ("error", .string(RawPath.display($0.value)))]) })),
        ]
    }

    static func credentials(_ creds: Credentials?) -> JSONValue {
        guard let c = creds else { return .null }
        func caps(_ set: CapabilitySet?) -> JSONValue { set.map { .array($0.names.map(JSONValue.string)) } ?? .null }
        return .object([
            ("uid", .int(c.uid)), ("gid", .int(c.gid)), ("euid", .int(c.euid)), ("egid", .int(c.egid)),
            ("suid", .int(c.suid)), ("sgid", .int(c.sgid)), ("fsuid", .int(c.fsuid)), ("fsgid", .int(c.fsgid)),
            ("groups", .array(c.groups.map { .int($0) })),
            ("cap_effective", caps(c.effective)), ("cap_permitted", caps(c.permitted)),
            ("cap_inheritable", caps(c.inheritable)), ("cap_bounding", caps(c.bounding)), ("cap_ambient", caps(c.ambient)),
            ("no_new_privs", int(c.noNewPrivileges)), ("lsm_profile", str(c.lsmProfile?.description)),
        ])
    }

    static func namespaces(_ ids: KernelObjectIDs?) -> JSONValue {
        guard let ids else { return .null }
        return .object([
            ("pid", int(ids.pidNamespaceID)), ("net", int(ids.netNamespaceID)), ("ipc", int(ids.ipcNamespaceID)),
            ("uts", int(ids.utsNamespaceID)), ("mnt", int(ids.mountNamespaceID)), ("user", int(ids.userNamespaceID)),
            ("cgroup", int(ids.cgroupNamespaceID)), ("time", int(ids.timeNamespaceID)),
        ])
    }

    static func file(_ f: OpenFile) -> JSONValue {
        .object([
            ("fd", .int(f.fd)), ("kind", .string(f.kind)), ("target", .string(f.target)), ("file_id", .int(f.fileID)),
            ("cloexec", .bool(f.fdFlags & 1 != 0)),
            ("details", details(f.details)),
        ])
    }

    /// A file's details with their types: numbers as numbers, an endpoint as `<key>_address` and
    /// `<key>_port`, repeated records as an array of objects.
    static func details(_ list: [OpenFile.Detail]) -> JSONValue {
        var pairs: [(String, JSONValue)] = []
        for d in list {
            switch d.typed {
            case .text(let text): pairs.append((d.key, .string(text)))
            case .number(let n): pairs.append((d.key, .int(n)))
            case .endpoint(let address, let port): pairs += [(d.key + "_address", .string(address)), (d.key + "_port", .int(port))]
            case .records(let records): pairs.append((d.key, .array(records.map(details))))
            }
        }
        return .object(pairs)
    }

    /// Resource limits by name; RLIM_INFINITY is `"unlimited"` (it does not fit a JSON number exactly).
    static func limits(_ list: [ResourceLimit]) -> JSONValue {
        func value(_ v: UInt64) -> JSONValue { v == ResourceLimit.infinity ? .string("unlimited") : .int(v) }
        return .array(list.enumerated().map { i, l in
            .object([("resource", .string(i < ResourceLimit.resourceNames.count ? ResourceLimit.resourceNames[i] : "\(i)")),
                     ("soft", value(l.current)), ("hard", value(l.maximum))])
        })
    }

    static func process(_ p: CheckpointProcess, in c: Checkpoint, extra: [(String, JSONValue)] = []) -> JSONValue {
        let namespaces = Describe.namespaces(p, in: c)
        var pairs: [(String, JSONValue)] = [
            ("pid", .int(p.pid)), ("ppid", .int(p.ppid)), ("pgid", .int(p.pgid)), ("sid", .int(p.sid)),
            ("comm", .string(p.command)), ("state", .string(p.state.description)), ("exit_code", .int(p.exitCode)),
            ("in_process_tree", .bool(p.inProcessTree)), ("exe", str(p.executable)), ("cwd", str(p.cwd)), ("root", str(p.root)),
            ("threads", .array(p.threads.map { t in
                .object([("tid", .int(t.tid)), ("name", .string(t.name)), ("credentials", credentials(t.credentials))])
            })),
            ("namespaces", Self.namespaces(p.ids)),
            ("shared_with_host", c.inventory?.rootIDs == nil || p.ids == nil ? .null
                : .array(namespaces.filter { $0.sharedWithHost == true }.map { .string($0.kind) })),
            ("parent_in_checkpoint", .bool(c.process(p.ppid) != nil && p.ppid != p.pid)),
            ("files", .array(p.files.map(file))),
        ]
        if let task = p.task {
            pairs.append(("oom_score_adj", int(task.oomScoreAdjust)))
            pairs.append(("blocked_signals", .array(SignalMask(rawValue: task.blockedSignals).names.map(JSONValue.string))))
            pairs.append(("seccomp_mode", .string(p.threads.first?.core?.thread?.seccompMode.map { "\($0)" } ?? "disabled")))
            pairs.append(("rlimits", limits(task.resourceLimits ?? [])))
        }
        pairs += extra
        return .object(pairs)
    }

    static func mounts(_ c: Checkpoint, namespaces: [UInt32]? = nil) -> JSONValue {
        .array((namespaces ?? c.mounts.keys.sorted()).map { id in
            .object([
                ("namespace", .int(id)),
                ("mounts", .array((c.mounts[id] ?? []).map { m in
                    .object([
                        ("id", .int(m.id)), ("parent", .int(m.parentID)), ("mountpoint", .string(m.mountPoint.description)),
                        ("root", .string(m.root.description)), ("fstype", .string(m.filesystemName?.description ?? "\(m.filesystemType)")),
                        ("source", .string(m.source.description)),
                        ("options", .array(m.options.description.split(separator: ",").map { .string(String($0)) })),
                        ("device_major", .int(m.rootDevice >> 20)), ("device_minor", .int(m.rootDevice & 0xFFFFF)),
                        ("flags", .int(m.flags)), ("external", str(m.externalKey?.description)),
                    ])
                })),
            ])
        })
    }

    static func nested(_ files: [Checkpoint.NestedFile]) -> JSONValue {
        .array(files.map { f in
            .object([("path", .string(f.path)), ("type", .string(f.type)), ("size", .int(f.size)),
                     ("mode", .string("0" + String(f.mode, radix: 8))), ("mtime", .int(f.modificationTime)),
                     ("link", str(f.linkTarget))])
        })
    }

    /// The mount whose contents a tmpfs image holds: `tmpfs-dev-<s_dev>.tar.gz.img` names the
    /// superblock device (`mnt_entry.root_dev`), legacy `tmpfs-<mnt_id>.tar.gz.img` the mount id.
    static func tmpfsMount(_ c: Checkpoint, image: String) -> Mount? {
        let all = c.mounts.keys.sorted().flatMap { c.mounts[$0] ?? [] }
        let stem = image.dropLast(".tar.gz.img".count)
        if stem.hasPrefix("tmpfs-dev-"), let dev = UInt32(stem.dropFirst("tmpfs-dev-".count)) {
            // Bind mounts share the device: the mount of the file system's root first.
            return all.first { $0.rootDevice == dev && $0.root.description == "/" } ?? all.first { $0.rootDevice == dev }
        }
        if stem.hasPrefix("tmpfs-"), let id = UInt32(stem.dropFirst("tmpfs-".count)) { return all.first { $0.id == id } }
        return nil
    }

    /// The whole `inspect --format json` document.
    static func inspect(_ c: Checkpoint, processes: [CheckpointProcess], extraFor: (CheckpointProcess) -> [(String, JSONValue)] = { _ in [] }) -> JSONValue {
        .object([
            ("schema", .string(schemaVersion)),
            ("path", .string(RawPath.display(c.path))),
            ("source", .string(sourceKind(c.source.kind))),
            ("container", container(c)),
            ("checkpoint", facts(c)),
            ("sizes", sizes(c.sizes)),
            ("statistics", stats(c)),
            ("processes", .array(processes.map { process($0, in: c, extra: extraFor($0)) })),
            ("mounts", mounts(c)),
            ("network_namespaces", .array(c.networkNamespaces.keys.sorted().map { id in
                let n = c.networkNamespaces[id]!
                let conf = n.configuration
                return .object([
                    ("id", .int(id)), ("external", .bool(n.isExternal)), ("external_key", str(n.namespace?.externalKey?.description)),
                    ("shared_with_host", c.inventory?.rootIDs?.netNamespaceID.map { .bool($0 == id) } ?? .null),
                    ("devices", .array(n.devices.map { d in
                        .object([("name", .string(d.name.description)), ("index", .int(d.index)), ("mtu", .int(d.mtu)),
                                 ("type", .string("\(d.type)"))])
                    })),
                    ("addresses", .array(conf.addresses.map { a in
                        .object([("interface_index", .int(a.interfaceIndex)), ("label", str(a.label)), ("family", .string(a.family == 10 ? "inet6" : "inet")),
                                 ("address", str(a.address)), ("prefix_length", .int(a.prefixLength)), ("peer", str(a.peer)), ("scope", .int(a.scope))])
                    })),
                    ("routes", .array(conf.routes.map { r in
                        .object([("family", .string(r.family == 10 ? "inet6" : "inet")), ("destination", str(r.destination)),
                                 ("destination_length", .int(r.destinationLength)), ("gateway", str(r.gateway)),
                                 ("output_interface", int(r.outputInterface)), ("preferred_source", str(r.preferredSource)),
                                 ("table", .int(r.table)), ("protocol", .int(r.protocolNumber)), ("scope", .int(r.scope)),
                                 ("type", .int(r.type)), ("priority", int(r.priority))])
                    })),
                    ("rules", .array(conf.rules.map { r in
                        .object([("family", .string(r.family == 10 ? "inet6" : "inet")), ("priority", int(r.priority)),
                                 ("source", str(r.source)), ("source_length", .int(r.sourceLength)),
                                 ("destination", str(r.destination)), ("destination_length", .int(r.destinationLength)),
                                 ("table", .int(r.table)), ("action", .int(r.action))])
                    })),
                    ("iptables", str(conf.iptables)), ("ip6tables", str(conf.ip6tables)), ("nftables", str(conf.nftables)),
                ])
            })),
            ("uts_namespaces", .array(c.utsNamespaces.keys.sorted().map { id in
                .object([("id", .int(id)), ("hostname", .string(c.utsNamespaces[id]!.hostName.description)),
                         ("domainname", .string(c.utsNamespaces[id]!.domainName.description))])
            })),
            ("cgroups", .int(c.cgroups?.sets.count ?? 0)),
            ("seccomp_filters", .int(c.seccomp?.filters.count ?? 0)),
            ("rootfs_diff", nested(c.rootfsDiff)),
            ("deleted_files", .array(c.deletedFiles.map(JSONValue.string))),
            ("devshm", nested(c.devshm)),
            ("volumes", .array(c.volumes.keys.sorted().map { name in
                .object([("name", .string(name)), ("destination", str(c.engine.namedVolumes.first { $0.name == name }?.destination)),
                         ("files", nested(c.volumes[name]!))])
            })),
            ("tmpfs", .array(c.tmpfs.keys.sorted().map { image in
                .object([("image", .string(image)), ("mountpoint", str(tmpfsMount(c, image: image)?.mountPoint.description)),
                         ("files", nested(c.tmpfs[image]!))])
            })),
            ("descriptors", .array(c.descriptors.map(JSONValue.string))),
            ("logs", .object([("dump_log", .bool(c.dumpLog != nil)), ("restore_log", .bool(c.restoreLog != nil))])),
            ("warnings", .array(c.warnings.map { .string(RawPath.display($0)) })),
            ("oci", c.engine.ociAnnotations.map { a in .object([("annotations", .object(a.keys.sorted().map { ($0, .string(a[$0]!)) }))]) } ?? .null),
            ("containerd", c.engine.containerdImage.map(containerd) ?? .null),
        ])
    }

    static func annotations(_ a: [String: String]) -> JSONValue {
        .object(a.keys.sorted().map { ($0, .string(a[$0]!)) })
    }

    /// containerd's checkpoint image (Schemas/inspect.schema.json `containerd`).
    static func containerd(_ i: ContainerdCheckpointImage) -> JSONValue {
        .object([
            ("image_name", str(i.imageName)), ("reference_name", str(i.referenceName)), ("base_image", str(i.baseImage)),
            ("base_image_manifest", str(i.baseImageManifest)), ("base_image_included", .bool(i.baseImageIncluded)),
            ("runtime", str(i.runtime)), ("snapshotter", str(i.snapshotter)), ("spec_type", str(i.specType)),
            ("runtime_options_type", str(i.runtimeOptionsType)),
            ("checkpoint_options", i.checkpointOptions.map { o in
                .object([
                    ("exit", .bool(o.exit)), ("open_tcp", .bool(o.openTCP)), ("external_unix_sockets", .bool(o.externalUnixSockets)),
                    ("terminal", .bool(o.terminal)), ("file_locks", .bool(o.fileLocks)),
                    ("empty_namespaces", .array(o.emptyNamespaces.map(JSONValue.string))), ("cgroups_mode", .string(o.cgroupsMode)),
                    ("image_path", .string(o.imagePath)), ("work_path", .string(o.workPath)),
                ])
            } ?? .null),
            ("annotations", annotations(i.annotations)),
            ("blobs", .array(i.blobs.map { b in
                .object([("media_type", .string(b.mediaType)), ("digest", .string(b.digest)), ("size", .int(b.size)),
                         ("reference", .string(b.reference)), ("annotations", annotations(b.annotations))])
            })),
        ])
    }
}
