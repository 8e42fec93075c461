public import CRIUImages

/// One thread of a process: its id, name, state and per-thread core data.
public struct CheckpointThread: Hashable, Sendable {
    /// Thread id inside the checkpoint's pid namespace.
    public var tid: UInt32
    /// The thread's name (`thread_core.comm`, or the process's).
    public var name: String
    /// The thread's own core (`core-<tid>.img`); nil when the image is missing.
    public var core: Core?

    /// The thread's credentials (`thread_core.creds`).
    public var credentials: Credentials? { core?.thread?.credentials }
    /// The thread's saved registers.
    public var registers: Registers? { core?.registers }
    /// The thread's blocked-signal mask.
    public var blockedSignals: UInt64? { core?.thread?.blockedSignals }
}

/// One process of the checkpoint, linked to everything the images say about it.
public struct CheckpointProcess: Hashable, Sendable {
    /// The process id inside the checkpoint's pid namespace.
    public var pid: UInt32
    /// The parent's pid (0 for the root of the tree).
    public var ppid: UInt32
    /// The process group id.
    public var pgid: UInt32
    /// The session id.
    public var sid: UInt32
    /// `comm` of the leader.
    public var command: String
    /// The task state at dump time.
    public var state: TaskState
    /// The exit code (meaningful for zombies).
    public var exitCode: UInt32
    /// Threads, leader first (as `pstree.img` lists them).
    public var threads: [CheckpointThread]
    /// The leader's core.
    public var core: Core?
    /// Kernel object and namespace ids (`ids-<pid>.img`); nil for zombies.
    public var ids: KernelObjectIDs?
    /// The address space (`mm-<pid>.img`); nil for zombies.
    public var memory: MemoryMap?
    /// cwd and root (`fs-<pid>.img`).
    public var fs: TaskFS?
    /// The working directory and root, resolved through files.img.
    public var cwd: String?
    /// The root directory, resolved through files.img.
    public var root: String?
    /// The executable, resolved from `mm_entry.exe_file_id`.
    public var executable: String?
    /// Open file descriptors, by fd number.
    public var files: [OpenFile]
    /// Depth in the process tree (0 for the root).
    public var depth: Int
    /// False for a process known only from its images, not from `pstree.img` (a pre-dump's
    /// pagemaps, or a process tree that is missing or unreadable): its parent, group, session and
    /// threads are unknown (shown as 0 and none).
    public var inProcessTree: Bool = true

    /// True for a zombie (dead, not yet reaped), which has no address space.
    public var isZombie: Bool { state == .dead }
    /// The leader's task core (`core_entry.tc`).
    public var task: TaskCore? { core?.task }
}

/// A file descriptor of a process, resolved to what it refers to.
public struct OpenFile: Hashable, Sendable {
    /// The descriptor number.
    public var fd: UInt32
    /// `FD_CLOEXEC` and friends from `fdinfo_entry.flags`.
    public var fdFlags: UInt32
    /// The file type (`fdinfo_entry.type`).
    public var type: FileDescriptorType
    /// The files.img id.
    public var fileID: UInt32
    /// A short kind: `file`, `pipe`, `socket`, `eventfd`...
    public var kind: String
    /// What `/proc/PID/fd/N` would show: a path, `pipe:[ino]`, `socket:[ino]`, `anon_inode:[eventfd]`.
    public var target: String
    /// Facts about the file, in display order (position, flags, queued bytes, addresses...).
    public var details: [Detail]
    /// The files.img entry itself (nil when the id does not resolve).
    public var entry: FileEntry?

    /// One labelled fact about an open file (`pos`, `flags`, `state`...).
    public struct Detail: Hashable, Sendable, Codable {
        /// The label, in snake_case (`pos`, `recv_queue`, `watches`).
        public var key: String
        /// The value, as text (`1193`, `127.0.0.1:47001`, `O_RDONLY|O_LARGEFILE`).
        public var value: String
        /// The value with its type, for output that keeps types (JSON).
        public var typed: Value

        /// What a detail holds.
        public indirect enum Value: Hashable, Sendable, Codable {
            /// Text: names, flags, octal modes, hex masks.
            case text(String)
            /// A count, size, offset, inode or id.
            case number(UInt64)
            /// An IP address (as text, IPv6 without brackets) and a port.
            case endpoint(address: String, port: UInt32)
            /// Repeated things (inotify watches, epoll targets): one list of details each.
            case records([[Detail]])
        }

        /// A detail from a label and a text value.
        public init(_ key: String, _ value: String) {
            self.key = key
            self.value = value
            self.typed = .text(value)
        }

        /// A numeric detail (an unsigned quantity; a negative one is shown as 0).
        public init<N: BinaryInteger>(_ key: String, number: N) {
            let n = UInt64(clamping: number)
            self.key = key
            self.value = String(n)
            self.typed = .number(n)
        }

        /// An address and port (`127.0.0.1:47001`, `[::1]:80` as text).
        public init(_ key: String, address: String, port: UInt32) {
            self.key = key
            self.value = (address.contains(":") ? "[\(address)]" : address) + ":\(port)"
            self.typed = .endpoint(address: address, port: port)
        }

        /// Repeated records; as text, each record's `key value` pairs, records separated by commas.
        public init(_ key: String, records: [[Detail]]) {
            self.key = key
            self.value = records.map { $0.map { "\($0.key) \($0.value)" }.joined(separator: " ") }.joined(separator: ", ")
            self.typed = .records(records)
        }
    }

    /// A detail's value by key.
    public func detail(_ key: String) -> String? { details.first { $0.key == key }?.value }
}
