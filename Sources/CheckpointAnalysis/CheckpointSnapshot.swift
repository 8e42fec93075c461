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
    /// pass over a compressed archive). With `readMemory: false` they are left nil.
    public init(_ checkpoint: Checkpoint, readMemory: Bool = true) throws(CheckpointError) {
        self.checkpoint = checkpoint
        var snapshots = checkpoint.processes.map { ProcessSnapshot(process: $0) }
        guard readMemory else {
            processes = snapshots
            return
        }
        // Each wanted string range is widened to whole pages; all pages of all ranges are read in one
        // batch (PageDiff.forEachPage: pread, or one pass per compressed source).
        struct Want {
            var process: Int
            var isEnvironment: Bool
            var range: Range<UInt64>
            var alignedStart: UInt64
            var firstPage: Int
            var pageCount: Int
        }
        var wants: [Want] = []
        var spans: [PageDiff.Span] = []
        var pageCount = 0
        let pageSize = checkpoint.facts.pageSize
        for (i, p) in checkpoint.processes.enumerated() {
            guard let mm = p.memory, let space = try checkpoint.addressSpace(p.pid) else { continue }
            for (isEnvironment, range) in [(false, mm.argumentsRange), (true, mm.environmentRange)] {
                if range.isEmpty {
                    if isEnvironment { snapshots[i].environment = [] } else { snapshots[i].commandLine = [] }
                    continue
                }
                guard range.count <= 1 << 20 else { continue }
                let start = range.lowerBound / pageSize * pageSize
                let end = (range.upperBound + pageSize - 1) / pageSize * pageSize
                let pieces = space.pieces(address: start, length: end - start)
                guard pieces.allSatisfy({ if case .file = $0.location { true } else { false } }) else { continue }
                let first = pageCount
                for piece in pieces {
                    if case .file(let file, let offset) = piece.location {
                        let count = Int(piece.length / pageSize)
                        spans.append(PageDiff.Span(file: file, offset: offset, count: count, first: first + Int((piece.address - start) / pageSize)))
                    }
                }
                let count = Int((end - start) / pageSize)
                pageCount += count
                wants.append(Want(process: i, isEnvironment: isEnvironment, range: range, alignedStart: start, firstPage: first, pageCount: count))
            }
        }
        guard !spans.isEmpty else {
            processes = snapshots
            return
        }
        let ps = Int(pageSize)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: pageCount * ps, alignment: 16)
        defer { buffer.deallocate() }
        try PageDiff.forEachPage(checkpoint, spans, pageSize: ps) { page, bytes in
            (buffer.baseAddress! + page * ps).copyMemory(from: bytes.baseAddress!, byteCount: ps)
        }
        for want in wants {
            let from = want.firstPage * ps + Int(want.range.lowerBound - want.alignedStart)
            var bytes = [UInt8](UnsafeRawBufferPointer(rebasing: buffer[from..<from + want.range.count]))
            if bytes.last == 0 { bytes.removeLast() }
            let strings = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            if want.isEnvironment { snapshots[want.process].environment = strings } else { snapshots[want.process].commandLine = strings }
        }
        processes = snapshots
    }
}
