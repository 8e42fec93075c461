import Checkpoint
import CheckpointArchive
import CRIUImages
import Foundation

/// What the checks share: address spaces, command lines, environments and region heads (read in
/// one batched fetch), the file tables, the in-flight sources and the container's files.
struct TriageContext {
    typealias Evidence = TriageEvidence
    let c: Checkpoint
    let options: Triage.Options
    var incomplete: [String] = []
    var spaces: [UInt32: AddressSpace] = [:]
    var argv: [UInt32: [String]] = [:]
    /// Each environment string with the address it starts at.
    var environment: [UInt32: [(address: UInt64, text: String)]] = [:]
    /// The first bytes of candidate regions, by pid and VMA start; nil bytes with the hole when not dumped.
    var heads: [UInt32: [UInt64: (bytes: [UInt8]?, hole: MemoryHole?)]] = [:]
    /// remap-fpath.img by original file id.
    var remaps: [UInt32: RemapFilePath] = [:]
    /// files.img entry index by file id.
    var fileIndex: [UInt32: Int] = [:]
    var inFlight: [InFlightData] = []

    static let headLength: UInt64 = 64

    /// What a range of memory read for the checks is.
    enum Slot: Hashable {
        case argv(UInt32), environment(UInt32), head(UInt32, UInt64)
    }

    /// The bytes read for a slot up to its first hole (nil when it starts with one), and that hole.
    typealias Fetched = [Slot: (bytes: [UInt8]?, hole: MemoryHole?)]

    /// The ranges the checks read: every process's argv and environ, and the first bytes of each
    /// candidate region (executable memory outside files, a memfd executable's header).
    static func plan(_ c: Checkpoint) -> [(slot: Slot, space: AddressSpace, range: Range<UInt64>)] {
        var out: [(Slot, AddressSpace, Range<UInt64>)] = []
        for p in c.processes.sorted(by: { $0.pid < $1.pid }) {
            guard let mm = p.memory, let space = (try? c.addressSpace(p.pid)) ?? nil else { continue }
            for (slot, range) in [(Slot.argv(p.pid), mm.argumentsRange), (.environment(p.pid), mm.environmentRange)]
            where !range.isEmpty && range.count <= 1 << 20 {
                out.append((slot, space, range))
            }
            for (i, vma) in space.vmas.enumerated() where isCodeCandidate(space, i) || isExecutableImage(space, i, p) {
                out.append((.head(p.pid, vma.start), space, vma.start..<vma.start + min(headLength, vma.size)))
            }
        }
        return out
    }

    /// Reads the planned ranges with one batched fetch.
    static func fetch(_ c: Checkpoint) throws(CheckpointError) -> Fetched {
        let planned = plan(c)
        let segments = try c.readMemory(planned.map { ($0.space, $0.range) })
        var out: Fetched = [:]
        for (p, pieces) in zip(planned, segments) {
            var bytes: [UInt8]? = []
            var hole: MemoryHole?
            for piece in pieces {
                guard let b = piece.bytes else {
                    hole = piece.hole
                    if bytes?.isEmpty ?? true { bytes = nil }
                    break
                }
                bytes! += b
            }
            out[p.slot] = (bytes, hole)
        }
        return out
    }

    init(_ c: Checkpoint, options: Triage.Options, fetched: Fetched?) throws(CheckpointError) {
        self.c = c
        self.options = options
        for (i, entry) in (try c.images.decode(FileEntry.self, "files.img") ?? []).enumerated() { fileIndex[entry.id] = i }
        for remap in try c.images.decode(RemapFilePath.self, "remap-fpath.img") ?? [] { remaps[remap.originalID] = remap }
        do {
            inFlight = try c.inFlightData()
        } catch {
            incomplete.append("in-flight data: \(error.message)")
        }
        for p in c.processes {
            guard p.memory != nil, let space = (try? c.addressSpace(p.pid)) ?? nil else { continue }
            spaces[p.pid] = space
        }
        var read: Fetched
        if let fetched { read = fetched } else { read = try Self.fetch(c) }
        for (slot, value) in read.sorted(by: { "\($0.key)" < "\($1.key)" }) {
            let (bytes, hole) = value
            switch slot {
            case .head(let pid, let start):
                heads[pid, default: [:]][start] = (bytes, hole)
            case .argv(let pid):
                guard var b = bytes, hole == nil else {
                    incomplete.append("pid \(pid): the command line is not in the checkpoint (\(hole?.rawValue ?? "not dumped"))")
                    continue
                }
                if b.last == 0 { b.removeLast() }
                argv[pid] = b.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            case .environment(let pid):
                guard let b = bytes, hole == nil, let start = c.process(pid)?.memory?.environmentStart else {
                    incomplete.append("pid \(pid): the environment is not in the checkpoint (\(hole?.rawValue ?? "not dumped")): env.* checks skipped")
                    continue
                }
                var list: [(UInt64, String)] = []
                var offset = 0
                for part in b.split(separator: 0, omittingEmptySubsequences: false) {
                    if !part.isEmpty { list.append((start + UInt64(offset), String(decoding: part, as: UTF8.self))) }
                    offset += part.count + 1
                }
                environment[pid] = list
            }
        }
        incomplete.sort()
    }

    // MARK: - Shared helpers

    /// An executable VMA that is not a file's code and not the kernel's: anonymous, memfd or shared
    /// memory, stack, heap, or writable.
    static func isCodeCandidate(_ space: AddressSpace, _ i: Int) -> Bool {
        let vma = space.vmas[i]
        guard vma.protection.contains(.execute) else { return false }
        switch space.kind(of: i) {
        case .vdso, .vvar, .vsyscall, .guard: return false
        case .file: return vma.protection.contains(.write)
        default: return true
        }
    }

    /// The first mapping (offset 0) of a process's own executable when it is a memfd: its header is evidence.
    static func isExecutableImage(_ space: AddressSpace, _ i: Int, _ p: CheckpointProcess) -> Bool {
        guard let exe = p.executable, exe.hasPrefix("/memfd:") else { return false }
        return space.backingFiles[i] == exe && space.vmas[i].pageOffset == 0
    }

    func process(_ pid: UInt32) -> CheckpointProcess? { c.process(pid) }

    func evidence(_ p: CheckpointProcess) -> Evidence {
        var e = Evidence()
        e.pid = p.pid
        e.command = p.command
        return e
    }

    func mmImage(_ pid: UInt32) -> String { c.images.path(of: "mm-\(pid).img") }

    /// The index of a VMA in `mm-<pid>.img` (its `vmas[]` field), as CRIU wrote it.
    func vmaField(_ pid: UInt32, _ vma: VMA) -> String? {
        guard let i = process(pid)?.memory?.vmas.firstIndex(where: { $0.start == vma.start && $0.end == vma.end }) else { return nil }
        return "vmas[\(i)]"
    }

    static func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }

    static func range(_ r: Range<UInt64>) -> String { hex(r.lowerBound) + "-" + hex(r.upperBound) }

    static func pages(_ size: UInt64, _ pageSize: UInt64) -> String {
        let n = (size + pageSize - 1) / max(pageSize, 1)
        return "\(n) page\(n == 1 ? "" : "s")"
    }

    static func basename(_ path: String) -> String {
        String(path.split(separator: "/", omittingEmptySubsequences: true).last ?? Substring(path))
    }

    /// What an executable header says, or nil: ELF (class, byte order, type, machine), PE, Mach-O,
    /// a `#!` script, a NOP sled.
    static func header(_ b: [UInt8]) -> String? {
        if b.count >= 20, b[0] == 0x7f, b[1] == 0x45, b[2] == 0x4c, b[3] == 0x46 {
            let bits = b[4] == 1 ? "32-bit" : b[4] == 2 ? "64-bit" : "class \(b[4])"
            let little = b[5] != 2
            let order = little ? "LSB" : "MSB"
            let type = little ? UInt16(b[16]) | UInt16(b[17]) << 8 : UInt16(b[17]) | UInt16(b[16]) << 8
            let machine = little ? UInt16(b[18]) | UInt16(b[19]) << 8 : UInt16(b[19]) | UInt16(b[18]) << 8
            let typeName = [1: "relocatable", 2: "executable", 3: "shared object", 4: "core"][Int(type)] ?? "type \(type)"
            let machineName = [0x3e: "x86-64", 0x03: "x86", 0xb7: "aarch64", 0x28: "arm", 0xf3: "riscv", 0x15: "ppc64", 0x16: "s390", 0x08: "mips"][Int(machine)] ?? "machine 0x\(String(machine, radix: 16))"
            return "ELF \(bits) \(order) \(typeName), \(machineName)"
        }
        if b.count >= 2, b[0] == 0x4d, b[1] == 0x5a { return "PE (MZ) executable" }
        if b.count >= 4 {
            let word = UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3])
            if [0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe].contains(word) { return "Mach-O executable" }
        }
        if b.count >= 2, b[0] == 0x23, b[1] == 0x21 {
            let line = b.dropFirst(2).prefix { $0 != 0x0a && $0 != 0 }
            return "script (#!\(String(decoding: line.prefix(60), as: UTF8.self).trimmingCharacters(in: .whitespaces)))"
        }
        let nops = b.prefix { $0 == 0x90 }.count
        if nops >= 8 { return "NOP sled (\(nops == b.count ? "\(nops)+" : String(nops)) × 0x90)" }
        return nil
    }

    /// A process's open file descriptors on a socket of `files.img`, by fd.
    func socketFDs(_ p: CheckpointProcess) -> [UInt32: FileEntry] {
        var out: [UInt32: FileEntry] = [:]
        for f in p.files {
            guard let entry = f.entry else { continue }
            switch entry.file {
            case .inetSocket, .unixSocket: out[f.fd] = entry
            default: break
            }
        }
        return out
    }

    static func endpoint(_ address: InetAddress?, _ port: UInt32) -> Evidence.Endpoint {
        .init(address: address?.description ?? "*", port: port)
    }

    /// The processes holding a files.img id, with their descriptors.
    func holders(of fileID: UInt32) -> [Evidence.Holder] {
        c.processes.compactMap { p in
            let fds = p.files.filter { $0.fileID == fileID }.map(\.fd)
            return fds.isEmpty ? nil : Evidence.Holder(pid: p.pid, command: p.command, fds: fds)
        }
    }

    static func describe(_ holders: [Evidence.Holder]) -> String {
        holders.map { h in "\(h.command) (pid \(h.pid)\(h.fds.isEmpty ? "" : ", fd\(h.fds.count == 1 ? "" : "s") " + h.fds.map(String.init).joined(separator: ", ")))" }
            .joined(separator: " and ")
    }

    /// An engine file (`spec.dump`, `config.dump`) of the checkpoint, if present.
    func engineFile(_ name: String) -> [UInt8]? { c.engineFile(name) }

    // MARK: - Code outside files (malfind)

    func codeFindings() -> [TriageFinding] {
        var out: [TriageFinding] = []
        for p in c.processes {
            guard let space = spaces[p.pid] else { continue }
            for (i, vma) in space.vmas.enumerated() where Self.isCodeCandidate(space, i) {
                let kind = space.kind(of: i)
                let rwx = vma.protection.contains(.write)
                let id: String
                var what: String
                switch kind {
                case .stack: (id, what) = ("code.exec-stack", "executable stack")
                case .heap: (id, what) = ("code.exec-heap", "executable heap")
                case .memfd, .shmem, .sysvipc:
                    (id, what) = rwx ? ("code.rwx", "RWX \(kind.rawValue) mapping") : ("code.memfd-exec", "executable \(kind.rawValue) mapping")
                case .file: (id, what) = ("code.rwx", "RWX file mapping")
                default: (id, what) = rwx ? ("code.rwx", "RWX anonymous mapping") : ("code.anonymous-exec", "executable anonymous mapping")
                }
                if let file = space.backingFiles[i] { what += " of \(file)" }
                var e = evidence(p)
                e.addressRange = vma.start..<vma.end
                e.protection = vma.permissions
                e.path = space.backingFiles[i]
                e.image = mmImage(p.pid)
                e.entry = 0
                e.field = vmaField(p.pid, vma)
                let head = heads[p.pid]?[vma.start]
                e.firstBytes = head?.bytes
                e.header = head?.bytes.flatMap(Self.header)
                var message = "\(what) \(Self.range(vma.start..<vma.end)) (\(Self.pages(vma.size, space.pageSize)))"
                if let header = e.header {
                    message += " begins with \(header.hasPrefix("ELF") ? "an" : "a") \(header)"
                } else if head?.bytes == nil {
                    message += "; its first page is not in the checkpoint (\(head?.hole?.rawValue ?? "not dumped"))"
                    e.details.append(.init("first page", head?.hole?.rawValue ?? "not dumped"))
                } else {
                    message += "; no executable header at its start"
                }
                let severity: TriageSeverity = e.header != nil || kind == .stack || kind == .heap ? .critical : .warning
                out.append(TriageFinding(id: id, severity: severity, message: message, evidence: e))
            }
        }
        return out
    }

    // MARK: - Fileless and vanished programs

    func executableFindings() -> [TriageFinding] {
        var out: [TriageFinding] = []
        let containerFiles = (try? c.containerFiles()) ?? []
        for p in c.processes {
            guard let mm = p.memory, let entry = c.files[mm.exeFileID] else { continue }
            var e = evidence(p)
            e.image = mmImage(p.pid)
            e.entry = 0
            e.field = "exe_file_id"
            e.path = p.executable
            if let argv0 = argv[p.pid]?.first { e.details.append(.init("argv[0]", argv0)) }
            e.details.append(.init("files.img", "entry \(fileIndex[mm.exeFileID].map(String.init) ?? "?") (id \(mm.exeFileID))"))
            switch entry.file {
            case .memfd(let memfd):
                let inode = c.memfdInodes[memfd.inodeID]
                let source = inFlight.first { $0.kind == .memfd && $0.inode == inode.map { UInt64($0.shmid) } }
                if let space = spaces[p.pid], let i = space.vmas.indices.first(where: { Self.isExecutableImage(space, $0, p) }),
                   let bytes = heads[p.pid]?[space.vmas[i].start]?.bytes {
                    e.firstBytes = bytes
                    e.header = Self.header(bytes)
                }
                var message = "runs from a memfd, \(p.executable ?? "/memfd:?")"
                if let inode {
                    e.details.append(.init("memfd size", String(inode.size)))
                    e.details.append(.init("memfd shmid", String(inode.shmid)))
                }
                if let source {
                    message += ": its \(source.length) bytes are in the checkpoint (\(source.id))"
                    e.details.append(.init("contents", source.id))
                } else {
                    message += ": its contents are not in the checkpoint"
                }
                if let argv0 = argv[p.pid]?.first { message += "; argv[0] is \"\(argv0)\"" }
                out.append(TriageFinding(id: "exe.memfd", severity: .critical, message: message, evidence: e))
            case .regular(let reg):
                let path = reg.name.description
                if let remap = remaps[mm.exeFileID] {
                    var message = "runs a deleted file, \(path)"
                    switch remap.effectiveType {
                    case .ghost:
                        let ghostID = remap.remapID & 0x7fff_ffff
                        if let ghost = inFlight.first(where: { $0.id == "ghost-file:\(ghostID)" }) {
                            message += ": ghost-file-\(ghostID).img holds its \(ghost.length) bytes (\(ghost.id))"
                            e.details.append(.init("contents", ghost.id))
                            if let bytes = firstBytes(of: ghost) {
                                e.firstBytes = bytes
                                e.header = Self.header(bytes)
                            }
                        } else {
                            message += ": its ghost file ghost-file-\(ghostID).img is not in the checkpoint"
                        }
                    default:
                        message += ": CRIU kept it as a \(remap.effectiveType) remap; its contents are not in the checkpoint"
                    }
                    e.details.append(.init("remap", "\(remap.effectiveType)"))
                    out.append(TriageFinding(id: "exe.deleted", severity: .critical, message: message, evidence: e))
                    continue
                }
                let bytes = Array(path.utf8)
                if let added = containerFiles.first(where: { $0.pathBytes == bytes && !$0.isShadowed && $0.kind == .file }) {
                    e.details.append(.init("layer", added.layer.description))
                    let id = added.layer == .rootfsDiff ? "exe.added" : "exe.tmpfs"
                    let whereText = added.layer == .rootfsDiff ? "a file the container added (\(added.layerMember))" : "a file on a \(added.layer) layer (\(added.layerMember))"
                    out.append(TriageFinding(id: id, severity: added.layer == .rootfsDiff ? .warning : .critical, message: "runs \(path), \(whereText)", evidence: e))
                    continue
                }
                if let mount = mountPoint(of: path), mount.type == "tmpfs" {
                    e.details.append(.init("mount", mount.point))
                    out.append(TriageFinding(id: "exe.tmpfs", severity: .critical, message: "runs \(path) from a tmpfs mounted at \(mount.point)", evidence: e))
                    continue
                }
                if let root = options.rootfs, !Self.exists(path, in: root) {
                    e.details.append(.init("rootfs", root))
                    out.append(TriageFinding(id: "exe.missing", severity: .warning,
                                             message: "runs \(path), which is neither in the image's root file system (\(root)) nor in the rootfs diff", evidence: e))
                }
            default:
                break
            }
        }
        return out
    }

    /// The first bytes of an in-flight source (its first piece), read without the rest.
    func firstBytes(of source: InFlightData) -> [UInt8]? {
        struct Enough: Error {}
        var bytes: [UInt8] = []
        do {
            try c.streamInFlightData([source], chunkSize: Int(Self.headLength)) { _, offset, chunk in
                guard offset == UInt64(bytes.count) else { throw Enough() }
                bytes += chunk.prefix(Int(Self.headLength) - bytes.count)
                if bytes.count >= Int(Self.headLength) { throw Enough() }
            }
        } catch is Enough {
        } catch {
            return nil
        }
        return bytes.isEmpty ? nil : bytes
    }

    /// The deepest mount of the checkpoint's mount namespaces whose mount point holds `path`.
    func mountPoint(of path: String) -> (point: String, type: String)? {
        var best: (String, String)?
        for ns in c.mounts.keys.sorted() {
            for m in c.mounts[ns] ?? [] {
                let point = m.mountPoint.description
                guard point == "/" || path == point || path.hasPrefix(point + "/") else { continue }
                if best == nil || point.count > best!.0.count { best = (point, m.filesystemName?.description ?? "\(m.filesystemType)") }
            }
        }
        return best
    }

    /// Whether `path` exists under `root` without following a symbolic link on the way.
    static func exists(_ path: String, in root: String) -> Bool {
        var current = root
        let parts = path.split(separator: "/")
        for (i, part) in parts.enumerated() {
            current = (current as NSString).appendingPathComponent(String(part))
            var st = stat()
            guard lstat(current, &st) == 0 else { return false }
            if i < parts.count - 1 && (st.st_mode & S_IFMT) != S_IFDIR { return false }
        }
        return true
    }

    // MARK: - Names that lie

    static let kernelThreadPrefixes = ["kworker", "ksoftirqd", "kthreadd", "migration/", "rcu_", "watchdog/", "kswapd", "jbd2/",
                                       "khugepaged", "kauditd", "irq/", "cpuhp/", "kcompactd", "kdevtmpfs", "oom_reaper", "writeback", "kblockd"]

    static func looksLikeKernelThread(_ name: String) -> Bool {
        (name.hasPrefix("[") && name.hasSuffix("]") && name.count > 2) || kernelThreadPrefixes.contains { name.hasPrefix($0) }
    }

    /// Whether `comm` is what the kernel would set for this command line and executable: the first
    /// 15 bytes of the file name that was executed (argv[0], the executable, or a script's name).
    static func commMatches(_ comm: String, argv: [String], executable: String?) -> Bool {
        func prefix(_ s: String) -> String { String(decoding: Array(s.utf8).prefix(15), as: UTF8.self) }
        var names = [String]()
        if let a0 = argv.first { names.append(basename(a0.hasPrefix("-") ? String(a0.dropFirst()) : a0)) }
        if argv.count > 1 { names.append(basename(argv[1])) }
        if let exe = executable { names.append(basename(exe)) }
        return names.contains { prefix($0) == comm || $0 == comm }
    }

    func processNameFindings() -> [TriageFinding] {
        var out: [TriageFinding] = []
        for p in c.processes {
            let args = argv[p.pid] ?? []
            var e = evidence(p)
            e.path = p.executable
            e.image = c.images.path(of: "core-\(p.pid).img")
            e.entry = 0
            e.field = "tc.comm"
            if let a0 = args.first { e.details.append(.init("argv[0]", a0)) }
            if Self.looksLikeKernelThread(p.command) || args.first.map(Self.looksLikeKernelThread) == true {
                let name = Self.looksLikeKernelThread(p.command) ? p.command : args.first!
                out.append(TriageFinding(id: "process.kernel-thread-name", severity: .critical,
                                         message: "a user process calls itself \"\(name)\", a kernel thread's name (executable \(p.executable ?? "unknown"))", evidence: e))
                continue
            }
            guard !args.isEmpty, !Self.commMatches(p.command, argv: args, executable: p.executable) else { continue }
            out.append(TriageFinding(id: "process.comm-mismatch", severity: .warning,
                                     message: "comm \"\(p.command)\" matches neither argv[0] \"\(args[0])\" nor the executable \(p.executable ?? "(unknown)")", evidence: e))
        }
        return out
    }

    // MARK: - Shells on sockets, connections out

    static let interpreters: Set<String> = ["sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish", "busybox",
                                            "python", "python2", "python3", "perl", "ruby", "php", "node", "lua", "tclsh", "pwsh",
                                            "nc", "ncat", "netcat", "socat", "telnet", "awk", "gawk", "irb", "java", "jshell"]

    static func isInterpreter(_ name: String) -> Bool {
        if interpreters.contains(name) { return true }
        // python3.11, perl5.36, php8.2...
        return ["python", "perl", "php", "ruby", "lua"].contains { name.hasPrefix($0) && name.dropFirst($0.count).allSatisfy { $0.isNumber || $0 == "." } }
    }

    func networkFindings() -> [TriageFinding] {
        var out: [TriageFinding] = []
        // Reverse shells.
        for p in c.processes {
            let names = [p.command, p.executable.map(Self.basename) ?? ""]
            guard names.contains(where: Self.isInterpreter) else { continue }
            let sockets = socketFDs(p).filter { $0.key <= 2 }
            guard sockets.keys.contains(0) || sockets.keys.contains(1) else { continue }
            var e = evidence(p)
            e.fds = sockets.keys.sorted()
            e.path = p.executable
            var severity = TriageSeverity.warning
            var what = "a unix socket"
            if let entry = sockets[sockets.keys.contains(0) ? 0 : 1] {
                e.image = c.images.path(of: "files.img")
                e.entry = fileIndex[entry.id]
                e.field = "id \(entry.id)"
                switch entry.file {
                case .inetSocket(let sk):
                    severity = .critical
                    e.local = Self.endpoint(sk.sourceAddress, sk.sourcePort)
                    e.remote = Self.endpoint(sk.destinationAddress, sk.destinationPort)
                    what = "a \(sk.protocolNumber == 17 ? "UDP" : "TCP") connection \(e.local!) -> \(e.remote!)"
                    e.holders = holders(of: entry.id)
                case .unixSocket(let sk):
                    what = "a unix socket (socket:[\(sk.inode)])"
                    e.holders = holders(of: entry.id)
                default: break
                }
            }
            let fdText = e.fds.map(String.init).joined(separator: ", ")
            out.append(TriageFinding(id: "net.reverse-shell", severity: severity,
                                     message: "\(p.command) (\(p.executable ?? "?")) has its stdio (fd\(e.fds.count == 1 ? "" : "s") \(fdText)) on \(what)", evidence: e))
        }
        // Established connections whose peer is not in the checkpoint.
        var localEndpoints = Set<String>()
        var ownAddresses: Set<String> = ["127.0.0.1", "::1"]
        for n in c.engine.networks { for a in n.addresses { ownAddresses.insert(String(a.split(separator: "/").first ?? "")) } }
        var inet: [(id: UInt32, socket: InetSocket)] = []
        for id in c.files.keys.sorted() {
            guard case .inetSocket(let sk) = c.files[id]!.file else { continue }
            inet.append((id, sk))
            let local = Self.endpoint(sk.sourceAddress, sk.sourcePort)
            localEndpoints.insert(local.description)
            ownAddresses.insert(local.address)
        }
        for (id, sk) in inet where sk.state == 1 && sk.protocolNumber == 6 {
            let local = Self.endpoint(sk.sourceAddress, sk.sourcePort), remote = Self.endpoint(sk.destinationAddress, sk.destinationPort)
            guard !localEndpoints.contains(remote.description) else { continue }
            var e = Evidence()
            e.local = local
            e.remote = remote
            e.holders = holders(of: id)
            e.pid = e.holders.first?.pid
            e.command = e.holders.first?.command
            e.fds = e.holders.first?.fds ?? []
            e.image = c.images.path(of: "files.img")
            e.entry = fileIndex[id]
            e.field = "id \(id)"
            e.details.append(.init("socket", "socket:[\(sk.inode)]"))
            let isLoopback = remote.address.hasPrefix("127.") || remote.address == "::1"
            let whereText = ownAddresses.contains(remote.address) || isLoopback
                ? "the peer is not a socket of the checkpoint" : "the peer is outside the container's addresses"
            let held = e.holders.isEmpty ? "held by no process" : "held by " + Self.describe(e.holders)
            out.append(TriageFinding(id: "net.external-connection", severity: .info,
                                     message: "established TCP connection \(local) -> \(remote): \(whereText); \(held)", evidence: e))
        }
        return out
    }

    // MARK: - Environment

    /// Names of variables that hold credentials, and parts of names that do.
    static let credentialNames: Set<String> = ["AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN", "AZURE_CLIENT_SECRET",
                                               "GOOGLE_API_KEY", "GITHUB_TOKEN", "GH_TOKEN", "GITLAB_TOKEN", "NPM_TOKEN", "VAULT_TOKEN",
                                               "DOCKER_PASSWORD", "PGPASSWORD", "MYSQL_PWD", "REDIS_PASSWORD", "DATABASE_URL"]
    static let credentialParts = ["PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "TOKEN", "API_KEY", "APIKEY", "PRIVATE_KEY",
                                  "ACCESS_KEY", "CREDENTIAL", "AUTH_KEY"]

    /// Why a variable looks like a credential, or nil.
    static func credentialReason(name: String, value: String) -> String? {
        guard !value.isEmpty else { return nil }
        let upper = name.uppercased()
        if credentialNames.contains(upper), upper != "DATABASE_URL" { return "its name" }
        if let part = credentialParts.first(where: { upper.contains($0) }) { return "its name (\(part))" }
        if value.hasPrefix("AKIA") && value.count == 20 && value.allSatisfy({ $0.isUppercase || $0.isNumber }) { return "its value (an AWS access key id)" }
        if ["ghp_", "gho_", "ghs_", "github_pat_", "glpat-", "xoxb-", "xoxp-", "sk_live_"].contains(where: value.hasPrefix) { return "its value (a token prefix)" }
        if value.contains("-----BEGIN") && value.contains("PRIVATE KEY") { return "its value (a private key)" }
        if let scheme = value.range(of: "://"), let at = value[scheme.upperBound...].firstIndex(of: "@"),
           value[scheme.upperBound..<at].contains(":") { return "its value (a URL with a password)" }
        return nil
    }

    static func temporaryPlace(_ path: String) -> Bool {
        ["/tmp/", "/var/tmp/", "/dev/shm/", "/run/shm/", "/memfd:"].contains { path.hasPrefix($0) }
    }

    func environmentFindings() -> [TriageFinding] {
        var out: [TriageFinding] = []
        for p in c.processes {
            for (address, text) in environment[p.pid] ?? [] {
                guard let eq = text.firstIndex(of: "=") else { continue }
                let name = String(text[..<eq]), value = String(text[text.index(after: eq)...])
                var e = evidence(p)
                e.name = name
                let valueStart = address + UInt64(name.utf8.count + 1)
                e.addressRange = valueStart..<valueStart + UInt64(value.utf8.count)
                e.image = mmImage(p.pid)
                e.entry = 0
                e.field = "mm_env_start"
                switch name {
                case "LD_PRELOAD", "LD_AUDIT":
                    guard !value.isEmpty else { continue }
                    e.value = value
                    let id = name == "LD_PRELOAD" ? "env.ld-preload" : "env.ld-audit"
                    out.append(TriageFinding(id: id, severity: .warning, message: "\(name)=\(value) in the environment: the dynamic loader runs this code in every program started with it", evidence: e))
                    continue
                case "LD_LIBRARY_PATH":
                    guard !value.isEmpty else { continue }
                    e.value = value
                    let parts = value.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
                    let risky = parts.filter { $0.isEmpty || !$0.hasPrefix("/") || Self.temporaryPlace($0 + "/") }
                    let message = risky.isEmpty ? "LD_LIBRARY_PATH=\(value): libraries are looked up there first"
                        : "LD_LIBRARY_PATH=\(value) searches \(risky.map { $0.isEmpty ? "the working directory (empty entry)" : $0 }.joined(separator: ", ")) first"
                    out.append(TriageFinding(id: "env.ld-library-path", severity: risky.isEmpty ? .info : .warning, message: message, evidence: e))
                    continue
                default:
                    break
                }
                guard let reason = Self.credentialReason(name: name, value: value) else { continue }
                e.value = options.showSecrets ? value : "(masked, \(value.count) characters)"
                out.append(TriageFinding(id: "env.credential", severity: .warning,
                                         message: "\(name) looks like a credential (\(reason)): \(options.showSecrets ? value : "value masked, \(value.count) characters; --show-secrets shows it")",
                                         evidence: e))
            }
        }
        return out
    }

    // MARK: - Libraries from temporary places

    func libraryFindings() -> [TriageFinding] {
        var out: [TriageFinding] = []
        for p in c.processes {
            guard let space = spaces[p.pid], let mm = p.memory else { continue }
            var groups: [(path: String, indexes: [Int], deleted: Bool)] = []
            for (i, vma) in space.vmas.enumerated() {
                guard let path = space.backingFiles[i], path != p.executable else { continue }
                let fileID = UInt32(truncatingIfNeeded: vma.shmid)
                guard fileID != mm.exeFileID else { continue }
                if let g = groups.firstIndex(where: { $0.path == path }) { groups[g].indexes.append(i) } else {
                    groups.append((path, [i], remaps[fileID] != nil))
                }
            }
            for g in groups {
                let vmas = g.indexes.map { space.vmas[$0] }
                let looksLikeLibrary = vmas.contains { $0.protection.contains(.execute) } || g.path.contains(".so")
                guard looksLikeLibrary, g.deleted || Self.temporaryPlace(g.path) else { continue }
                var e = evidence(p)
                e.path = g.path
                e.addressRange = vmas.map(\.start).min()!..<vmas.map(\.end).max()!
                e.protection = vmas.map(\.permissions).joined(separator: " ")
                e.image = mmImage(p.pid)
                e.entry = 0
                e.field = vmaField(p.pid, vmas[0])
                let why = g.deleted ? "a deleted file" : g.path.hasPrefix("/memfd:") ? "a memfd" : "a temporary directory"
                out.append(TriageFinding(id: "lib.temporary-path", severity: .warning,
                                         message: "library \(g.path) is mapped from \(why) at \(Self.range(e.addressRange!)) (\(vmas.count) mapping\(vmas.count == 1 ? "" : "s"))", evidence: e))
            }
        }
        return out
    }

    // MARK: - Files the container added

    mutating func fileFindings() throws(CheckpointError) -> [TriageFinding] {
        var heads: [String: (file: ContainerFile, bytes: [UInt8])] = [:]
        var setid: [ContainerFile] = []
        do {
            try c.streamContainerFiles({ $0.kind == .file }, chunkSize: 64 << 10) { f, chunk in
                let key = "\(f.layer)\u{0}\(f.index)"
                if chunk.isEmpty {
                    if f.isSetID { setid.append(f) }
                    if f.size > 0 { heads[key] = (f, []) }
                    return
                }
                guard var h = heads[key], h.bytes.count < Int(Self.headLength) else { return }
                h.bytes += chunk.prefix(Int(Self.headLength) - h.bytes.count)
                heads[key] = h
            }
        } catch let error as CheckpointError {
            incomplete.append("the container's files: \(error.message)")
        } catch {
            incomplete.append("the container's files: \(error)")
        }
        var out: [TriageFinding] = []
        func evidence(_ f: ContainerFile) -> Evidence {
            var e = Evidence()
            e.path = f.path
            e.image = f.layerMember
            e.entry = f.index
            e.name = f.memberName
            e.details = [.init("layer", f.layer.description), .init("mode", "0" + String(f.mode, radix: 8)), .init("size", String(f.size))]
            if f.isShadowed { e.details.append(.init("shadowed", "by a deeper mount")) }
            return e
        }
        for (file, bytes) in heads.values.sorted(by: { ($0.file.path, $0.file.index) < ($1.file.path, $1.file.index) }) {
            guard let header = Self.header(bytes), header.hasPrefix("ELF") || header.hasPrefix("script") else { continue }
            var e = evidence(file)
            e.firstBytes = bytes
            e.header = header
            out.append(TriageFinding(id: "file.added-executable", severity: .warning,
                                     message: "\(file.path) (\(file.layer)) is an executable the container wrote: \(header)", evidence: e))
        }
        for file in setid.sorted(by: { $0.path < $1.path }) {
            let bits = [file.mode & 0o4000 != 0 ? "setuid" : nil, file.mode & 0o2000 != 0 ? "setgid" : nil].compactMap { $0 }.joined(separator: " and ")
            out.append(TriageFinding(id: "file.setid", severity: .warning,
                                     message: "\(file.path) (\(file.layer)) is \(bits) (mode 0\(String(file.mode, radix: 8)))", evidence: evidence(file)))
        }
        return out
    }
}

extension Triage {
    /// An environment entry (`NAME=VALUE`) as a report shows it: the value masked when the entry looks
    /// like a credential (cloud keys, tokens, passwords: the rules of `env.credential`), unless
    /// `showSecrets`.
    public static func maskingCredentials(_ entry: String, showSecrets: Bool = false) -> String {
        guard !showSecrets, let equals = entry.firstIndex(of: "=") else { return entry }
        let name = String(entry[..<equals]), value = String(entry[entry.index(after: equals)...])
        guard TriageContext.credentialReason(name: name, value: value) != nil else { return entry }
        return "\(name)=(masked, \(value.count) characters)"
    }
}
