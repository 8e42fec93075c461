// Shared by the fuzz targets of CRIUImages and the seed tool (compiled into each; see Scripts/fuzz.sh).

import CRIUImages

/// The image file names the decoder target chooses from with its first byte: one per image kind
/// (the name decides between kinds that share a magic, and marks RAW images), in this order.
/// The seed tool writes each fixture image behind the index of its kind's name.
let fuzzImageFileNames: [(kind: String, file: String)] = [
    ("INVENTORY", "inventory.img"), ("PSTREE", "pstree.img"), ("FDINFO", "fdinfo-2.img"),
    ("PAGEMAP", "pagemap-1.img"), ("SHMEM_PAGEMAP", "pagemap-shmem-1.img"), ("CORE", "core-1.img"),
    ("IDS", "ids-1.img"), ("VMAS", "vmas-1.img"), ("PIPES", "pipes.img"), ("PIPES_DATA", "pipes-data.img"),
    ("FIFO", "fifo.img"), ("FIFO_DATA", "fifo-data.img"), ("SIGACT", "sigacts-1.img"), ("UNIXSK", "unixsk.img"),
    ("INETSK", "inetsk.img"), ("PACKETSK", "packetsk.img"), ("ITIMERS", "itimers-1.img"),
    ("POSIX_TIMERS", "posix-timers-1.img"), ("SK_QUEUES", "sk-queues.img"), ("UTSNS", "utsns-1.img"),
    ("CREDS", "creds-1.img"), ("IPC_VAR", "ipcns-var-1.img"), ("IPCNS_SHM", "ipcns-shm-1.img"),
    ("IPCNS_MSG", "ipcns-msg-1.img"), ("IPCNS_SEM", "ipcns-sem-1.img"), ("REG_FILES", "reg-files.img"),
    ("EXT_FILES", "ext-files.img"), ("FS", "fs-1.img"), ("MM", "mm-1.img"), ("REMAP_FPATH", "remap-fpath.img"),
    ("GHOST_FILE", "ghost-file-1.img"), ("TCP_STREAM", "tcp-stream-1.img"), ("EVENTFD_FILE", "eventfd.img"),
    ("EVENTPOLL_FILE", "eventpoll.img"), ("EVENTPOLL_TFD", "eventpoll-tfd.img"), ("SIGNALFD", "signalfd.img"),
    ("INOTIFY_FILE", "inotify.img"), ("INOTIFY_WD", "inotify-wd.img"), ("MNTS", "mountpoints-1.img"),
    ("NETDEV", "netdev-1.img"), ("NETNS", "netns-1.img"), ("TTY_FILES", "tty.img"), ("TTY_INFO", "tty-info.img"),
    ("TTY_DATA", "tty-data.img"), ("FILE_LOCKS", "filelocks.img"), ("RLIMIT", "rlimit-1.img"),
    ("FANOTIFY_FILE", "fanotify.img"), ("FANOTIFY_MARK", "fanotify-mark.img"), ("SIGNAL", "signal-s-1.img"),
    ("PSIGNAL", "signal-p-1.img"), ("NETLINK_SK", "netlinksk.img"), ("NS_FILES", "ns-files.img"),
    ("TUNFILE", "tunfile.img"), ("CGROUP", "cgroup.img"), ("TIMERFD", "timerfd.img"), ("CPUINFO", "cpuinfo.img"),
    ("USERNS", "userns-1.img"), ("SECCOMP", "seccomp.img"), ("BINFMT_MISC", "binfmt-misc.img"),
    ("BINFMT_MISC_OLD", "binfmt-misc-1.img"), ("AUTOFS", "autofs-1.img"), ("FILES", "files.img"),
    ("MEMFD_INODE", "memfd.img"), ("TIMENS", "timens-0.img"), ("PIDNS", "pidns-1.img"),
    ("BPFMAP_FILE", "bpfmap-file.img"), ("BPFMAP_DATA", "bpfmap-data.img"), ("APPARMOR", "apparmor.img"),
    ("PIDFD", "pidfd.img"), ("STATS", "stats-dump"), ("IRMAP_CACHE", "irmap-cache"),
    ("PAGES", "pages-1.img"), ("TMPFS_DEV", "tmpfs-dev-1.tar.gz.img"),
]

/// The message names the generic target chooses from with its first two bytes (big-endian).
let fuzzMessageNames: [String] = Schema.criu.messages.keys.sorted()
