public import Checkpoint
import CheckpointArchive
import CRIUImages
import Foundation
internal import Synchronization

/// Scans the memory of a checkpoint's processes with YARA rules, streaming the pages files once.
///
/// Each process is one YARA scan, as `yara PID` scans a live process: its VMAs' dumped pages (parent
/// pre-dump pages included, holes left out) are YARA memory blocks at their virtual addresses,
/// shared memory included in every process that maps it. A string spanning two pages of one VMA
/// matches, wherever the two pages are stored; nothing spans a hole or two VMAs.
///
/// Pages are read with one pass over a compressed archive (the whole scan), or in large blocks
/// with `pread` from plain tars and directories, the pages files shared among up to four workers.
/// Each block read is scanned in place; around the seams between blocks, a window of a few KiB of
/// each side is scanned again as a block of its own, so a match crossing a seam is found (libyara
/// merges the duplicates by address).
public struct YARAScan: Sendable {
    /// Bytes kept of each match (libyara's `max_match_data`; `yara` keeps 512).
    public static let matchDataLimit = 256

    /// Only these processes; nil for all.
    public var pids: Set<UInt32>?
    /// Stop scanning after this many seconds (0: no limit). Targets not finished are reported
    /// as ``YARAProblem``s.
    public var timeout: Int
    /// Matches kept per string and shown per rule: a string stops collecting at this many (as
    /// libyara itself does at 1,000,000), so a condition counting it (`#a > N`) sees at most about
    /// this many.
    public var maxMatches: Int
    /// A directory holding the container image's root file system: file-backed pages CRIU did not
    /// dump are scanned too, read from the mapped files there (``MappedFiles``; a match there names
    /// its file).
    public var rootfs: String?
    /// Whether those pages are read from the checkpoint's own copies of the mapped files too (a
    /// ghost file, the rootfs diff, a tmpfs), when `rootfs` does not have them.
    public var checkpointCopies: Bool
    /// Bytes read at a time from plain tars and directories.
    var blockSize = 1 << 20
    /// Bytes per block for conditions that read memory after the scan (`uint32(a)`, modules).
    var conditionBlockSize = 4 << 20
    /// When the timeout starts counting (tests put it in the past); nil: when ``run(_:in:progress:)`` starts.
    var startedAt: Date?

    /// A scan of the given processes (nil: all) with a timeout in seconds (0: none) and a cap on
    /// matches per string and rule.
    public init(pids: Set<UInt32>? = nil, timeout: Int = 0, maxMatches: Int = 1000, rootfs: String? = nil, checkpointCopies: Bool = true) {
        self.pids = pids
        self.timeout = timeout
        self.maxMatches = maxMatches
        self.rootfs = rootfs
        self.checkpointCopies = checkpointCopies
    }

    /// A range of a pages file backing part of one VMA of one target (compact: a 2 GiB checkpoint
    /// has tens of thousands).
    struct Piece: Equatable {
        private var target32: Int32
        private var vma32: Int32
        private var previous32: Int32 = -1
        private var next32: Int32 = -1
        private var fill32: Int32 = -1
        var file: PagesFile
        var address: UInt64
        var length: UInt64
        var offset: UInt64

        init(target: Int, vma: Int, address: UInt64, length: UInt64, file: PagesFile, offset: UInt64, fill: Int? = nil) {
            target32 = Int32(target)
            vma32 = Int32(vma)
            self.address = address
            self.length = length
            self.file = file
            self.offset = offset
            fill32 = fill.map(Int32.init) ?? -1
        }

        var target: Int { Int(target32) }
        var vma: Int { Int(vma32) }
        /// The piece just before it in the same VMA, contiguous in memory (from another file, or
        /// not contiguous in the file).
        var previous: Int? {
            get { previous32 >= 0 ? Int(previous32) : nil }
            set { previous32 = newValue.map(Int32.init) ?? -1 }
        }
        var next: Int? {
            get { next32 >= 0 ? Int(next32) : nil }
            set { next32 = newValue.map(Int32.init) ?? -1 }
        }
        /// A plan of a pass still running: the memory just before the piece is in a parent image set
        /// the pass has not reached (planned when it has; ``awaitsNext`` for the memory just after).
        var awaitsPrevious: Bool {
            get { previous32 == Self.awaiting }
            set { previous32 = newValue ? Self.awaiting : -1 }
        }
        var awaitsNext: Bool {
            get { next32 == Self.awaiting }
            set { next32 = newValue ? Self.awaiting : -1 }
        }
        private static let awaiting: Int32 = -2

        /// The same bytes of the same target as `other`, in a plan that may link it otherwise.
        func sameRange(as other: Piece) -> Bool {
            file == other.file && offset == other.offset && length == other.length && address == other.address
                && target32 == other.target32 && vma32 == other.vma32 && fill32 == other.fill32
        }
        /// For pages CRIU did not dump, read from the mapped file (``YARAScan/files``): the index of
        /// the fill (then ``file`` and ``offset`` mean nothing).
        var fill: Int? { fill32 >= 0 ? Int(fill32) : nil }
    }

    struct Target {
        var pid: UInt32
        var command: String
        var space: AddressSpace
        var pieces: Range<Int>
        var bytes: UInt64
        var conditionBlocks: [(base: UInt64, size: Int)]
        /// Some of its pages are in a parent image set that a pass still running has not reached:
        /// ``bytes`` and ``conditionBlocks`` count the others only.
        var awaitsParent = false
        var description: YARATarget { .process(pid: pid, command: command) }
    }

    /// Runs the scan; `progress` is called with bytes scanned so far and the total, from the
    /// scanning threads, one call at a time.
    ///
    /// A compressed archive is read once more for the scan; ``YARAStreamingScan`` scans while the
    /// checkpoint is opened instead (one pass for both).
    public func run(_ rules: borrowing YARARules, in checkpoint: Checkpoint,
                    progress: ((UInt64, UInt64) -> Void)? = nil) throws(YARAError) -> YARAReport {
        let planned = try plan(checkpoint)
        let (targets, pieces) = (planned.targets, planned.pieces)
        let sets = checkpoint.imageSets
        var byFile: [PagesFile: [Int]] = [:]
        for (i, p) in pieces.enumerated() where p.fill == nil { byFile[p.file, default: []].append(i) }
        let seekable = byFile.keys.allSatisfy { sets[$0.set].source.isSeekable }
        var members: [PagesFile: ArchiveMember] = [:]
        for file in byFile.keys {
            guard let member = try wrap({ () throws(CheckpointError) in try sets[file.set].member(file.name) }) else {
                throw YARAError(CheckpointError(.missingImage, source: checkpoint.path, file: sets[file.set].path(of: file.name),
                                                message: "pages file is missing"))
            }
            members[file] = member
        }
        let groups = Self.groups(byFile: byFile, pieces: pieces, targets: targets.count, seekable: seekable)
        let total = targets.reduce(0) { $0 + $1.bytes }
        let scanned = Mutex<UInt64>(0)
        let reportProgress = progress.map { UncheckedSendable($0) }
        let outcomes = Mutex([GroupOutcome?](repeating: nil, count: groups.count))
        let context = self.context(rules, plan: planned, seekable: seekable, sets: sets, members: members)
        let blockSize = self.blockSize
        let work: @Sendable (Int) -> Void = { g in
            let scan = GroupScan(context)
            var failure: CheckpointError?
            let count: (Int) -> Void = { n in
                guard let reportProgress else { return }
                scanned.withLock { done in
                    done += UInt64(n)
                    reportProgress.value(done, total)
                }
            }
            do throws(CheckpointError) {
                if seekable {
                    // One target at a time: one YARA scan open per thread, its seams read back at its end.
                    for t in groups[g].targets {
                        let range = targets[t].pieces
                        var files: [PagesFile: [Int]] = [:]
                        for i in range where pieces[i].fill == nil { files[pieces[i].file, default: []].append(i - range.lowerBound) }
                        let streamed = pieces[range].map { ($0.file, $0.offset, $0.length) }
                        try scan.consumeFills([t], blockSize: blockSize, progress: count)
                        try checkpoint.streamPieces(byFile: files, pieces: streamed, seekableBlockSize: blockSize) { index, position, slice in
                            scan.consume(range.lowerBound + index, position, slice)
                            count(slice.count)
                        }
                        scan.finish(t)
                    }
                } else {
                    // Pages from the mapped files first (a target's blocks may come in any order).
                    try scan.consumeFills(groups[g].targets, blockSize: blockSize, progress: count)
                    let streamed = pieces.map { ($0.file, $0.offset, $0.length) }
                    try checkpoint.streamPieces(byFile: groups[g].files, pieces: streamed, seekableBlockSize: blockSize) { index, position, slice in
                        scan.consume(index, position, slice)
                        count(slice.count)
                    }
                }
            } catch {
                failure = error
            }
            // Targets with no dumped byte (or all of them, after a failure) are finished here.
            for t in groups[g].targets { scan.finish(t) }
            outcomes.withLock { $0[g] = GroupOutcome(results: scan.results, failure: failure) }
        }
        if groups.count == 1 {
            work(0)
        } else {
            DispatchQueue.concurrentPerform(iterations: groups.count) { work($0) }
        }
        let done = outcomes.withLock { $0 }.compactMap { $0 }
        if let failure = done.lazy.compactMap(\.failure).first { throw YARAError(failure) }
        var results: [Int: TargetResult] = [:]
        for outcome in done { results.merge(outcome.results) { a, _ in a } }
        var report = Self.report(results, targets: targets, in: checkpoint)
        report.unusedFiles = planned.files?.refusals.map(\.reason) ?? []
        return report
    }

    /// What every group of a scan shares.
    func context(_ rules: borrowing YARARules, plan: Plan, seekable: Bool, sets: [ImageSet],
                 members: [PagesFile: ArchiveMember]) -> ScanContext {
        // The window scanned again around each seam: the longest match libyara makes.
        let window = min(1 << 20, max(2 * LibYARA.regexScanLimit, 2 * rules.longestString + 16))
        let deadline = timeout > 0 ? (startedAt ?? Date()).addingTimeInterval(Double(timeout)) : nil
        return ScanContext(targets: plan.targets, pieces: plan.pieces, fills: plan.fills, handle: YARARules.Handle(rules), window: window,
                           maxMatches: max(1, maxMatches), deadline: deadline, timeout: timeout, seekable: seekable, sets: sets,
                           members: members, files: plan.files)
    }

    /// The report of finished targets, in the checkpoint's process order.
    static func report(_ results: [Int: TargetResult], targets: [Target], in checkpoint: Checkpoint) -> YARAReport {
        let rank = Dictionary(checkpoint.processes.enumerated().map { ($1.pid, $0) }, uniquingKeysWith: { a, _ in a })
        let order = targets.indices.sorted { (rank[targets[$0].pid] ?? Int.max, targets[$0].pid) < (rank[targets[$1].pid] ?? Int.max, targets[$1].pid) }
        var report = YARAReport(matches: [], targets: order.map { targets[$0].description }, bytesScanned: 0, problems: [])
        for t in order {
            guard let result = results[t] else { continue }
            report.bytesScanned += result.bytes
            // Described as the targets given (a streaming scan's matches were made under a plan of the pass).
            report.matches += result.matches.map { match in
                var match = match
                match.target = targets[t].description
                return match
            }
            report.problems += result.problems.map { YARAProblem(severity: $0.severity, target: targets[t].description, message: $0.message) }
        }
        return report
    }

    /// The targets (processes with an address space) and the pieces of pages files backing them.
    func plan(_ checkpoint: Checkpoint) throws(YARAError) -> Plan {
        var targets: [Target] = []
        var pieces: [Piece] = []
        var fills: [MappedFill] = []
        let files: MappedFiles? = rootfs != nil || checkpointCopies
            ? try wrap({ () throws(CheckpointError) in try MappedFiles(rootfs: rootfs, checkpoint: checkpointCopies ? checkpoint : nil) }) : nil
        // By pid: the plan depends on the images only (a checkpoint still being read lists its
        // processes in another order), as ``YARAStreamingScan`` needs.
        var spaces: [(CheckpointProcess, AddressSpace)] = []
        for process in checkpoint.processes.sorted(by: { $0.pid < $1.pid }) where pids?.contains(process.pid) ?? true {
            guard let space = try wrap({ () throws(CheckpointError) in try checkpoint.addressSpace(process.pid) }) else { continue }
            spaces.append((process, space))
        }
        // At most a piece per run of each pagemap and VMA: one allocation.
        pieces.reserveCapacity(spaces.reduce(0) { n, s in
            n + s.1.pages.runs.count + s.1.vmas.count + s.1.shared.values.reduce(0) { $0 + $1.runs.count }
        })
        for (process, space) in spaces {
            let t = targets.count
            let first = pieces.count
            var bytes: UInt64 = 0
            var conditionBlocks: [(base: UInt64, size: Int)] = []
            var awaitsParent = false
            for (v, vma) in space.vmas.enumerated() where space.kind(of: v) != .vvar {
                var runStart: UInt64?
                /// Where the last run of pages awaited from a parent ends.
                var awaitedEnd: UInt64?
                var runEnd: UInt64 = 0
                func closeRun() {
                    guard let start = runStart else { return }
                    var base = start
                    while base < runEnd {
                        let size = min(runEnd - base, UInt64(conditionBlockSize))
                        conditionBlocks.append((base, Int(size)))
                        base += size
                    }
                    runStart = nil
                }
                /// True when the target's last piece is in this VMA and ends at `address`.
                func lastEnds(at address: UInt64) -> Bool {
                    let last = pieces.count - 1
                    return last >= first && pieces[last].vma == v && pieces[last].address + pieces[last].length == address
                }
                /// Appends a piece, linked to the one before when contiguous in the VMA (merged with
                /// it when contiguous in the same pages file too).
                func add(_ piece: Piece) {
                    bytes += piece.length
                    if runStart == nil { runStart = piece.address }
                    runEnd = piece.address + piece.length
                    let last = pieces.count - 1
                    guard lastEnds(at: piece.address) else {
                        var piece = piece
                        piece.awaitsPrevious = awaitedEnd == piece.address
                        pieces.append(piece)
                        return
                    }
                    if piece.fill == nil, pieces[last].fill == nil, pieces[last].file == piece.file,
                       pieces[last].offset + pieces[last].length == piece.offset {
                        pieces[last].length += piece.length
                        return
                    }
                    pieces[last].next = pieces.count
                    var linked = piece
                    linked.previous = last
                    pieces.append(linked)
                }
                for piece in space.pieces(address: vma.start, length: vma.size) {
                    switch piece.location {
                    case .file(let file, let offset):
                        add(Piece(target: t, vma: v, address: piece.address, length: piece.length, file: file, offset: offset))
                    case .hole(.fileBacked) where files != nil:
                        // Pages CRIU did not dump, from the mapped file where the root file system has it.
                        var cursor = piece.address
                        for fill in files!.fills(in: piece.address..<(piece.address + piece.length), of: space, checkpoint: checkpoint) {
                            if fill.address > cursor { closeRun() }
                            add(Piece(target: t, vma: v, address: fill.address, length: fill.length, file: PagesFile(set: -1, pagesID: 0),
                                      offset: 0, fill: fills.count))
                            fills.append(fill)
                            cursor = fill.address + fill.length
                        }
                        if cursor < piece.address + piece.length { closeRun() }
                    case .hole(.missingParent) where checkpoint.isProvisional:
                        // In a parent image set the pass reaches later: the pieces on either side keep
                        // their edges for the seams with it.
                        if lastEnds(at: piece.address) { pieces[pieces.count - 1].awaitsNext = true }
                        awaitedEnd = piece.address + piece.length
                        awaitsParent = true
                        closeRun()
                    default:
                        closeRun()
                    }
                }
                closeRun()
            }
            targets.append(Target(pid: process.pid, command: process.command, space: space, pieces: first..<pieces.count,
                                  bytes: bytes, conditionBlocks: conditionBlocks, awaitsParent: awaitsParent))
        }
        return Plan(targets: targets, pieces: pieces, fills: fills, files: files)
    }

    /// What a scan reads: its targets, the pieces of pages files (or of mapped files) backing them.
    struct Plan: Equatable {
        var targets: [Target]
        var pieces: [Piece]
        var fills: [MappedFill]
        /// Where the fills are read from.
        var files: MappedFiles?
        static func == (a: Plan, b: Plan) -> Bool {
            a.pieces == b.pieces && a.fills == b.fills && a.targets.map(\.pid) == b.targets.map(\.pid)
        }
    }

    /// Work for one thread: its pages files and the targets they back.
    struct Group {
        var files: [PagesFile: [Int]]
        var targets: [Int]
    }

    /// Compressed archives: one group (one pass). Plain tars and directories: the files that back
    /// one target stay together (a target's scan runs on one thread), in up to four groups by bytes.
    static func groups(byFile: [PagesFile: [Int]], pieces: [Piece], targets: Int, seekable: Bool) -> [Group] {
        let files = byFile.keys.sorted()
        guard seekable, files.count > 1 else { return [Group(files: byFile, targets: Array(0..<targets))] }
        // Components: files joined through the targets they back.
        var parent = Array(0..<(files.count + targets))
        func find(_ x: Int) -> Int {
            var x = x
            while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
            return x
        }
        let index = Dictionary(uniqueKeysWithValues: files.enumerated().map { ($1, $0) })
        for (file, list) in byFile {
            for i in list { parent[find(index[file]!)] = find(files.count + pieces[i].target) }
        }
        var components: [Int: (files: [PagesFile], targets: [Int], bytes: UInt64)] = [:]
        for (i, file) in files.enumerated() {
            components[find(i), default: ([], [], 0)].files.append(file)
            components[find(i)]!.bytes += byFile[file]!.reduce(0) { $0 + pieces[$1].length }
        }
        for t in 0..<targets { components[find(files.count + t), default: ([], [], 0)].targets.append(t) }
        let count = max(1, min(4, ProcessInfo.processInfo.activeProcessorCount, components.count))
        var groups = Array(repeating: Group(files: [:], targets: []), count: count)
        var load = Array(repeating: UInt64(0), count: count)
        for component in components.values.sorted(by: { ($0.bytes, $1.targets.first ?? 0) > ($1.bytes, $0.targets.first ?? 0) }) {
            let g = load.indices.min { load[$0] < load[$1] }!
            for file in component.files { groups[g].files[file] = byFile[file] }
            groups[g].targets += component.targets
            load[g] += component.bytes
        }
        return groups.filter { !$0.targets.isEmpty }
    }
}

extension YARARules {
    /// The rules pointer, shared by the scanning threads while the rules are borrowed.
    struct Handle: @unchecked Sendable {
        let pointer: UnsafeMutableRawPointer
        let stringCount: UInt32
        init(_ rules: borrowing YARARules) {
            pointer = rules.pointer
            stringCount = rules.stringCount
        }
    }
}

/// A value shared with concurrent workers that only ever use it under a lock.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// What every group of a scan shares (read-only).
struct ScanContext: @unchecked Sendable {
    let targets: [YARAScan.Target]
    let pieces: [YARAScan.Piece]
    let fills: [MappedFill]
    let handle: YARARules.Handle
    let window: Int
    let maxMatches: Int
    let deadline: Date?
    let timeout: Int
    let seekable: Bool
    let sets: [ImageSet]
    let members: [PagesFile: ArchiveMember]
    let files: MappedFiles?
}

struct TargetResult {
    var matches: [YARAMatch]
    var problems: [(severity: YARAProblem.Severity, message: String)]
    var bytes: UInt64
}

struct GroupOutcome {
    var results: [Int: TargetResult]
    var failure: CheckpointError?
}

/// The scans of one group's targets, fed by one thread's stream of slices.
final class GroupScan {
    private(set) var context: ScanContext
    private var sessions: [Int: YARASession] = [:]
    private var remaining: [Int: UInt64] = [:]
    private var fed: [Int: UInt64] = [:]
    /// Per piece being streamed: its last `window` bytes so far.
    private var carry: [Int: [UInt8]] = [:]
    /// Per piece with a successor not yet started: its last `window` bytes.
    private var tails: [Int: [UInt8]] = [:]
    /// Per piece with a predecessor: its first `window` bytes (collecting, then waiting for the tail).
    private var heads: [Int: [UInt8]] = [:]
    private var headDone: Set<Int> = []
    private var timedOut: Set<Int> = []
    private(set) var results: [Int: TargetResult] = [:]
    private var seam: [UInt8] = []

    init(_ context: ScanContext) {
        self.context = context
        for (t, target) in context.targets.enumerated() { remaining[t] = target.bytes }
    }

    /// Goes on with the plan of `next`, which has the same targets and every piece consumed so far
    /// (`pieces` maps each one's index to its index in `next`): a pass that planned without a parent
    /// image set plans again when it reaches it, and the scans go on.
    func adopt(_ next: ScanContext, pieces map: [Int: Int]) {
        func moved<Value>(_ d: [Int: Value]) -> [Int: Value] {
            Dictionary(uniqueKeysWithValues: d.compactMap { k, v in map[k].map { ($0, v) } })
        }
        carry = moved(carry)
        tails = moved(tails)
        heads = moved(heads)
        gathered = moved(gathered)
        headDone = Set(headDone.compactMap { map[$0] })
        let previous = context
        context = next
        for (t, target) in next.targets.enumerated() {
            let consumed = previous.targets[t].bytes - remaining[t]!
            remaining[t] = target.bytes > consumed ? target.bytes - consumed : 0
            sessions[t]?.conditionBlocks = target.conditionBlocks
            finishIfDone(t)
        }
    }

    /// Ends target `t`'s scan when every byte of it has been consumed and none is awaited.
    private func finishIfDone(_ t: Int) {
        if remaining[t] == 0, !context.targets[t].awaitsParent { finish(t) }
    }

    private func session(_ t: Int) -> YARASession? {
        if let s = sessions[t] { return s }
        guard results[t] == nil else { return nil }
        let target = context.targets[t]
        var timeout = 0
        if let deadline = context.deadline {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else {
                timedOut.insert(t)
                return nil
            }
            timeout = Int(left.rounded(.up))
        }
        let read: ((UInt64, UnsafeMutableRawBufferPointer) -> Bool)? = context.seekable ? { [context] base, buffer in
            Self.read(context, target: t, at: base, into: buffer)
        } : nil
        do {
            let s = try YARASession(rules: context.handle, processMemory: true, timeout: timeout, maxMatches: context.maxMatches,
                                    conditionBlocks: target.conditionBlocks, read: read)
            sessions[t] = s
            return s
        } catch {
            results[t] = TargetResult(matches: [], problems: [(.error, "not scanned: \(error.message)")], bytes: 0)
            return nil
        }
    }

    /// Reads `[base, base + buffer.count)` of a target's memory from its pieces (seekable sources).
    static func read(_ context: ScanContext, target t: Int, at base: UInt64, into buffer: UnsafeMutableRawBufferPointer) -> Bool {
        let range = context.targets[t].pieces
        var low = range.lowerBound, high = range.upperBound
        while low < high {
            let mid = (low + high) / 2
            if context.pieces[mid].address + context.pieces[mid].length <= base { low = mid + 1 } else { high = mid }
        }
        var cursor = base
        let end = base + UInt64(buffer.count)
        var i = low
        while cursor < end {
            guard i < range.upperBound, context.pieces[i].address <= cursor else { return false }
            let p = context.pieces[i]
            let count = Int(min(end, p.address + p.length) - cursor)
            let into = UnsafeMutableRawBufferPointer(rebasing: buffer[Int(cursor - base)..<Int(cursor - base) + count])
            if let fill = p.fill {
                guard (try? context.files?.read(context.fills[fill], at: cursor - p.address, into: into)) != nil else { return false }
                cursor += UInt64(count)
                i += 1
                continue
            }
            guard let member = context.members[p.file],
                  let n = try? context.sets[p.file.set].source.read(member, at: p.offset + (cursor - p.address), into: into),
                  n == count else { return false }
            cursor += UInt64(count)
            i += 1
        }
        return true
    }

    /// Scans `left` (bytes just before `address`) and `right` (from `address`) as one block.
    private func scanSeam(_ s: YARASession, left: [UInt8], right: UnsafeRawBufferPointer, at address: UInt64) {
        guard !left.isEmpty, !right.isEmpty else { return }
        seam.removeAll(keepingCapacity: true)
        seam += left
        seam += right.prefix(context.window)
        seam.withUnsafeBytes { s.feed(base: address - UInt64(left.count), bytes: $0) }
    }

    /// Slices of a stream (a decompressor's, often a few KiB) gathered per piece into blocks of
    /// this size before they are scanned: each block's seams cost a window scanned twice.
    static let gatherSize = 256 << 10
    /// Per piece: the bytes gathered so far and where they start in the piece.
    private var gathered: [Int: (position: UInt64, bytes: [UInt8])] = [:]
    /// Blocks' memory once scanned, kept for the next blocks: a fresh block is a fresh mapping of
    /// the allocator's, and its page faults and zeroing cost the pass a tenth of the scan.
    private var spare: [[UInt8]] = []

    /// One slice of piece `index`, from `position` inside it. Slices from a stream are gathered
    /// into larger blocks first; slices read by position are large already.
    func consume(_ index: Int, _ position: UInt64, _ slice: UnsafeRawBufferPointer) {
        guard !context.seekable else { return scanSlice(index, position, slice) }
        let ends = position + UInt64(slice.count) == context.pieces[index].length
        if var g = gathered.removeValue(forKey: index) {
            if g.position + UInt64(g.bytes.count) == position {
                g.bytes.append(contentsOf: slice)
                guard g.bytes.count >= Self.gatherSize || ends else {
                    gathered[index] = g
                    return
                }
                scanGathered(index, g.position, &g.bytes)
                return
            }
            scanGathered(index, g.position, &g.bytes)
        }
        if slice.count >= Self.gatherSize || ends {
            scanSlice(index, position, slice)
        } else {
            var bytes = spare.popLast() ?? []
            // Room for a block and the slice that completes it, allocated once.
            bytes.reserveCapacity(2 * Self.gatherSize)
            bytes.append(contentsOf: slice)
            gathered[index] = (position, bytes)
        }
    }

    /// Scans a gathered block and keeps its memory (taken from `bytes`) for the next.
    private func scanGathered(_ index: Int, _ position: UInt64, _ bytes: inout [UInt8]) {
        bytes.withUnsafeBytes { scanSlice(index, position, $0) }
        guard spare.count < 4 else { return }
        bytes.removeAll(keepingCapacity: true)
        spare.append(bytes)
        bytes = []
    }

    /// Scans one block of piece `index`, from `position` inside it, and its seams.
    private func scanSlice(_ index: Int, _ position: UInt64, _ slice: UnsafeRawBufferPointer) {
        let p = context.pieces[index]
        let t = p.target
        defer {
            remaining[t]! -= UInt64(slice.count)
            finishIfDone(t)
        }
        if let deadline = context.deadline, Date() >= deadline { timedOut.insert(t) }
        guard !timedOut.contains(t), let s = session(t), !s.failed else { return }
        let w = context.window
        let address = p.address + position
        let before = carry[index]
        // The seam with the slice before, inside the piece.
        if position > 0, let before { scanSeam(s, left: before, right: slice, at: address) }
        // The seam with the piece before (another pages file, or elsewhere in this one), from the
        // bytes kept of both sides when the source cannot be read again (plain tars and
        // directories: read back when the target ends).
        if p.previous != nil || p.awaitsPrevious, !headDone.contains(index), !context.seekable {
            var head = heads[index] ?? []
            head += slice.prefix(w - head.count)
            if head.count >= w || position + UInt64(slice.count) == p.length {
                headDone.insert(index)
                if let previous = p.previous, let tail = tails.removeValue(forKey: previous) {
                    head.withUnsafeBytes { scanSeam(s, left: tail, right: $0, at: p.address) }
                    heads[index] = nil
                } else {
                    heads[index] = head
                }
            } else {
                heads[index] = head
            }
        }
        s.feed(base: address, bytes: slice)
        fed[t, default: 0] += UInt64(slice.count)
        let last = slice.count >= w ? Array(slice.suffix(w)) : Array(((before ?? []) + Array(slice)).suffix(w))
        if position + UInt64(slice.count) < p.length {
            carry[index] = last
        } else {
            carry[index] = nil
            if let next = p.next, !context.seekable {
                if headDone.contains(next), let head = heads.removeValue(forKey: next) {
                    head.withUnsafeBytes { scanSeam(s, left: last, right: $0, at: p.address + p.length) }
                } else {
                    tails[index] = last
                }
            } else if p.awaitsNext, !context.seekable {
                tails[index] = last
            }
        }
    }

    /// Scans the pieces of `targets` read from the mapped files, in blocks of `blockSize`.
    func consumeFills(_ targets: [Int], blockSize: Int, progress: (Int) -> Void) throws(CheckpointError) {
        guard let files = context.files else { return }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 16)
        defer { buffer.deallocate() }
        for t in targets {
            for i in context.targets[t].pieces {
                guard let f = context.pieces[i].fill else { continue }
                let fill = context.fills[f]
                var position: UInt64 = 0
                while position < fill.length {
                    let part = UnsafeMutableRawBufferPointer(rebasing: buffer[..<Int(min(UInt64(blockSize), fill.length - position))])
                    try files.read(fill, at: position, into: part)
                    consume(i, position, UnsafeRawBufferPointer(part))
                    progress(part.count)
                    position += UInt64(part.count)
                }
            }
        }
    }

    /// The seams between pieces of target `t` that are contiguous in memory, each side read back
    /// from the pages files (plain tars and directories).
    private func scanSeamsByPosition(_ t: Int, _ s: YARASession) {
        let w = UInt64(context.window)
        var left = [UInt8](), right = [UInt8]()
        for i in context.targets[t].pieces {
            guard let previous = context.pieces[i].previous else { continue }
            let (a, b) = (context.pieces[previous], context.pieces[i])
            left = [UInt8](repeating: 0, count: Int(min(w, a.length)))
            right = [UInt8](repeating: 0, count: Int(min(w, b.length)))
            let ok = left.withUnsafeMutableBytes { Self.read(context, target: t, at: b.address - UInt64($0.count), into: $0) }
                && right.withUnsafeMutableBytes { Self.read(context, target: t, at: b.address, into: $0) }
            if ok { right.withUnsafeBytes { scanSeam(s, left: left, right: $0, at: b.address) } }
        }
    }

    /// Ends target `t`'s scan (once): conditions, matches, problems.
    func finish(_ t: Int) {
        guard results[t] == nil else { return }
        let target = context.targets[t]
        var problems: [(YARAProblem.Severity, String)] = []
        var matches: [YARAMatch] = []
        if timedOut.contains(t) {
            problems.append((.error, "not scanned completely: the scan timed out (after \(context.timeout) s)"))
        }
        if let s = sessions[t] ?? (timedOut.contains(t) ? nil : session(t)) {
            if context.seekable, !s.failed, !timedOut.contains(t) { scanSeamsByPosition(t, s) }
            s.finish()
            if let message = s.errorMessage {
                problems.append((.error, "scan failed: \(message)"))
            }
            for m in s.matches {
                let strings = m.strings.map { raw in
                    var mapping: YARAStringMatch.Region?
                    if let v = target.space.vmaIndex(containing: raw.address) {
                        let vma = target.space.vmas[v]
                        mapping = .init(start: vma.start, end: vma.end, kind: target.space.kind(of: v), permissions: vma.permissions,
                                        file: target.space.backingFiles[v])
                    }
                    var match = YARAStringMatch(identifier: raw.identifier, address: raw.address, length: raw.length, bytes: raw.bytes,
                                                isHex: raw.isHex, region: mapping)
                    if let fill = target.pieces.lazy.compactMap({ self.context.pieces[$0].fill.map { self.context.fills[$0] } }).first(where: {
                        $0.address <= raw.address && raw.address < $0.address + $0.length
                    }) {
                        var origin = fill.origin
                        origin.offset += raw.address - fill.address
                        match.origin = origin
                    }
                    return match
                }
                matches.append(YARAMatch(rule: m.rule, namespace: m.namespace, tags: m.tags, metadata: m.metadata,
                                         target: target.description, strings: strings, stringMatchCount: m.count, isTruncated: m.truncated))
            }
            if s.stoppedCollecting {
                problems.append((.warning, "some strings stopped collecting matches at --max-matches \(context.maxMatches); conditions counting them saw at most about that many"))
            }
            for note in s.notes { problems.append((.warning, note)) }
            if s.lateReads > 0 {
                problems.append((.warning, "\(s.lateReads) reads of memory by conditions or modules after the scan could not be served from a compressed archive (one pass); they saw undefined values"))
            }
        }
        results[t] = TargetResult(matches: matches, problems: problems, bytes: fed[t] ?? 0)
        sessions[t] = nil
        for i in target.pieces {
            carry[i] = nil
            tails[i] = nil
            heads[i] = nil
        }
    }
}

func wrap<T>(_ body: () throws(CheckpointError) -> T) throws(YARAError) -> T {
    do {
        return try body()
    } catch {
        throw YARAError(error)
    }
}
