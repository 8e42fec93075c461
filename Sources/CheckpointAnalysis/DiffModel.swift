/// The parts of a checkpoint ``CheckpointDiff`` compares; `--only` names them.
public enum DiffSection: String, Hashable, Sendable, Codable, CaseIterable, Comparable {
    /// Engine metadata (`config.dump`, `spec.dump`, `network.status`) and checkpoint facts.
    case container
    /// The process tree: processes and threads (comm, cmdline, environment, state, credentials, namespaces).
    case processes
    /// Memory mappings of each paired process.
    case vmas
    /// Dumped pages of each paired process, page by page.
    case memory
    /// File descriptors other than sockets.
    case fds
    /// Socket file descriptors: state, addresses, queued bytes.
    case sockets
    case mounts
    case cgroups
    /// `rootfs-diff.tar`, volumes, `/dev/shm` contents and `deleted.files`.
    case files
    /// CRIU's dump and restore statistics (`stats-dump`, `stats-restore`).
    case stats

    public static func < (a: DiffSection, b: DiffSection) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// The section for a name as the CLI accepts it (`rootfs` and `fs` for ``files``, `statistics`, `vma`, `fd`...).
    public init?(name: String) {
        switch name.lowercased() {
        case "container", "metadata", "engine": self = .container
        case "processes", "process", "ps", "threads", "tree": self = .processes
        case "vmas", "vma", "maps": self = .vmas
        case "memory", "mem", "pages": self = .memory
        case "fds", "fd": self = .fds
        case "sockets", "socket": self = .sockets
        case "mounts", "mount": self = .mounts
        case "cgroups", "cgroup": self = .cgroups
        case "files", "rootfs", "rootfs-diff", "fs", "deleted": self = .files
        case "stats", "statistics": self = .stats
        default: return nil
        }
    }
}

/// What happened to an item between checkpoint A and checkpoint B.
public enum ChangeKind: String, Hashable, Sendable, Codable {
    /// Only in B.
    case added
    /// Only in A.
    case removed
    /// In both, different.
    case changed
}

/// One field that differs; a missing value is `nil` (the field is absent on that side).
public struct FieldChange: Hashable, Sendable, Codable {
    public var field: String
    public var a: String?
    public var b: String?

    public init(_ field: String, _ a: String?, _ b: String?) {
        self.field = field
        self.a = a
        self.b = b
    }

    /// `+` for a value only in B, `-` for one only in A, `~` for a changed value.
    public var kind: ChangeKind { a == nil ? .added : (b == nil ? .removed : .changed) }
}

/// Names a checkpoint in a diff.
public struct DiffSide: Hashable, Sendable, Codable {
    /// The path the checkpoint was opened from.
    public var path: String
    /// `podman`, `cri-o`, `containerd` or `criu` (a bare image directory).
    public var engine: String
    public var containerName: String?
    public var containerID: String?
    /// The number of processes.
    public var processes: Int
    /// The size of the `pages-*.img` files.
    public var pagesBytes: UInt64
}

/// A process named in a diff.
public struct ProcessRef: Hashable, Sendable, Codable {
    /// The pid inside the checkpoint's pid namespace.
    public var pid: UInt32
    public var comm: String
}

/// How two processes were paired: by pid, or by tree position and comm when the pids differ.
public enum PairingMethod: String, Hashable, Sendable, Codable {
    case pid
    /// Same comm, parents paired (or both roots).
    case tree
    /// Same comm and depth, parents not paired.
    case comm
}

/// A process of A paired with a process of B.
public struct ProcessPair: Hashable, Sendable, Codable {
    /// The process in A.
    public var a: ProcessRef
    /// Its partner in B.
    public var b: ProcessRef
    public var method: PairingMethod
}

/// A process added, removed or changed.
public struct ProcessChange: Hashable, Sendable, Codable {
    public var kind: ChangeKind
    public var a: ProcessRef?
    public var b: ProcessRef?
    /// How the pair was made (changed processes only).
    public var pairedBy: PairingMethod?
    /// comm, cmdline, state, ppid, exe, cwd, root, exit code, namespaces (`ns.<kind>`), leader credentials.
    public var fields: [FieldChange]
    /// Environment variables added, removed or changed; ``FieldChange/field`` is the variable name.
    public var environment: [FieldChange]
    public var threads: [ThreadChange]
}

/// A thread added, removed or changed inside a paired process.
public struct ThreadChange: Hashable, Sendable, Codable {
    public var kind: ChangeKind
    public var aTID: UInt32?
    public var bTID: UInt32?
    /// name and credentials (`uid`, `cap_effective`...).
    public var fields: [FieldChange]
}

/// A VMA as a diff shows it.
public struct VMARef: Hashable, Sendable, Codable {
    public var start: UInt64
    public var end: UInt64
    /// `rwxp` / `r--s` as in /proc/PID/maps.
    public var prot: String
    /// heap, stack, file, anon... (``Checkpoint/VMAKind``).
    public var kind: String
    public var file: String?
}

/// The kinds of VMA change.
public enum VMAChangeKind: String, Hashable, Sendable, Codable {
    case added, removed
    /// The range changed (same start or same end); other fields may have changed too.
    case resized
    /// Same range; protection, flags, backing file or offset changed.
    case changed
}

/// A VMA added, removed, resized or changed.
public struct VMAChange: Hashable, Sendable, Codable {
    public var kind: VMAChangeKind
    public var a: VMARef?
    public var b: VMARef?
    /// `range`, `prot`, `flags`, `status`, `file`, `offset`, `madvise`.
    public var fields: [FieldChange]
}

/// The VMA changes of one paired process.
public struct ProcessVMAs: Hashable, Sendable, Codable {
    public var a: ProcessRef
    public var b: ProcessRef
    public var changes: [VMAChange]
}

/// How a range of pages differs.
public enum PageChangeKind: String, Hashable, Sendable, Codable {
    /// Dumped on both sides with different bytes.
    case changed
    /// Dumped only in B.
    case added
    /// Dumped only in A.
    case removed
    /// One side has the pages but no bytes for them (PE_LAZY without data, or a missing parent): not comparable.
    case unreadable
}

/// One differing 16-byte line of a changed page, for `--hexdump`.
public struct ByteLine: Hashable, Sendable, Codable {
    public var address: UInt64
    /// The line's bytes in A and in B, as lowercase hex.
    public var a: String
    public var b: String
}

/// Contiguous pages of one VMA with the same kind of change.
public struct PageRange: Hashable, Sendable, Codable {
    public var kind: PageChangeKind
    public var start: UInt64
    public var end: UInt64
    public var pageCount: UInt64
    /// The VMA the pages belong to (B's for changed and added pages, A's for removed ones).
    public var vma: VMARef?
    /// For changed ranges, the number of differing bytes of each page, in address order.
    public var differingBytes: [Int]?
    /// Differing lines, when asked for (bounded by ``DiffOptions/maxHexdumpBytes``).
    public var lines: [ByteLine]?

    /// The total of ``differingBytes``.
    public var totalDifferingBytes: Int { differingBytes?.reduce(0, +) ?? 0 }
}

/// The page-level memory differences of one paired process.
public struct ProcessMemory: Hashable, Sendable, Codable {
    public var a: ProcessRef
    public var b: ProcessRef
    public var pageSize: UInt64
    /// Pages dumped on both sides and compared.
    public var comparedPages: UInt64
    public var changedPages: UInt64
    public var addedPages: UInt64
    public var removedPages: UInt64
    public var unreadablePages: UInt64
    public var differingBytes: UInt64
    public var ranges: [PageRange]
}

/// A file descriptor added, removed or changed (fds and sockets sections).
public struct FDChange: Hashable, Sendable, Codable {
    public var kind: ChangeKind
    public var process: ProcessRef
    public var fd: UInt32
    /// `kind target` on each side.
    public var a: String?
    public var b: String?
    /// kind, target, cloexec, and details (flags, pos, state, local, remote, queued...).
    public var fields: [FieldChange]
}

/// An entry of a keyed list (mounts, cgroups, files) added, removed or changed.
public struct EntryChange: Hashable, Sendable, Codable {
    public var kind: ChangeKind
    /// Where the entry lives: `rootfs`, `volume:<name>`, `devshm`, `deleted.files`, `membership`, `property`, a mount namespace...
    public var scope: String
    public var key: String
    public var fields: [FieldChange]
}

/// Added, removed and changed counts of one section.
public struct SectionSummary: Hashable, Sendable, Codable {
    public var added: Int
    public var removed: Int
    public var changed: Int
    public var isEmpty: Bool { added == 0 && removed == 0 && changed == 0 }
}

/// The differences between two checkpoints, section by section. Build with ``diff(_:_:options:progress:)``.
public struct CheckpointDiff: Hashable, Sendable, Codable {
    public var schema = "ckpt-inspect/diff/v1"
    public var a: DiffSide
    public var b: DiffSide
    /// The sections that were compared.
    public var sections: [DiffSection]
    /// Things a reader should know (different containers, unpaired memory...).
    public var warnings: [String] = []
    /// Every pair of processes, with how it was made.
    public var pairs: [ProcessPair] = []
    public var container: [FieldChange] = []
    public var processes: [ProcessChange] = []
    public var vmas: [ProcessVMAs] = []
    public var memory: [ProcessMemory] = []
    public var fds: [FDChange] = []
    public var sockets: [FDChange] = []
    public var mounts: [EntryChange] = []
    public var cgroups: [EntryChange] = []
    public var files: [EntryChange] = []
    public var stats: [FieldChange] = []
    /// With ``DiffOptions/includeUnchanged``: labels of the compared items that are equal, by section name.
    public var unchanged: [String: [String]] = [:]
    /// True when no compared section has a difference.
    public var equal: Bool = true

    /// Counts for one section. Memory counts pages; VMAs count VMA changes.
    public func summary(_ section: DiffSection) -> SectionSummary {
        func count<T>(_ items: [T], _ kind: (T) -> ChangeKind) -> SectionSummary {
            var s = SectionSummary(added: 0, removed: 0, changed: 0)
            for item in items {
                switch kind(item) {
                case .added: s.added += 1
                case .removed: s.removed += 1
                case .changed: s.changed += 1
                }
            }
            return s
        }
        switch section {
        case .container: return count(container, \.kind)
        case .processes: return count(processes, \.kind)
        case .vmas:
            return count(vmas.flatMap(\.changes)) { c in
                switch c.kind {
                case .added: .added
                case .removed: .removed
                case .resized, .changed: .changed
                }
            }
        case .memory:
            var s = SectionSummary(added: 0, removed: 0, changed: 0)
            for m in memory {
                s.added += Int(m.addedPages)
                s.removed += Int(m.removedPages)
                s.changed += Int(m.changedPages + m.unreadablePages)
            }
            return s
        case .fds: return count(fds, \.kind)
        case .sockets: return count(sockets, \.kind)
        case .mounts: return count(mounts, \.kind)
        case .cgroups: return count(cgroups, \.kind)
        case .files: return count(files, \.kind)
        case .stats: return count(stats, \.kind)
        }
    }
}
