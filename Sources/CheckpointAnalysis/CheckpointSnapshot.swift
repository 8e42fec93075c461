public import Checkpoint
import CheckpointArchive
import CRIUImages

/// A process as ``diff(_:_:options:progress:)`` compares it: the linked process plus what is read from its
/// memory (command line and environment). Every property is a `var`, so tests and tools can edit a
/// snapshot to ask "what would the diff say if...".
public struct ProcessSnapshot: Hashable, Sendable {
    /// The linked process.
    public var process: CheckpointProcess
    /// argv from the dumped stack pages; nil when those pages are not in the checkpoint.
    public var commandLine: [String]?
    /// environ (`KEY=VALUE`, in order) from the dumped pages; nil when not in the checkpoint.
    public var environment: [String]?

    /// A snapshot of `process` with the given argv and environ (nil: not in the checkpoint).
    public init(process: CheckpointProcess, commandLine: [String]? = nil, environment: [String]? = nil) {
        self.process = process
        self.commandLine = commandLine
        self.environment = environment
    }
}

/// What a diff compares of one checkpoint: the opened checkpoint (for pages, mounts, metadata...)
/// and an editable copy of its processes.
///
/// The memory section always reads the checkpoint's own pages and VMAs for page data; the
/// `processes`, `vmas`, `fds` and `sockets` sections read ``processes``.
public struct CheckpointSnapshot: Sendable {
    /// The opened checkpoint.
    public let checkpoint: Checkpoint
    /// The processes, in the checkpoint's tree order; edit them to change what a diff compares.
    public var processes: [ProcessSnapshot]

    /// Builds a snapshot, reading every process's argv and environ in one batch of page reads (one
    /// pass over a compressed archive, ``Checkpoint/processStrings(_:environment:)``). With
    /// `readMemory: false` they are left nil.
    public init(_ checkpoint: Checkpoint, readMemory: Bool = true) throws(CheckpointError) {
        self.checkpoint = checkpoint
        var snapshots = checkpoint.processes.map { ProcessSnapshot(process: $0) }
        guard readMemory else {
            processes = snapshots
            return
        }
        // One batch for every process (one pass over a compressed archive), each read from an address
        // space narrowed to the VMAs its strings touch; a value the checkpoint does not hold stays nil.
        for (i, strings) in try checkpoint.processStrings().enumerated() where i < snapshots.count {
            snapshots[i].commandLine = strings.commandLine
            snapshots[i].environment = strings.environment
        }
        processes = snapshots
    }
}
