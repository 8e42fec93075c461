/// One mapping of an address space. Mirrors `vma_entry`.
public struct VMA: ImageMessage {
    /// The CRIU message this model mirrors.
    public static let messageName = "vma_entry"

    /// `start`: start address (page aligned).
    public var start: UInt64 = 0
    /// `end`: end address (exclusive).
    public var end: UInt64 = 0
    /// `pgoff`: file offset in bytes for file mappings.
    public var pageOffset: UInt64 = 0
    /// `shmid`: link id whose meaning depends on ``status`` (files.img id, SysV shm id, shmem id, socket id).
    public var shmid: UInt64 = 0
    /// `prot`: PROT_* bits.
    public var protection: Protection = []
    /// `flags`: MAP_* bits of the dumping architecture.
    public var flags: MappingFlags = []
    /// `status`: CRIU's VMA_* bits.
    public var status: Status = []
    /// `fd`: unused, always -1.
    public var fd: Int64 = 0
    /// `madv`: madvise bitmap (bit n = MADV_n applied).
    public var madvise: UInt64?
    /// `fdflags`: open mode for file mappings (O_RDONLY 0, O_WRONLY 1, O_RDWR 2).
    public var fileFlags: UInt32?

    /// Decodes the message from the wire (see ``ImageMessage``).
    /// A VMA made by hand: `[start, end)` with no permissions, flags or status (tests, and the
    /// regions of a pre-dump, which records pages but no VMAs).
    public init(start: UInt64, end: UInt64) {
        self.start = start
        self.end = end
    }

    public init(from reader: inout WireReader) throws(ImageError) {
        while let key = try reader.nextKey() {
            switch key.number {
            case 1: start = try reader.u64(key)
            case 2: end = try reader.u64(key)
            case 3: pageOffset = try reader.u64(key)
            case 4: shmid = try reader.u64(key)
            case 5: protection = Protection(rawValue: try reader.u32(key))
            case 6: flags = MappingFlags(rawValue: try reader.u32(key))
            case 7: status = Status(rawValue: try reader.u32(key))
            case 8: fd = try reader.s64(key)
            case 9: madvise = try reader.u64(key)
            case 10: fileFlags = try reader.u32(key)
            default: try reader.skip(key.wireType)
            }
        }
    }

    /// The address range.
    public var range: Range<UInt64> { start..<max(start, end) }
    /// Size in bytes.
    public var size: UInt64 { end >= start ? end - start : 0 }
    /// A real user mapping CRIU dumps and restores (VMA_AREA_REGULAR).
    public var isRegular: Bool { status.contains(.regular) }
    /// A 4.2+ fake VMA for a MADV_GUARD_INSTALL range: overlaps real VMAs and carries no data.
    public var isGuard: Bool { status.contains(.guard) }
    /// Anonymous private memory.
    public var isAnonymousPrivate: Bool { status.contains(.anonymousPrivate) }
    /// Anonymous shared memory (pre-3.17 encoding) or SysV shm.
    public var isAnonymousShared: Bool { status.contains(.anonymousShared) }
    /// A file mapping (private or shared); ``shmid`` is its files.img id.
    public var isFileBacked: Bool { !status.isDisjoint(with: [.filePrivate, .fileShared]) }
    /// A shared mapping (MAP_SHARED).
    public var isShared: Bool { flags.contains(.shared) }
    /// A stack (MAP_GROWSDOWN; CRIU does not set VMA_AREA_STACK).
    public var isStack: Bool { flags.contains(.growsDown) }
    /// The `rwxp`/`rwxs` permission string of /proc/PID/maps.
    public var permissions: String {
        (protection.contains(.read) ? "r" : "-") + (protection.contains(.write) ? "w" : "-")
            + (protection.contains(.execute) ? "x" : "-") + (flags.contains(.shared) ? "s" : "p")
    }

    /// PROT_* bits.
    public struct Protection: OptionSet, Hashable, Sendable {
        /// The bits as stored in the image.
        public var rawValue: UInt32
        /// A set from stored bits.
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// PROT_READ.
        public static let read = Protection(rawValue: 0x1)
        /// PROT_WRITE.
        public static let write = Protection(rawValue: 0x2)
        /// PROT_EXEC.
        public static let execute = Protection(rawValue: 0x4)
    }

    /// MAP_* bits (x86/generic numbering; some differ on ppc64 and mips).
    public struct MappingFlags: OptionSet, Hashable, Sendable {
        /// The bits as stored in the image.
        public var rawValue: UInt32
        /// A set from stored bits.
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// MAP_SHARED.
        public static let shared = MappingFlags(rawValue: 0x1)
        /// MAP_PRIVATE.
        public static let `private` = MappingFlags(rawValue: 0x2)
        /// MAP_DROPPABLE (never dumped).
        public static let droppable = MappingFlags(rawValue: 0x8)
        /// MAP_FIXED.
        public static let fixed = MappingFlags(rawValue: 0x10)
        /// MAP_ANONYMOUS.
        public static let anonymous = MappingFlags(rawValue: 0x20)
        /// MAP_GROWSDOWN: a stack.
        public static let growsDown = MappingFlags(rawValue: 0x100)
        /// MAP_LOCKED.
        public static let locked = MappingFlags(rawValue: 0x2000)
        /// MAP_NORESERVE.
        public static let noReserve = MappingFlags(rawValue: 0x4000)
        /// MAP_HUGETLB; the page size's log2 is in bits 26-31.
        public static let hugeTLB = MappingFlags(rawValue: 0x40000)
        /// Mask of the hugetlb page-size bits (26-31).
        public static let hugePageSizeMask = MappingFlags(rawValue: 0x3f << 26)

        /// log2 of the huge page size (21 for 2 MiB) when MAP_HUGETLB is set with a size; nil otherwise.
        public var hugePageShift: UInt32? {
            guard contains(.hugeTLB) else { return nil }
            let shift = (rawValue >> 26) & 0x3f
            return shift == 0 ? nil : shift
        }

        /// The huge page size in bytes, when encoded.
        public var hugePageSize: UInt64? { hugePageShift.map { 1 << UInt64($0) } }
    }

    /// CRIU's VMA_* status bits (part of the image ABI).
    public struct Status: OptionSet, Hashable, Sendable {
        /// The bits as stored in the image.
        public var rawValue: UInt32
        /// A set from stored bits.
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// VMA_AREA_REGULAR: a real user mapping CRIU dumps and restores.
        public static let regular = Status(rawValue: 0x1)
        /// VMA_AREA_STACK: defined but not set by current CRIU.
        public static let stack = Status(rawValue: 0x2)
        /// VMA_AREA_VSYSCALL: [vsyscall] / [vectors].
        public static let vsyscall = Status(rawValue: 0x4)
        /// VMA_AREA_VDSO: [vdso].
        public static let vdso = Status(rawValue: 0x8)
        /// VMA_AREA_HEAP: [heap].
        public static let heap = Status(rawValue: 0x20)
        /// VMA_FILE_PRIVATE: private file mapping.
        public static let filePrivate = Status(rawValue: 0x40)
        /// VMA_FILE_SHARED: shared file mapping.
        public static let fileShared = Status(rawValue: 0x80)
        /// VMA_ANON_SHARED: anonymous shared (pre-3.17) or SysV shm.
        public static let anonymousShared = Status(rawValue: 0x100)
        /// VMA_ANON_PRIVATE: anonymous private.
        public static let anonymousPrivate = Status(rawValue: 0x200)
        /// VMA_AREA_SYSVIPC: SysV shm attachment.
        public static let sysVIPC = Status(rawValue: 0x400)
        /// VMA_AREA_SOCKET: packet-socket ring.
        public static let socket = Status(rawValue: 0x800)
        /// VMA_AREA_VVAR: [vvar] (never dumped).
        public static let vvar = Status(rawValue: 0x1000)
        /// VMA_AREA_AIORING: AIO ring.
        public static let aioRing = Status(rawValue: 0x2000)
        /// VMA_AREA_MEMFD: memfd-backed (also anonymous shared memory since 3.17).
        public static let memfd = Status(rawValue: 0x4000)
        /// VMA_AREA_SHSTK: x86 CET shadow stack (4.0+).
        public static let shadowStack = Status(rawValue: 0x8000)
        /// VMA_AREA_GUARD: fake VMA for a MADV_GUARD_INSTALL range (4.2+).
        public static let `guard` = Status(rawValue: 0x10000)
        /// VMA_AREA_UPROBES: [uprobes] (4.2+, never written).
        public static let uprobes = Status(rawValue: 0x20000)
        /// VMA_EXT_PLUGIN: device mapping handled by a plugin.
        public static let externalPlugin = Status(rawValue: 0x800_0000)
        /// VMA_CLOSE: restore-time internal.
        public static let close = Status(rawValue: 0x1000_0000)
        /// VMA_NO_PROT_WRITE: restore-time internal.
        public static let noProtWrite = Status(rawValue: 0x2000_0000)
        /// VMA_PREMMAPED: restore-time internal.
        public static let premapped = Status(rawValue: 0x4000_0000)
        /// VMA_UNSUPP: unsupported mapping; never in an image.
        public static let unsupported = Status(rawValue: 0x8000_0000)
    }
}

extension VMA: EncodableImageMessage {
    /// Writes the model as CRIU writes `vma_entry` (see ``EncodableImageMessage``).
    public func encode(to writer: inout WireWriter) throws(ImageError) {
        writer.write(1, varint: start)
        writer.write(2, varint: end)
        writer.write(3, varint: pageOffset)
        writer.write(4, varint: shmid)
        writer.write(5, varint: UInt64(protection.rawValue))
        writer.write(6, varint: UInt64(flags.rawValue))
        writer.write(7, varint: UInt64(status.rawValue))
        writer.write(8, sint64: fd)
        if let v = madvise { writer.write(9, varint: v) }
        if let v = fileFlags { writer.write(10, varint: UInt64(v)) }
    }
}
