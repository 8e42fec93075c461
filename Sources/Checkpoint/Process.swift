public import CRIUImages

/// One thread of a process: its id, name, state and per-thread core data.
public struct CheckpointThread: Hashable, Sendable {
    /// Thread id inside the checkpoint's pid namespace.
    public var tid: UInt32
    /// The thread's name (`thread_core.comm`, or the process's).
    public var name: String
    /// The thread's own core (`core-<tid>.img`); nil when the image is missing.
    public var core: Core?

    public var credentials: Credentials? { core?.thread?.credentials }
    public var registers: Registers? { core?.registers }
    public var blockedSignals: UInt64? { core?.thread?.blockedSignals }
}

/// One process of the checkpoint, linked to everything the images say about it.
public struct CheckpointProcess: Hashable, Sendable {
    public var pid: UInt32
    public var ppid: UInt32
    public var pgid: UInt32
    public var sid: UInt32
    /// `comm` of the leader.
    public var command: String
    public var state: TaskState
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
    public var root: String?
    /// The executable, resolved from `mm_entry.exe_file_id`.
    public var executable: String?
    /// Open file descriptors, by fd number.
    public var files: [OpenFile]
    /// Depth in the process tree (0 for the root).
    public var depth: Int

    public var isZombie: Bool { state == .dead }
    public var task: TaskCore? { core?.task }
}

/// A file descriptor of a process, resolved to what it refers to.
public struct OpenFile: Hashable, Sendable {
    public var fd: UInt32
    /// `FD_CLOEXEC` and friends from `fdinfo_entry.flags`.
    public var fdFlags: UInt32
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

    public struct Detail: Hashable, Sendable, Codable {
        public var key: String
        public var value: String
        public init(_ key: String, _ value: String) {
            self.key = key
            self.value = value
        }
    }

    /// A detail's value by key.
    public func detail(_ key: String) -> String? { details.first { $0.key == key }?.value }
}
