import ArgumentParser
import Checkpoint
import CheckpointArchive
import CRIUImages
import Foundation

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report what a checkpoint holds: container, engine, sizes, statistics and the process tree.",
        discussion: "With --pid, the tree shows the named processes and every process under them.")

    @Argument(help: "A checkpoint archive or directory; - for stdin.")
    var path: String

    @OptionGroup var output: OutputOptions

    @Flag(name: .long, help: "Show open files of each process.") var files = false
    @Flag(name: .long, help: "Show sockets of each process.") var sockets = false
    @Flag(name: .long, help: "Show mounts.") var mounts = false
    @Flag(name: .long, help: "Show namespaces of each process.") var namespaces = false
    @Flag(name: .long, help: "Show credentials and capabilities of each thread.") var creds = false
    @Flag(name: .long, help: "List the root file system diff and deleted files.") var rootfs = false
    @Flag(name: .long, help: "Show CRIU's dump and restore statistics.") var stats = false
    @Flag(name: .customLong("ps-tree-cmd"), help: "Show each process's command line (read from its memory).") var psTreeCmd = false
    @Flag(name: .customLong("ps-tree-env"), help: "Show each process's environment (read from its memory).") var psTreeEnv = false
    @Flag(name: .long, help: "Everything above.") var all = false
    @OptionGroup var sizes: SizeOptions
    @OptionGroup var selection: ProcessSelection
    @OptionGroup var source: PreviousOption
    @OptionGroup var pods: PodSelection

    func run() throws {
        // Command lines and environments are read while the archive is opened (one pass).
        let wantsStrings = output.json || all || psTreeCmd || psTreeEnv
        let reader = wantsStrings ? ProcessStringsReader(environment: output.json || all || psTreeEnv) : nil
        let targets = try pods.targets(path, previous: source.previous, nested: true, progress: output.diagnostics.reading(path, json: output.json),
                                       diagnostics: output.diagnostics, streaming: reader)
        try selection.check(targets)
        if let pod = targets.pod { return try inspectPod(pod, targets) }
        let checkpoint = targets.items[0].checkpoint
        let read = wantsStrings ? targets.items[0].strings(reader, environment: output.json || all || psTreeEnv) : [:]
        let processes = selection.filter(checkpoint, descendants: true)
        switch output.format {
        case .json:
            // The processes are described one at a time as they are written (hundreds of them would
            // otherwise be held whole as one value).
            Output.write(json: Report.inspect(checkpoint, processes: []), streaming: "processes", count: processes.count) { i in
                Report.process(processes[i], in: checkpoint, extra: Self.stringsJSON(read[processes[i].pid]))
            }
        case .text:
            tree(checkpoint, processes: processes, strings: read).write { Output.write($0) }
        }
    }

    /// Why a command line or environment is not shown, for text output.
    static func missing(_ hole: MemoryHole?) -> String {
        switch hole {
        case .missingParent?: "(in the parent pre-checkpoint, not given)"
        case .damaged?: "(in a damaged pages file)"
        case .notInPreDump?, nil: "(not in the checkpoint)"
        case let hole?: "(not in the checkpoint: \(hole.rawValue))"
        }
    }

    /// The JSON members for argv and environ: arrays, or null with the reason (`cmdline_missing`).
    static func stringsJSON(_ s: ProcessStrings?) -> [(String, JSONValue)] {
        var out: [(String, JSONValue)] = [
            ("cmdline", s?.commandLine.map { .array($0.map(JSONValue.string)) } ?? .null),
            ("environ", s?.environment.map { .array($0.map(JSONValue.string)) } ?? .null),
        ]
        if let hole = s?.commandLineHole { out.append(("cmdline_missing", .string(hole.rawValue))) }
        if let hole = s?.environmentHole { out.append(("environ_missing", .string(hole.rawValue))) }
        return out
    }

    /// What a pre-checkpoint holds (memory only: no process tree, VMAs or files) and what it pairs with.
    static func preDumpNode(_ c: Checkpoint, size: (UInt64) -> String) -> TreeNode {
        var node = TreeNode("Pre-checkpoint: the memory of \(c.processes.count) process\(c.processes.count == 1 ? "" : "es"); a pre-dump records no process tree, VMAs, files or registers")
        for p in c.processes {
            guard let pages = (try? c.addressSpace(p.pid))??.pages else { continue }
            let n = pages.counts
            var line = "pid \(p.pid): \(n.inFiles - n.fromParents) page\(n.inFiles - n.fromParents == 1 ? "" : "s") (\(size((n.inFiles - n.fromParents) * pages.pageSize))) dumped here"
            if n.fromParents > 0 { line += ", \(n.fromParents) unchanged since its parent pre-dump" }
            if n.missingParent > 0 { line += ", \(n.missingParent) in a parent pre-dump that is not available" }
            line += "; \(pages.runs.count) run\(pages.runs.count == 1 ? "" : "s") from 0x\(String(pages.runs.first?.start ?? 0, radix: 16))"
            node.add(line)
        }
        if let uptime = c.inventory?.dumpUptime {
            node.add("Taken at host uptime \(uptime / 1_000_000) s (a later dump of the same processes has a larger one)")
        }
        node.add("Pairs with the final checkpoint of these processes whose parent link names it (Podman: checkpoint/parent -> ../pre-checkpoint): give this as --previous to its commands, or compare them with `ckpt-inspect diff THIS FINAL`")
        return node
    }

    func size(_ bytes: UInt64) -> String { sizes.text(bytes) }

    func tree(_ c: Checkpoint, processes: [CheckpointProcess], strings: [UInt32: ProcessStrings]) -> TreeNode {
        let e = c.engine
        let style = output.style
        var root = TreeNode(style.bold(Terminal.safe(e.containerName ?? RawPath.display(c.path))))
        if let image = e.imageName { root.add("Image: " + Terminal.safe(image)) }
        if let id = e.containerID { root.add("ID: \(id)") }
        if let runtime = e.runtime { root.add("Runtime: \(runtime)") }
        if let created = e.created { root.add("Created: \(created)") }
        if let checkpointed = e.checkpointed { root.add("Checkpointed: \(checkpointed)") }
        if let pod = e.podName { root.add("Pod: \(pod)" + (e.namespace.map { " (namespace \($0))" } ?? "")) }
        root.add("Engine: \(e.engine.rawValue)")
        if !e.createCommand.isEmpty { root.add("Create command: " + Terminal.safe(Describe.shellCommand(e.createCommand))) }
        let exported = Describe.exportOptions(c)
        for volume in e.namedVolumes {
            let missing = exported.contains("--ignore-volumes")
            root.add("Volume: \(Terminal.safe(volume.name)) -> \(Terminal.safe(volume.destination))" + (missing ? " (not in the archive)" : ""))
        }
        if exported.contains("--ignore-rootfs") {
            root.add("Exported with --ignore-rootfs: the container's file system changes (rootfs-diff.tar) are not in the archive")
        }
        if exported.contains("--ignore-volumes") {
            root.add("Exported with --ignore-volumes: the contents of \(plural(e.namedVolumes.count, "named volume")) are not in the archive")
        }
        if let image = e.containerdImage { root.add(Self.containerdNode(image)) }
        for (_, uts) in c.utsNamespaces.sorted(by: { $0.key < $1.key }) {
            root.add("Hostname: " + Terminal.safe(uts.hostName.description))
        }
        let f = c.facts
        var criu = "CRIU: " + (f.criuVersion ?? "unknown")
        criu += " (\(f.architecture ?? "unknown arch"), page size \(f.pageSize)\(f.pageSizeSource == "auxv" ? "" : ", assumed"))"
        if f.isPreDump { criu += ", pre-dump" }
        if f.criuVersionIsEstimate, let from = f.criuVersionSource { criu += "; version estimated from \(from)" }
        root.add(criu)
        if !f.parentChain.isEmpty { root.add("Parent images: " + f.parentChain.map { Terminal.safe(RawPath.display($0)) }.joined(separator: " → ")) }
        for missing in c.missingParents {
            root.add(style.yellow("Missing parent: ") + Terminal.safe(RawPath.display(missing.description))
                     + "; give it with --previous ARCHIVE")
        }
        if c.processTree == .preDump { root.add(Self.preDumpNode(c, size: size)) }
        for network in e.networks {
            var parts: [String] = []
            if let iface = network.interface { parts.append(iface) }
            parts += network.addresses
            if let mac = network.mac { parts.append("MAC \(mac)") }
            if !network.gateways.isEmpty { parts.append("gateway " + network.gateways.joined(separator: ", ")) }
            root.add("Network: " + parts.joined(separator: " "))
        }
        var sizes = TreeNode("Checkpoint size: " + size(c.sizes.total))
        sizes.add("Memory pages size: " + size(c.sizes.pages))
        sizes.add("Images size: " + size(c.sizes.images))
        if c.sizes.gpuPages > 0 { sizes.add("GPU pages size: " + size(c.sizes.gpuPages)) }
        if c.sizes.tmpfs > 0 { sizes.add("tmpfs images size: " + size(c.sizes.tmpfs)) }
        root.add(sizes)
        if c.sizes.rootfsDiff > 0 { root.add("Root FS diff size: " + size(c.sizes.rootfsDiff)) }
        if c.sizes.volumes > 0 { root.add("Volumes size: " + size(c.sizes.volumes)) }
        if all || stats { root.add(statsNode(c)) }
        if all || rootfs {
            for node in contentNodes(c) { root.add(node) }
        }
        if all || mounts { root.add(mountsNode(c)) }
        if all || namespaces {
            for node in networkNodes(c) { root.add(node) }
        }
        var tree = TreeNode("Process tree (\(plural(processes.count, "process")), \(plural(processes.reduce(0) { $0 + $1.threads.count }, "thread")))")
        let pids = Set(processes.map(\.pid))
        func node(_ p: CheckpointProcess) -> TreeNode {
            var label = "[\(p.pid)]  \(style.bold(Terminal.safe(p.command)))"
            if c.processTree == .preDump { label += "(memory only: a pre-dump)" }
            else if !p.inProcessTree { label += "  (\(p.state); reconstructed: parent and threads unknown)" }
            else {
                if p.state != .alive { label += "  (\(p.state))" }
                if let note = Describe.parentNote(p, in: c, shown: pids) { label += "  (\(note))" }
            }
            var n = TreeNode(label)
            if all || psTreeCmd || psTreeEnv {
                let s = strings[p.pid]
                if all || psTreeCmd {
                    n.add("Command line: " + (s?.commandLine.map { $0.map { Terminal.safe($0) }.joined(separator: " ") } ?? Self.missing(s?.commandLineHole)))
                }
                if all || psTreeEnv {
                    if let env = s?.environment {
                        n.add(TreeNode("Environment (\(plural(env.count, "variable")))", env.map { TreeNode(Terminal.safe($0)) }))
                    } else {
                        n.add("Environment: " + Self.missing(s?.environmentHole))
                    }
                }
            }
            if p.threads.count > 1 || all || creds {
                for t in p.threads where t.tid != p.pid || all || creds {
                    var thread = TreeNode("thread \(t.tid)  \(Terminal.safe(t.name))")
                    if all || creds, let cr = t.credentials {
                        thread.add("uid \(cr.uid) gid \(cr.gid) euid \(cr.euid) egid \(cr.egid)" + (cr.groups.isEmpty ? "" : " groups \(cr.groups.map(String.init).joined(separator: ","))"))
                        for line in Describe.capabilityLines(cr, engine: e.engine) { thread.add(line) }
                    }
                    n.add(thread)
                }
            }
            if all || files {
                var fds = TreeNode("Open files")
                if let cwd = p.cwd { fds.add("[cwd]  " + Terminal.safe(cwd)) }
                if let r = p.root { fds.add("[root]  " + Terminal.safe(r)) }
                for file in p.files where all || files || file.type.isSocket == sockets {
                    fds.add(fileLine(file))
                }
                n.add(fds)
            } else if sockets {
                let list = p.files.filter { $0.type.isSocket }
                if !list.isEmpty { n.add(TreeNode("Sockets", list.map { TreeNode(fileLine($0)) })) }
            }
            if all || namespaces {
                let list = Describe.namespaces(p, in: c)
                if !list.isEmpty { n.add("Namespaces: " + Describe.namespaceText(list)) }
            }
            for child in processes where child.ppid == p.pid && child.pid != p.pid {
                n.add(node(child))
            }
            return n
        }
        for p in processes where !pids.contains(p.ppid) || p.ppid == p.pid {
            tree.add(node(p))
        }
        root.add(tree)
        if !output.quiet {
            for warning in c.warnings { root.add(style.yellow("Warning: ") + Terminal.safe(RawPath.display(warning))) }
        }
        return root
    }

    /// containerd's checkpoint image: its name, the base image, runc's options.
    static func containerdNode(_ i: ContainerdCheckpointImage) -> TreeNode {
        var node = TreeNode("containerd checkpoint image" + (i.imageName.map { ": " + Terminal.safe($0) } ?? ""))
        if let base = i.baseImage {
            var line = "Base image: " + Terminal.safe(base)
            if let manifest = i.baseImageManifest { line += " (manifest \(Terminal.safe(manifest))\(i.baseImageIncluded ? ", layers included" : ""))" }
            node.add(line)
        }
        if let snapshotter = i.snapshotter { node.add("Snapshotter: " + Terminal.safe(snapshotter)) }
        if let o = i.checkpointOptions {
            var flags = [o.exit ? "container stopped (exit)" : "left running"]
            if o.openTCP { flags.append("open TCP") }
            if o.externalUnixSockets { flags.append("external unix sockets") }
            if o.terminal { flags.append("terminal") }
            if o.fileLocks { flags.append("file locks") }
            if !o.emptyNamespaces.isEmpty { flags.append("empty namespaces " + o.emptyNamespaces.joined(separator: ",")) }
            if !o.cgroupsMode.isEmpty { flags.append("cgroups mode " + o.cgroupsMode) }
            node.add("Checkpoint options: " + flags.map { Terminal.safe($0) }.joined(separator: ", "))
        }
        node.add("Blobs: \(i.blobs.count)")
        return node
    }

    func fileLine(_ f: OpenFile) -> String {
        var line = "[\(f.fd)]  \(f.kind)  \(Terminal.safe(f.target))"
        let details = f.details.map { "\($0.key)=\(Terminal.safe($0.value))" }.joined(separator: " ")
        if !details.isEmpty { line += "  " + details }
        return line
    }

    func statsNode(_ c: Checkpoint) -> TreeNode {
        var node = TreeNode("CRIU statistics")
        if let d = c.dumpStats {
            node.add("Dump", [
                TreeNode("Freezing time: \(d.freezingTime) us"), TreeNode("Frozen time: \(d.frozenTime) us"),
                TreeNode("Memory dump time: \(d.memoryDumpTime) us"), TreeNode("Memory write time: \(d.memoryWriteTime) us"),
                TreeNode("Pages scanned: \(d.pagesScanned)"), TreeNode("Pages skipped (parent): \(d.pagesSkippedParent)"),
                TreeNode("Pages written: \(d.pagesWritten)"), TreeNode("Pages lazy: \(d.pagesLazy)"),
            ])
        } else {
            node.add("no stats-dump")
        }
        if let r = c.restoreStats {
            node.add("Restore", [
                TreeNode("Pages compared: \(r.pagesCompared)"), TreeNode("Pages skipped (COW): \(r.pagesSkippedCOW)"),
                TreeNode("Forking time: \(r.forkingTime) us"), TreeNode("Restore time: \(r.restoreTime) us"),
                TreeNode("Pages restored: \(r.pagesRestored.map(String.init) ?? "-")"),
            ])
        }
        return node
    }

    /// What the archive holds of the container's files, one heading each: the root file system
    /// diff and deleted files (engine archives only; a CRIU dump has none), each named volume, each
    /// tmpfs by its mount point, and /dev/shm.
    func contentNodes(_ c: Checkpoint) -> [TreeNode] {
        var nodes: [TreeNode] = []
        func entry(_ f: Checkpoint.NestedFile) -> TreeNode {
            TreeNode("\(f.type)  \(Terminal.safe(f.path.isEmpty ? "." : f.path))  \(size(f.size))  mode 0\(String(f.mode, radix: 8))")
        }
        let members = Set(c.source.members.map(\.path))
        if members.contains("rootfs-diff.tar") || !c.rootfsDiff.isEmpty {
            nodes.append(TreeNode("Root FS diff (\(plural(c.rootfsDiff.count, "entry")))", c.rootfsDiff.map(entry)))
        }
        if !c.deletedFiles.isEmpty {
            nodes.append(TreeNode("Deleted files (\(plural(c.deletedFiles.count, "file")))", c.deletedFiles.map { TreeNode(Terminal.safe($0)) }))
        }
        for (name, files) in c.volumes.sorted(by: { $0.key < $1.key }) {
            let destination = c.engine.namedVolumes.first { $0.name == name }.map { " -> " + Terminal.safe($0.destination) } ?? ""
            nodes.append(TreeNode("Volume \(Terminal.safe(name))\(destination) (\(plural(files.count, "entry")))", files.map(entry)))
        }
        for (image, files) in c.tmpfs.sorted(by: { a, b in
            (Report.tmpfsMount(c, image: a.key)?.mountPoint.description ?? a.key) < (Report.tmpfsMount(c, image: b.key)?.mountPoint.description ?? b.key)
        }) {
            let title = Report.tmpfsMount(c, image: image).map { "tmpfs \(Terminal.safe($0.mountPoint.description))" } ?? "tmpfs of \(Terminal.safe(image)) (no mount with its device)"
            nodes.append(TreeNode("\(title) (\(plural(files.count, "entry")))", files.map(entry)))
        }
        if !c.devshm.isEmpty {
            nodes.append(TreeNode("/dev/shm (\(plural(c.devshm.count, "entry")))", c.devshm.map(entry)))
        }
        return nodes
    }

    /// Mounts by namespace, drawn as a tree by parent; one line when the checkpoint has none.
    func mountsNode(_ c: Checkpoint) -> TreeNode {
        guard !c.mounts.isEmpty else {
            return TreeNode("Mounts: none in the checkpoint (no mount namespace of its own was dumped; the processes used the host's)")
        }
        var node = TreeNode("Mounts (\(plural(c.mounts.count, "namespace")), \(plural(c.mounts.values.reduce(0) { $0 + $1.count }, "mount")))")
        for id in c.mounts.keys.sorted() {
            let list = c.mounts[id] ?? []
            var ns = TreeNode("mount namespace \(id) (\(plural(list.count, "mount")))")
            // Draw as a tree by parent id, children by mount point.
            let ids = Set(list.map(\.id))
            func mountNode(_ m: Mount, depth: Int) -> TreeNode {
                var n = TreeNode("\(Terminal.safe(m.mountPoint.description))  \(Terminal.safe(m.filesystemName?.description ?? "\(m.filesystemType)"))  \(Terminal.safe(m.source.description))" + (m.externalKey.map { "  external " + Terminal.safe($0.description) } ?? ""))
                if depth < 64 {
                    for child in list where child.parentID == m.id && child.id != m.id { n.add(mountNode(child, depth: depth + 1)) }
                }
                n.children.sort { $0.label < $1.label }
                return n
            }
            for m in list where !ids.contains(m.parentID) || m.parentID == m.id { ns.add(mountNode(m, depth: 0)) }
            node.add(ns)
        }
        return node
    }

    /// Each network namespace: whose it is, its interfaces, addresses, routes, rules and firewall
    /// rules (from the raw images), or why they are not in the checkpoint.
    func networkNodes(_ c: Checkpoint) -> [TreeNode] {
        let host = c.inventory?.rootIDs?.netNamespaceID
        var nodes: [TreeNode] = []
        let used = Set(c.processes.compactMap { $0.ids?.netNamespaceID })
        for id in Set(c.networkNamespaces.keys).union(used).sorted() {
            let info = c.networkNamespaces[id]
            let whose = host.map { $0 == id ? "shared with the host" : "own" } ?? "owner unknown"
            var node = TreeNode("Network namespace \(id) (\(whose))")
            guard let info else {
                node.label += host == id ? ": not dumped (CRIU leaves the host's alone)" : ": not in the checkpoint (engines have CRIU leave it out and create it anew on restore)"
                nodes.append(node)
                continue
            }
            if info.isExternal {
                node.label += ": external (\(Terminal.safe(info.namespace?.externalKey?.description ?? ""))); the engine recreates it, its configuration is not in the checkpoint"
                nodes.append(node)
                continue
            }
            let names = Describe.interfaceNames(info)
            if !info.devices.isEmpty {
                node.add("Interfaces: " + info.devices.map { "\(Terminal.safe($0.name.description)) (index \($0.index), mtu \($0.mtu))" }.joined(separator: ", "))
            }
            let conf = info.configuration
            if !conf.addresses.isEmpty {
                node.add(TreeNode("Addresses (\(conf.addresses.count))", conf.addresses.map { TreeNode(Terminal.safe(Describe.addressText($0, names: names))) }))
            }
            if !conf.routes.isEmpty {
                node.add(TreeNode("Routes (\(conf.routes.count))", conf.routes.map { TreeNode(Terminal.safe(Describe.routeText($0, names: names))) }))
            }
            if !conf.rules.isEmpty {
                node.add(TreeNode("Rules (\(conf.rules.count))", conf.rules.map { TreeNode(Terminal.safe(Describe.ruleText($0))) }))
            }
            for (title, text) in [("iptables", conf.iptables), ("ip6tables", conf.ip6tables), ("nftables", conf.nftables)] {
                guard text != nil else { continue }
                let lines = Describe.ruleLines(text)
                node.add(lines.isEmpty ? TreeNode("\(title): no rules") : TreeNode("\(title) (\(plural(lines.count, "line")))", lines.map { TreeNode(Terminal.safeText($0)) }))
            }
            if node.children.isEmpty { node.label += ": no interfaces, addresses or rules in the images" }
            nodes.append(node)
        }
        return nodes
    }
}

extension FileDescriptorType {
    var isSocket: Bool {
        switch self {
        case .inetSocket, .unixSocket, .packetSocket, .netlinkSocket: true
        default: false
        }
    }
}
