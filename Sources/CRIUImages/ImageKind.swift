/// How the entries of an image are laid out after its magic words.
public enum ImageLayout: Hashable, Sendable {
    /// Exactly one entry.
    case single
    /// Any number of entries, to the end of the file.
    case stream
    /// A `pagemap_head` entry, then `pagemap_entry` entries.
    case pagemap
    /// A `ghost_file_entry`, then chunks or the raw file contents (CRIU-FORMAT.md 1.4).
    case ghostFile
    /// No magic and no protobuf: page data, tarballs, iproute2 dumps, rule sets.
    case raw
}

/// The extra payload that follows each entry of some images (CRIU-FORMAT.md 1.4).
public enum PayloadRule: Hashable, Sendable {
    /// `pipe_data_entry.bytes` bytes.
    case pipeData
    /// `sk_packet_entry.length` bytes.
    case socketQueue
    /// `tcp_stream_entry.inq_len` then `outq_len` bytes.
    case tcpStream
    /// `ipc_sem_entry.nsems` u16 values, padded to 8 bytes.
    case semaphores
    /// `ipc_msg_entry.qnum` records of `u32 size`, `ipc_msg`, data padded to 8.
    case messageQueue
    /// SysV shm contents, only when `in_pagemaps` is absent or false (very old dumps).
    case sharedMemory
    /// `bpfmap_data_entry.keys_bytes` then `values_bytes`.
    case bpfMap
}

/// One kind of CRIU image: its magic, the file names it goes by, how its entries are laid out
/// and which message each entry holds. Mirrors `criu/include/magic.h` and `image-desc.c`.
public struct ImageKind: Hashable, Sendable, CustomStringConvertible {
    /// The magic's name as crit prints it, for example `PAGEMAP` or `SHMEM_PAGEMAP`.
    public let name: String
    /// The per-image magic word (0 for RAW images).
    public let magic: UInt32
    /// The message type of the entries (`pagemap_entry` for pagemaps, whose first entry is a `pagemap_head`).
    public let message: String?
    /// The entry layout.
    public let layout: ImageLayout
    /// The extra payload after each entry, if any.
    public let payload: PayloadRule?
    /// True when the image comes after the IMG_SERVICE word instead of IMG_COMMON.
    public let isService: Bool
    /// True for images that only old CRIU versions write.
    public let isLegacy: Bool

    /// The kind's ``name``.
    public var description: String { name }

    /// True for images without magic or protobuf entries.
    public var isRaw: Bool { layout == .raw }

    /// The name crit prints for this kind's magic: where magics are shared, the first kind that has the value.
    public var magicName: String {
        ImageKind.byMagic[magic]?.name ?? name
    }
}

/// The magic words that open CRIU images.
public enum Magic {
    /// First word of every normal image (image format v1.1).
    public static let common: UInt32 = 0x5456_4319
    /// First word of the service files `stats-dump`, `stats-restore` and `irmap-cache`.
    public static let service: UInt32 = 0x5510_5940
    /// The one word of `inventory.img`.
    public static let inventory: UInt32 = 0x5831_3116
}

extension ImageKind {
    private init(_ name: String, _ magic: UInt32, _ message: String?, _ layout: ImageLayout = .stream,
                 payload: PayloadRule? = nil, service: Bool = false, legacy: Bool = false) {
        self.name = name
        self.magic = magic
        self.message = message
        self.layout = layout
        self.payload = payload
        self.isService = service
        self.isLegacy = legacy
    }

    /// Every image kind with a magic word, in the order of `magic.h`.
    public static let all: [ImageKind] = [
        .init("INVENTORY", 0x5831_3116, "inventory_entry", .single),
        .init("PSTREE", 0x5027_3030, "pstree_entry"),
        .init("FDINFO", 0x5621_3732, "fdinfo_entry"),
        .init("PAGEMAP", 0x5608_4025, "pagemap_entry", .pagemap),
        .init("SHMEM_PAGEMAP", 0x5608_4025, "pagemap_entry", .pagemap),
        .init("CORE", 0x5505_3847, "core_entry", .single),
        .init("IDS", 0x5443_2030, "task_kobj_ids_entry", .single),
        .init("VMAS", 0x5412_3737, "vma_entry", legacy: true),
        .init("PIPES", 0x5651_3555, "pipe_entry", legacy: true),
        .init("PIPES_DATA", 0x5645_3709, "pipe_data_entry", payload: .pipeData),
        .init("FIFO", 0x5836_4939, "fifo_entry", legacy: true),
        .init("FIFO_DATA", 0x5933_3054, "pipe_data_entry", payload: .pipeData),
        .init("SIGACT", 0x5534_4201, "sa_entry", legacy: true),
        .init("UNIXSK", 0x5437_3943, "unix_sk_entry", legacy: true),
        .init("INETSK", 0x5644_3851, "inet_sk_entry", legacy: true),
        .init("PACKETSK", 0x6045_4618, "packet_sock_entry", legacy: true),
        .init("ITIMERS", 0x5746_4056, "itimer_entry", legacy: true),
        .init("POSIX_TIMERS", 0x5260_3957, "posix_timer_entry", legacy: true),
        .init("SK_QUEUES", 0x5626_4026, "sk_packet_entry", payload: .socketQueue),
        .init("UTSNS", 0x5447_3203, "utsns_entry", .single),
        .init("CREDS", 0x5402_3547, "creds_entry", .single, legacy: true),
        .init("IPC_VAR", 0x5311_5007, "ipc_var_entry", .single),
        .init("IPCNS_SHM", 0x4628_3044, "ipc_shm_entry", payload: .sharedMemory),
        .init("IPCNS_MSG", 0x5545_3737, "ipc_msg_entry", payload: .messageQueue),
        .init("IPCNS_SEM", 0x5957_3019, "ipc_sem_entry", payload: .semaphores),
        .init("REG_FILES", 0x5036_3636, "reg_file_entry", legacy: true),
        .init("EXT_FILES", 0x5925_5641, "ext_file_entry", legacy: true),
        .init("FS", 0x5140_3912, "fs_entry", .single),
        .init("MM", 0x5749_2820, "mm_entry", .single),
        .init("REMAP_FPATH", 0x5913_3954, "remap_file_path_entry"),
        .init("GHOST_FILE", 0x5258_3605, "ghost_file_entry", .ghostFile),
        .init("TCP_STREAM", 0x5146_5506, "tcp_stream_entry", .single, payload: .tcpStream),
        .init("EVENTFD_FILE", 0x4452_3722, "eventfd_file_entry", legacy: true),
        .init("EVENTPOLL_FILE", 0x4502_3858, "eventpoll_file_entry", legacy: true),
        .init("EVENTPOLL_TFD", 0x4443_3746, "eventpoll_tfd_entry", legacy: true),
        .init("SIGNALFD", 0x5732_3820, "signalfd_entry", legacy: true),
        .init("INOTIFY_FILE", 0x4842_4431, "inotify_file_entry", legacy: true),
        .init("INOTIFY_WD", 0x5456_2009, "inotify_wd_entry", legacy: true),
        .init("MNTS", 0x5556_3928, "mnt_entry"),
        .init("NETDEV", 0x5737_3951, "net_device_entry"),
        .init("NETNS", 0x5593_3752, "netns_entry", .single),
        .init("TTY_FILES", 0x5943_3025, "tty_file_entry", legacy: true),
        .init("TTY_INFO", 0x5945_3036, "tty_info_entry"),
        .init("TTY_DATA", 0x5941_3026, "tty_data_entry"),
        .init("FILE_LOCKS", 0x5432_3616, "file_lock_entry"),
        .init("RLIMIT", 0x5711_3925, "rlimit_entry", legacy: true),
        .init("FANOTIFY_FILE", 0x5509_6122, "fanotify_file_entry", legacy: true),
        .init("FANOTIFY_MARK", 0x5650_6035, "fanotify_mark_entry", legacy: true),
        .init("SIGNAL", 0x5925_5647, "siginfo_entry", legacy: true),
        .init("PSIGNAL", 0x5925_5647, "siginfo_entry", legacy: true),
        .init("NETLINK_SK", 0x5800_5614, "netlink_sk_entry", legacy: true),
        .init("NS_FILES", 0x6139_4011, "ns_file_entry", legacy: true),
        .init("TUNFILE", 0x5714_3751, "tunfile_entry", legacy: true),
        .init("CGROUP", 0x5938_3330, "cgroup_entry", .single),
        .init("TIMERFD", 0x5049_3712, "timerfd_entry", legacy: true),
        .init("CPUINFO", 0x6140_4013, "cpuinfo_entry", .single),
        .init("USERNS", 0x5547_4906, "userns_entry", .single),
        .init("SECCOMP", 0x6441_3049, "seccomp_entry", .single),
        .init("BINFMT_MISC", 0x6734_3323, "binfmt_misc_entry"),
        .init("BINFMT_MISC_OLD", 0x6734_3323, "binfmt_misc_entry", legacy: true),
        .init("AUTOFS", 0x4935_3943, "autofs_entry", .single),
        .init("FILES", 0x5630_3138, "file_entry"),
        .init("MEMFD_INODE", 0x4845_3499, "memfd_inode_entry"),
        .init("TIMENS", 0x4311_4433, "timens_entry", .single),
        .init("PIDNS", 0x6115_7326, "pidns_entry", .single),
        .init("BPFMAP_FILE", 0x5750_6142, "bpfmap_file_entry", legacy: true),
        .init("BPFMAP_DATA", 0x6432_4033, "bpfmap_data_entry", payload: .bpfMap),
        .init("APPARMOR", 0x5942_3047, "apparmor_entry", .single),
        .init("PIDFD", 0x5443_5556, "pidfd_entry", legacy: true),
        .init("STATS", 0x5709_3306, "stats_entry", .single, service: true),
        .init("IRMAP_CACHE", 0x5700_4059, "irmap_cache_entry", service: true),
    ]

    /// RAW images, recognised by file name only.
    public static let rawKinds: [ImageKind] = [
        .init("PAGES", 0, nil, .raw),
        .init("IFADDR", 0, nil, .raw),
        .init("ROUTE", 0, nil, .raw),
        .init("ROUTE6", 0, nil, .raw),
        .init("RULE", 0, nil, .raw),
        .init("TMPFS_IMG", 0, nil, .raw, legacy: true),
        .init("TMPFS_DEV", 0, nil, .raw),
        .init("IPTABLES", 0, nil, .raw),
        .init("IP6TABLES", 0, nil, .raw),
        .init("NFTABLES", 0, nil, .raw),
        .init("NETNF_CT", 0, nil, .raw),
        .init("NETNF_EXP", 0, nil, .raw),
        .init("PLUGIN", 0, nil, .raw),
    ]

    /// The first kind registered for each magic value (crit's name for it).
    static let byMagic: [UInt32: ImageKind] = {
        var table: [UInt32: ImageKind] = [:]
        for kind in all where table[kind.magic] == nil { table[kind.magic] = kind }
        return table
    }()

    static let byName: [String: ImageKind] = {
        var table: [String: ImageKind] = [:]
        for kind in all + rawKinds { table[kind.name] = kind }
        return table
    }()

    /// Looks a kind up by its name (`"PAGEMAP"`, `"PAGES"`...).
    public static func named(_ name: String) -> ImageKind? { byName[name] }

    /// The RAW kind a file name denotes, if it is one of the RAW image names (CRIU-FORMAT.md 1.6).
    public static func raw(forFileName name: String) -> ImageKind? {
        func matches(_ prefix: String, _ suffix: String = ".img") -> Bool {
            guard name.hasPrefix(prefix), name.hasSuffix(suffix), name.count > prefix.count + suffix.count else { return false }
            let middle = name.dropFirst(prefix.count).dropLast(suffix.count)
            return middle.allSatisfy { $0.isASCII && ($0.isHexDigit) }
        }
        let table: [(String, String, String)] = [
            ("pages-", ".img", "PAGES"),
            ("ifaddr-", ".img", "IFADDR"),
            ("route6-", ".img", "ROUTE6"),
            ("route-", ".img", "ROUTE"),
            ("rule-", ".img", "RULE"),
            ("ip6tables-", ".img", "IP6TABLES"),
            ("iptables-", ".img", "IPTABLES"),
            ("nftables-", ".img", "NFTABLES"),
            ("tmpfs-dev-", ".tar.gz.img", "TMPFS_DEV"),
            ("tmpfs-", ".tar.gz.img", "TMPFS_IMG"),
            ("netns-ct-", ".img", "NETNF_CT"),
            ("netns-exp-", ".img", "NETNF_EXP"),
        ]
        for (prefix, suffix, kind) in table where matches(prefix, suffix) {
            return byName[kind]
        }
        if name.hasPrefix("amdgpu-") && name.hasSuffix(".img") { return byName["PLUGIN"] }
        return nil
    }

    /// Picks the kind for a magic value, using the file name where several kinds share the magic.
    public static func forMagic(_ magic: UInt32, fileName: String) -> ImageKind? {
        guard let first = byMagic[magic] else { return nil }
        switch first.name {
        case "PAGEMAP" where fileName.hasPrefix("pagemap-shmem-"):
            return byName["SHMEM_PAGEMAP"]
        case "SIGNAL" where fileName.hasPrefix("signal-p-"):
            return byName["PSIGNAL"]
        case "BINFMT_MISC" where fileName.hasPrefix("binfmt-misc-"):
            return byName["BINFMT_MISC_OLD"]
        default:
            return first
        }
    }
}
