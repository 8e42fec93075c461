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
    /// Mounts of each mount namespace.
    case mounts
    /// Cgroup membership and controller properties.
    case cgroups
    /// `rootfs-diff.tar`, volumes, `/dev/shm` contents and `deleted.files`.
    case files
    /// CRIU's dump and restore statistics (`stats-dump`, `stats-restore`).
    case stats

    /// Orders sections as they are declared, the order of a report.
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
    /// The field's name.
    public var field: String
    /// The value in A; nil when the field is absent there.
    public var a: String?
    /// The value in B; nil when the field is absent there.
    public var b: String?

    /// A change of `field` from `a` to `b`.
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
    /// The container's name, when the engine recorded it.
    public var containerName: String?
    /// The container's id, when the engine recorded it.
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
    /// The process's `comm`.
    public var comm: String
}

/// How two processes were paired: by pid, or by tree position and comm when the pids differ.
public enum PairingMethod: String, Hashable, Sendable, Codable {
    /// Same pid.
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
    /// How the pair was made.
    public var method: PairingMethod
}

/// A process added, removed or changed.
public struct ProcessChange: Hashable, Sendable, Codable {
    /// Added, removed or changed.
    public var kind: ChangeKind
    /// The process in A (nil when added).
    public var a: ProcessRef?
    /// The process in B (nil when removed).
    public var b: ProcessRef?
    /// How the pair was made (changed processes only).
    public var pairedBy: PairingMethod?
    /// comm, cmdline, state, ppid, exe, cwd, root, exit code, namespaces (`ns.<kind>`), leader credentials.
    public var fields: [FieldChange]
    /// Environment variables added, removed or changed; ``FieldChange/field`` is the variable name.
    public var environment: [FieldChange]
    /// Threads added, removed or changed.
    public var threads: [ThreadChange]
}

/// A thread added, removed or changed inside a paired process.
public struct ThreadChange: Hashable, Sendable, Codable {
    /// Added, removed or changed.
    public var kind: ChangeKind
    /// The thread id in A (nil when added).
    public var aTID: UInt32?
    /// The thread id in B (nil when removed).
    public var bTID: UInt32?
    /// name and credentials (`uid`, `cap_effective`...).
    public var fields: [FieldChange]
}

/// A VMA as a diff shows it.
public struct VMARef: Hashable, Sendable, Codable {
    /// The start address.
    public var start: UInt64
    /// The end address (exclusive).
    public var end: UInt64
    /// `rwxp` / `r--s` as in /proc/PID/maps.
    public var prot: String
    /// heap, stack, file, anon... (`VMAKind` of the Checkpoint module).
    public var kind: String
    /// The backing file, if any.
    public var file: String?
}

/// The kinds of VMA change.
public enum VMAChangeKind: String, Hashable, Sendable, Codable {
    /// Only in B (`added`) or only in A (`removed`).
    case added, removed
    /// The range changed (same start or same end); other fields may have changed too.
    case resized
    /// Same range; protection, flags, backing file or offset changed.
    case changed
}

/// A VMA added, removed, resized or changed.
public struct VMAChange: Hashable, Sendable, Codable {
    /// What changed.
    public var kind: VMAChangeKind
    /// The VMA in A (nil when added).
    public var a: VMARef?
    /// The VMA in B (nil when removed).
    public var b: VMARef?
    /// `range`, `prot`, `flags`, `status`, `file`, `offset`, `madvise`.
    public var fields: [FieldChange]
}

/// The VMA changes of one paired process.
public struct ProcessVMAs: Hashable, Sendable, Codable {
    /// The process in A.
    public var a: ProcessRef
    /// The process in B.
    public var b: ProcessRef
    /// The VMAs added, removed, resized or changed.
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
    /// The address of the line's first byte.
    public var address: UInt64
    /// The line's bytes in A and in B, as lowercase hex.
    public var a: String
    /// The line's bytes in B, as lowercase hex.
    public var b: String
}

/// Contiguous pages of one VMA with the same kind of change.
public struct PageRange: Hashable, Sendable, Codable {
    /// How the pages differ.
    public var kind: PageChangeKind
    /// The first address.
    public var start: UInt64
    /// The end address (exclusive).
    public var end: UInt64
    /// The number of pages.
    public var pageCount: UInt64
    /// The VMA the pages belong to (B's for changed and added pages, A's for removed ones).
    public var vma: VMARef?
    /// For changed ranges, the number of differing bytes of each page, in address order.
    public var differingBytes: [Int]?
    /// Differing lines, when asked for (bounded by ``DiffOptions/hexdumpBytes``).
    public var lines: [ByteLine]?

    /// The total of ``differingBytes``.
    public var totalDifferingBytes: Int { differingBytes?.reduce(0, +) ?? 0 }
}

/// The page-level memory differences of one paired process.
public struct ProcessMemory: Hashable, Sendable, Codable {
    /// The process in A.
    public var a: ProcessRef
    /// The process in B.
    public var b: ProcessRef
    /// The page size the counts are in (the checkpoints' own, equal on both sides).
    public var pageSize: UInt64
    /// Pages dumped on both sides and compared.
    public var comparedPages: UInt64
    /// Pages dumped on both sides whose bytes differ.
    public var changedPages: UInt64
    /// Pages dumped only in B.
    public var addedPages: UInt64
    /// Pages dumped only in A.
    public var removedPages: UInt64
    /// Pages listed on both sides but without bytes on one of them (lazy, or a missing parent).
    public var unreadablePages: UInt64
    /// The differing bytes of all changed pages.
    public var differingBytes: UInt64
    /// Changed, added, removed and unreadable ranges, in address order.
    public var ranges: [PageRange]
}

/// A file descriptor added, removed or changed (fds and sockets sections).
public struct FDChange: Hashable, Sendable, Codable {
    /// Added, removed or changed.
    public var kind: ChangeKind
    /// The process (B's, or A's for a removed descriptor).
    public var process: ProcessRef
    /// The descriptor number.
    public var fd: UInt32
    /// `kind target` on each side.
    public var a: String?
    /// `kind target` in B.
    public var b: String?
    /// kind, target, cloexec, and details (flags, pos, state, local, remote, queued...).
    public var fields: [FieldChange]
}

/// An entry of a keyed list (mounts, cgroups, files) added, removed or changed.
public struct EntryChange: Hashable, Sendable, Codable {
    /// Added, removed or changed.
    public var kind: ChangeKind
    /// Where the entry lives: `rootfs`, `volume:<name>`, `devshm`, `deleted.files`, `membership`, `property`, a mount namespace...
    public var scope: String
    /// The entry's key inside its scope (a mount point, a path, a controller...).
    public var key: String
    /// The fields that differ.
    public var fields: [FieldChange]
}

/// Added, removed and changed counts of one section.
public struct SectionSummary: Hashable, Sendable, Codable {
    /// Items only in B (pages, for memory).
    public var added: Int
    /// Items only in A.
    public var removed: Int
    /// Items on both sides that differ (memory: changed and unreadable pages; VMAs: resized and changed).
    public var changed: Int
    /// True when nothing was added, removed or changed.
    public var isEmpty: Bool { added == 0 && removed == 0 && changed == 0 }
}

/// The differences between two checkpoints, section by section. Build with ``diff(_:_:options:progress:)``.
public struct CheckpointDiff: Hashable, Sendable, Codable {
    /// The id of the JSON schema this value encodes to (`ckpt-inspect/diff/v2`; keys in snake_case,
    /// `JSONEncoder.KeyEncodingStrategy.convertToSnakeCase`).
    public var schema = "ckpt-inspect/diff/v2"
    /// Checkpoint A.
    public var a: DiffSide
    /// Checkpoint B.
    public var b: DiffSide
    /// The sections that were compared.
    public var sections: [DiffSection]
    /// Things a reader should know (different containers, unpaired memory...).
    public var warnings: [String] = []
    /// Every pair of processes, with how it was made.
    public var pairs: [ProcessPair] = []
    /// Engine metadata and checkpoint facts that differ.
    public var container: [FieldChange] = []
    /// Processes added, removed or changed.
    public var processes: [ProcessChange] = []
    /// The VMA changes of each paired process that has some.
    public var vmas: [ProcessVMAs] = []
    /// The page-level differences of each paired process whose memory differs.
    public var memory: [ProcessMemory] = []
    /// File descriptors other than sockets added, removed or changed.
    public var fds: [FDChange] = []
    /// Socket descriptors added, removed or changed.
    public var sockets: [FDChange] = []
    /// Mounts added, removed or changed.
    public var mounts: [EntryChange] = []
    /// Cgroup memberships and properties added, removed or changed.
    public var cgroups: [EntryChange] = []
    /// Files of the rootfs diff, volumes and `/dev/shm`, and `deleted.files` entries, added, removed or changed.
    public var files: [EntryChange] = []
    /// CRIU statistics that differ.
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
