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
    /// The plan changed after pieces of it were consumed, and not by growing: the pass's bytes
    /// cannot be trusted.
    private var stale = false
    private var failure: YARAError?
    /// The pass could not plan: everything is read after the opening.
    private var deferred = false

    /// A scan with `scan`'s settings over `rules` (kept until the scan is done).
    public init(_ scan: YARAScan, rules: consuming YARARules) {
        self.scan = scan
        self.rules = rules
    }

    public func pieces(ofSet set: Int, in checkpoint: Checkpoint) throws(CheckpointError) -> [PageRequest] {
        // Plain tars and directories: read by position after the opening, on several threads.
        guard checkpoint.imageSets.allSatisfy({ !$0.source.isSeekable }) else { return [] }
        // A pass that could not plan serves nothing; the scan then reads every image set in one
        // more pass of its own, rather than one pass per set.
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
        if group == nil || planned != plan { adopt(planned, sets: checkpoint.imageSets) }
        byPiece[set] = Self.indices(ofSet: set, in: planned)
        return byPiece[set]!.map { PageRequest(file: planned.pieces[$0].file, offset: planned.pieces[$0].offset, count: Int(planned.pieces[$0].length)) }
    }

    /// The plan's pieces read from image set `set`'s pages files, in order.
    private static func indices(ofSet set: Int, in plan: YARAScan.Plan) -> [Int] {
        plan.pieces.indices.filter { plan.pieces[$0].fill == nil && plan.pieces[$0].file.set == set }
    }

    /// Scans by `next` from now on. A plan made before the pass reached a parent image set (pages
    /// awaited from it) grows when it does: the scans go on when the sets planned before have the
    /// same pieces in the new plan, and start over (``stale``) otherwise.
    private func adopt(_ next: YARAScan.Plan, sets: [ImageSet]) {
        let context = scan.context(rules, plan: next, seekable: false, sets: sets, members: [:])
        defer {
            plan = next
            for s in byPiece.keys { byPiece[s] = Self.indices(ofSet: s, in: next) }
        }
        guard consumed, let plan, let group else {
            group = GroupScan(context)
            return
        }
        var map: [Int: Int] = [:]
        // The same processes; one whose pages were all planned has the same pieces still.
        var same = plan.targets.map(\.pid) == next.targets.map(\.pid)
            && zip(plan.targets, next.targets).allSatisfy { $0.awaitsParent || $0.bytes == $1.bytes }
        for (s, old) in byPiece where same {
            let new = Self.indices(ofSet: s, in: next)
            guard new.count == old.count else { same = false; break }
            for (i, j) in zip(old, new) { map[i] = j }
        }
        /// A link of the old plan that the new one keeps (a piece linked to the same neighbour, or
        /// to a neighbour where the old one awaited it).
        func keeps(_ a: Int?, awaited: Bool, _ b: Int?) -> Bool {
            if awaited { return true }
            guard let a else { return b == nil }
            return b != nil && (map[a].map { $0 == b } ?? true)
        }
        same = same && map.allSatisfy { i, j in
            let (a, b) = (plan.pieces[i], next.pieces[j])
            return a.sameRange(as: b) && keeps(a.previous, awaited: a.awaitsPrevious, b.previous)
                && keeps(a.next, awaited: a.awaitsNext, b.next)
        }
        if same {
            group.adopt(context, pieces: map)
        } else {
            stale = true
            self.group = GroupScan(context)
        }
    }

    public func consume(set: Int, piece: Int, position: UInt64, bytes: UnsafeRawBufferPointer) {
        guard let group, let list = byPiece[set], piece < list.count else { return }
        let index = list[piece]
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
