public import Checkpoint
import CheckpointArchive
import Foundation

/// A YARA scan that rides on the pass opening a checkpoint (``PageStreamConsumer``): a compressed
/// archive is decompressed **once**, for its index and for every page scanned. Plain tars and
/// directories are scanned after the opening, as ``YARAScan/run(_:in:progress:)`` does (by
/// position, on several threads).
///
/// ```swift
/// let rules = try YARARules(compiling: [.init(path: "rules.yar")])
/// let scan = YARAStreamingScan(YARAScan(), rules: rules)
/// let checkpoint = try Checkpoint.open("checkpoint.tar.zst", streaming: scan)
/// let report = try scan.report(in: checkpoint)
/// ```
public final class YARAStreamingScan: PageStreamConsumer {
    /// The scan's settings.
    public let scan: YARAScan
    private let rules: YARARules
    /// The plan of the last answer to ``pieces(ofSet:in:)`` and the scans fed by it.
    private var plan: YARAScan.Plan?
    private var byPiece: [Int: [Int]] = [:]
    private var group: GroupScan?
    private var consumed = false
    /// The plan changed after pieces of it were consumed: the pass's bytes cannot be trusted.
    private var stale = false
    private var failure: YARAError?
    /// The pass served nothing: everything is read after the opening.
    private var deferred = false

    /// A scan with `scan`'s settings over `rules` (kept until the scan is done).
    public init(_ scan: YARAScan, rules: consuming YARARules) {
        self.scan = scan
        self.rules = rules
    }

    public func pieces(ofSet set: Int, in checkpoint: Checkpoint) throws(CheckpointError) -> [PageRequest] {
        // Plain tars and directories: read by position after the opening, on several threads.
        guard checkpoint.imageSets.allSatisfy({ !$0.source.isSeekable }) else { return [] }
        // A pass that could not plan a set (its parent image set comes later in the archive, so
        // parent pages cannot be placed yet) serves nothing; the scan then reads every image set
        // in one more pass of its own, rather than one pass per set.
        if deferred { return [] }
        let planned: YARAScan.Plan
        do {
            planned = try scan.plan(checkpoint)
        } catch {
            if checkpoint.isProvisional {
                deferred = true
                return []
            }
            if let c = error.checkpoint { throw c }
            failure = error
            return []
        }
        // Pages in a parent image set the pass has not reached (it comes later in the archive): the
        // plan would change when it does, so the pass serves nothing.
        if checkpoint.isProvisional, planned.targets.contains(where: { t in
            ([t.space.pages] + Array(t.space.shared.values)).contains { $0.runs.contains { $0.location == .missingParent } }
        }) {
            deferred = true
            return []
        }
        if group == nil || planned != plan {
            if consumed { stale = true }
            plan = planned
            group = GroupScan(scan.context(rules, plan: planned, seekable: false, sets: checkpoint.imageSets, members: [:]))
        }
        let pieces = planned.pieces
        let mine = pieces.indices.filter { pieces[$0].fill == nil && pieces[$0].file.set == set }
        byPiece[set] = mine
        return mine.map { PageRequest(file: pieces[$0].file, offset: pieces[$0].offset, count: Int(pieces[$0].length)) }
    }

    public func consume(set: Int, piece: Int, position: UInt64, bytes: UnsafeRawBufferPointer) {
        guard let group, let index = byPiece[set]?[piece] else { return }
        consumed = true
        group.consume(index, position, bytes)
    }

    public func reset() {
        consumed = false
        stale = false
        group = group.map { GroupScan($0.context) }
    }

    /// The report, once ``Checkpoint/open(_:options:streaming:)`` has returned `checkpoint` (its
    /// pass, and the reads after it for what the pass could not serve, delivered every piece).
    /// Plain tars and directories are scanned now; `progress` is told how far, as in
    /// ``YARAScan/run(_:in:progress:)``.
    public func report(in checkpoint: Checkpoint, progress: ((UInt64, UInt64) -> Void)? = nil) throws(YARAError) -> YARAReport {
        if let failure { throw failure }
        guard let group, let plan, !stale, !deferred, checkpoint.imageSets.allSatisfy({ !$0.source.isSeekable }) else {
            return try scan.run(rules, in: checkpoint, progress: progress)
        }
        // The pass scanned the same pieces of the same processes; the targets are described from the
        // final checkpoint (a plan made during the pass knows no thread names or command names).
        let final = try scan.plan(checkpoint)
        guard final == plan else { return try scan.run(rules, in: checkpoint, progress: progress) }
        do {
            try group.consumeFills(Array(plan.targets.indices), blockSize: scan.blockSize) { _ in }
        } catch {
            throw YARAError(error)
        }
        for t in plan.targets.indices { group.finish(t) }
        var report = YARAScan.report(group.results, targets: final.targets, in: checkpoint)
        report.unusedFiles = plan.files?.refusals.map(\.reason) ?? []
        return report
    }

    /// The scan of what the checkpoint holds outside process memory (``YARAScan/runData(_:in:)``)
    /// with the same rules: in-flight data and the container's files.
    public func reportData(in checkpoint: Checkpoint) throws(YARAError) -> YARAReport {
        try scan.runData(rules, in: checkpoint)
    }
}
