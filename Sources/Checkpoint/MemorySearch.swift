import CheckpointArchive
import CRIUImages
#if canImport(Glibc)
import Glibc
#endif
import Foundation
internal import Synchronization

/// What to look for in memory.
public enum SearchPattern: Sendable {
    /// Exact bytes (a literal string as UTF-8, `--hex` bytes, or `--utf16` text encoded as UTF-16LE).
    case bytes([UInt8])
    /// A regular expression (ICU syntax) matched over bytes read as ISO-8859-1, so `.` is any byte.
    /// Matches longer than ``MemorySearch/regexWindow`` bytes may be missed at chunk edges.
    case regex(String)
}

/// One place a pattern occurs.
public struct SearchHit: Hashable, Sendable {
    /// Whose memory: a process or a shared-memory object.
    public var owner: MemoryOwner
    /// Virtual address (process) or offset inside the shared-memory object.
    public var address: UInt64
    /// The matched bytes.
    public var match: [UInt8]
    /// Where the hit appears in process address spaces: (pid, virtual address). For a process owner,
    /// its own address; for shared memory, every process mapping that offset.
    public var mappings: [Mapping]

    /// One place a hit appears in a process's address space.
    public struct Mapping: Hashable, Sendable {
        /// The process.
        public var pid: UInt32
        /// The hit's virtual address in that process.
        public var address: UInt64
        /// The start of the VMA holding the hit.
        public var vmaStart: UInt64
        /// The end (exclusive) of that VMA.
        public var vmaEnd: UInt64
        /// The VMA's kind.
        public var kind: VMAKind
        /// The VMA's backing file, if it has one.
        public var file: String?
    }
}

/// Searches the dumped memory of a checkpoint, streaming each pages file once.
public struct MemorySearch: Sendable {
    /// Bytes kept across chunk edges for regular expressions.
    public static let regexWindow = 4096

    /// What to look for.
    public var pattern: SearchPattern
    /// Only these processes (and the shared memory they map); nil for all.
    public var pids: Set<UInt32>?
    /// Stop after this many hits (at least 1). When the limit is reached, the hits returned are
    /// the first `maxHits` in (owner, address) order of those found before the scan stopped; the
    /// same set on every run of the same search, whatever the number of cores.
    public var maxHits: Int
    /// Go on past ``maxHits``, counting the hits not kept (``Result/total``), for a report that says
    /// how many were not shown; the scan then reads every page even when the limit is reached early.
    public var countsAll = false
    /// Bytes read at a time from plain tars and directories (tests make it small to put many
    /// block edges inside the fixtures' memory).
    var blockSize = 256 << 10

    /// A search for `pattern` in the given processes (nil: all), stopping after `maxHits` hits.
    public init(pattern: SearchPattern, pids: Set<UInt32>? = nil, maxHits: Int = 100_000) {
        self.pattern = pattern
        self.pids = pids
        self.maxHits = maxHits
    }

    struct Piece: Sendable {
        var owner: MemoryOwner
        var address: UInt64
        var length: UInt64
        var file: PagesFile
        var offset: UInt64
    }

    /// What a search found, and the processes it could not search.
    public struct Result: Sendable {
        /// The hits, as ``MemorySearch/run(in:progress:)`` returns them.
        public var hits: [SearchHit]
        /// Processes left out because their memory images cannot be read (a damaged pagemap or mm
        /// image), with the located error: the rest of the checkpoint was searched.
        public var unreadable: [(pid: UInt32, error: CheckpointError)]
        /// Every hit found, kept or not: more than `hits.count` when the limit cut them (with
        /// ``MemorySearch/countsAll``; otherwise `hits.count`).
        public var total: Int
        /// Whether the limit left hits out (known with ``MemorySearch/countsAll``).
        public var isTruncated: Bool { total > hits.count }
    }

    /// Runs the search; `progress` is called with bytes scanned so far and the total, from the
    /// scanning threads (one call at a time, never two at once). Processes whose memory images cannot
    /// be read are left out (``search(in:progress:)`` names them).
    public func run(in checkpoint: Checkpoint, progress: ((UInt64, UInt64) -> Void)? = nil) throws(CheckpointError) -> [SearchHit] {
        try search(in: checkpoint, progress: progress).hits
    }

    /// What one search reads: the address spaces, the pieces of pages files (file-backed runs, merged
    /// where contiguous both in memory and in the file) and which pieces are memory neighbours.
    struct Plan {
        /// The processes searched (their address spaces are not kept: hits are placed in VMAs at the end,
        /// for the few processes with hits).
        var pids = Set<UInt32>()
        var indexes: [MemoryOwner: PageIndex] = [:]
        var sharedMappers: [UInt64: [(pid: UInt32, vma: Int)]] = [:]
        var unreadable: [(pid: UInt32, error: CheckpointError)] = []
        var pieces: [Piece] = []
        /// Piece `a` is followed in memory by piece `b` (another file, or not contiguous in it).
        var nextOfPiece: [Int: Int] = [:]
        /// Pieces whose first bytes or last bytes touch another run of their owner in memory, whatever
        /// its location (a parent run not resolved yet): the edges a pass over part of the sets must keep.
        var touchesBefore = Set<Int>()
        var touchesAfter = Set<Int>()
    }

    func plan(_ checkpoint: Checkpoint) -> Plan {
        var plan = Plan()
        for p in checkpoint.processes where pids?.contains(p.pid) ?? true {
            let found: AddressSpace?
            do { found = try checkpoint.addressSpace(p.pid) } catch {
                plan.unreadable.append((p.pid, error))
                continue
            }
            guard let space = found else { continue }
            plan.pids.insert(p.pid)
            plan.indexes[.process(p.pid)] = space.pages
            for (i, id) in space.sharedIDs.enumerated() {
                guard let id, let index = space.shared[id] else { continue }
                plan.indexes[.sharedMemory(id)] = index
                plan.sharedMappers[id, default: []].append((p.pid, i))
            }
        }
        for owner in plan.indexes.keys.sorted() {
            let index = plan.indexes[owner]!
            var ownerPieces: [Piece] = []
            var runEnds = Set<UInt64>(), runStarts = Set<UInt64>()
            for run in index.runs where run.pageCount > 0 {
                runStarts.insert(run.start)
                runEnds.insert(run.end(pageSize: index.pageSize))
                guard case .file(let file, let offset) = run.location else { continue }
                let length = run.pageCount * index.pageSize
                if var last = ownerPieces.last, last.file == file, last.address + last.length == run.start, last.offset + last.length == offset {
                    last.length += length
                    ownerPieces[ownerPieces.count - 1] = last
                } else {
                    ownerPieces.append(Piece(owner: owner, address: run.start, length: length, file: file, offset: offset))
                }
            }
            for (k, piece) in ownerPieces.enumerated() {
                if runEnds.contains(piece.address) { plan.touchesBefore.insert(plan.pieces.count + k) }
                if runStarts.contains(piece.address + piece.length) { plan.touchesAfter.insert(plan.pieces.count + k) }
            }
            plan.pieces += ownerPieces
        }
        var order = Array(plan.pieces.indices)
        order.sort { (plan.pieces[$0].owner, plan.pieces[$0].address) < (plan.pieces[$1].owner, plan.pieces[$1].address) }
        for (a, b) in zip(order, order.dropFirst())
        where plan.pieces[a].owner == plan.pieces[b].owner && plan.pieces[a].address + plan.pieces[a].length == plan.pieces[b].address {
            plan.nextOfPiece[a] = b
        }
        return plan
    }

    /// Runs the search like ``run(in:progress:)``, and says which processes could not be searched.
    public func search(in checkpoint: Checkpoint, progress: ((UInt64, UInt64) -> Void)? = nil) throws(CheckpointError) -> Result {
        let plan = plan(checkpoint)
        let (pieces, nextOfPiece) = (plan.pieces, plan.nextOfPiece)
        let total = pieces.reduce(0) { $0 + $1.length }
        let matcher = Matcher(pattern: pattern)
        // Boundaries between pieces adjacent in memory but not in the file: keep tail and head bytes.
        let keep = matcher.overlap
        // Kept in memory only when the pages cannot be read again cheaply (a compressed archive);
        // otherwise read back after the pass, so memory does not grow with the number of edges.
        let keepsEdges = checkpoint.imageSets.contains { !$0.source.isSeekable }
        let needsHead = Set(nextOfPiece.values)
        var byFile: [PagesFile: [Int]] = [:]
        for (i, p) in pieces.enumerated() { byFile[p.file, default: []].append(i) }
        let streamed = pieces.map { ($0.file, $0.offset, $0.length) }
        let limit = max(1, maxHits)
        let scanner = SliceScanner(matcher: matcher, keep: keep, limit: limit, counting: countsAll, keepsEdges: keepsEdges,
                                   needsHead: needsHead, nextOfPiece: nextOfPiece)
        // Plain tars and directories: the pages files are shared among up to four groups by bytes
        // (each file read by one group, whole, in file order), each group with its own scanning
        // state, the groups run on as many threads as there are cores. A group stops at `limit` hits
        // of its own. The groups depend only on the files, so what each finds, and the first `limit`
        // hits in address order of them all, is the same on every machine and every run.
        let groupCount = keepsEdges ? 1 : max(1, min(4, byFile.count))
        var groups = Array(repeating: [PagesFile: [Int]](), count: groupCount)
        var load = Array(repeating: UInt64(0), count: groupCount)
        for (file, list) in byFile.sorted(by: { a, b in
            let (x, y) = (a.value.reduce(0) { $0 + pieces[$1].length }, b.value.reduce(0) { $0 + pieces[$1].length })
            return x != y ? x > y : a.key < b.key
        }) {
            let g = load.indices.min { load[$0] < load[$1] }!
            groups[g][file] = list
            load[g] += list.reduce(0) { $0 + pieces[$1].length }
        }
        let scans = Mutex(Array(repeating: scanner, count: groupCount))
        // Per group; the first group's error is reported, whatever the timing.
        let failures = Mutex([CheckpointError?](repeating: nil, count: groupCount))
        let scanned = Mutex<UInt64>(0)
        // `progress` is called from the scanning threads, one call at a time (under `scanned`'s lock).
        let reportProgress = progress.map { report in UncheckedSendable(report) }
        let blockSize = self.blockSize
        let (groupsOf, piecesOf) = (groups, pieces)
        let scan: @Sendable (Int) -> Void = { g in
            var mine = scanner
            do throws(CheckpointError) {
                // Each slice is searched in place; only the few bytes around slice edges are copied.
                try checkpoint.streamPieces(byFile: groupsOf[g], pieces: streamed, seekableBlockSize: blockSize) { pieceIndex, position, slice in
                    guard !mine.stop else { return }
                    mine.consume(piecesOf[pieceIndex], index: pieceIndex, position: position, slice: slice)
                    if let reportProgress {
                        scanned.withLock { done in
                            done += UInt64(slice.count)
                            reportProgress.value(done, total)
                        }
                    }
                }
            } catch {
                failures.withLock { $0[g] = error }
            }
            scans.withLock { $0[g] = mine }
        }
        if groupCount == 1 {
            scan(0)
        } else {
            DispatchQueue.concurrentPerform(iterations: groupCount) { g in scan(g) }
        }
        if let error = failures.withLock({ $0.lazy.compactMap { $0 }.first }) { throw error }
        let done = scans.withLock { $0 }
        return try finish(plan, checkpoint: checkpoint, hits: done.flatMap(\.hits), stop: done.contains(where: \.stop),
                          tails: done[0].tails, heads: done[0].heads, keepsEdges: keepsEdges, uncounted: done.reduce(0) { $0 + $1.notKept })
    }

    /// The hits across the edges between pieces, sorted, deduplicated, cut to the limit and mapped
    /// to the processes that see them; `uncounted`: the hits the scans counted past their limit.
    func finish(_ plan: Plan, checkpoint: Checkpoint, hits found: [(owner: MemoryOwner, address: UInt64, match: [UInt8])], stop: Bool,
                tails kept: [Int: [UInt8]], heads keptHeads: [Int: [UInt8]], keepsEdges: Bool, uncounted: Int = 0) throws(CheckpointError) -> Result {
        let (pieces, nextOfPiece, sharedMappers, unreadable) = (plan.pieces, plan.nextOfPiece, plan.sharedMappers, plan.unreadable)
        // The hits come in owner order: the last process's space is kept, not one per process.
        var last: (pid: UInt32, space: AddressSpace?)?
        func space(_ pid: UInt32) -> AddressSpace? {
            guard plan.pids.contains(pid) else { return nil }
            if let last, last.pid == pid { return last.space }
            let s = (try? checkpoint.addressSpace(pid)) ?? nil
            last = (pid, s)
            return s
        }
        let matcher = Matcher(pattern: pattern)
        let keep = matcher.overlap
        let limit = max(1, maxHits)
        var hits = found
        var tails = kept
        var heads = keptHeads
        // Matches that cross a boundary between pieces.
        let edges = nextOfPiece.sorted { $0.key < $1.key }
        var edgeMembers: [PagesFile: ArchiveMember] = [:]
        var batchStart = 0
        while batchStart < edges.count, !stop {
            // Edges in batches: read back (seekable sources) a batch at a time.
            let batch = edges[batchStart..<min(edges.count, batchStart + 256)]
            batchStart = batch.endIndex
            if !keepsEdges {
                // A few bytes each side of each edge, read by position (no block reads).
                tails.removeAll(keepingCapacity: true)
                heads.removeAll(keepingCapacity: true)
                for (a, b) in batch {
                    let (pa, pb) = (pieces[a], pieces[b])
                    let t = min(UInt64(keep), pa.length)
                    tails[a] = try checkpoint.pageBytes(pa.file, at: pa.offset + pa.length - t, count: Int(t), members: &edgeMembers)
                    heads[b] = try checkpoint.pageBytes(pb.file, at: pb.offset, count: Int(min(UInt64(keep), pb.length)), members: &edgeMembers)
                }
            }
            for (a, b) in batch {
                guard let tail = tails[a], let head = heads[b] else { continue }
                let window = tail + head
                for found in matcher.find(in: window) where found.offset < tail.count && found.offset + found.length > tail.count {
                    let piece = pieces[a]
                    hits.append((piece.owner, piece.address + piece.length - UInt64(tail.count) + UInt64(found.offset),
                                 Array(window[found.offset..<found.offset + found.length])))
                }
            }
        }
        hits.sort { ($0.owner, $0.address) < ($1.owner, $1.address) }
        // Deduplicate (regex overlaps), keep the first `limit`, and attach mappings.
        var result: [SearchHit] = []
        var seen = Set<[UInt64]>()
        for h in hits where result.count < limit {
            let key: [UInt64]
            switch h.owner {
            case .process(let pid): key = [0, UInt64(pid), h.address]
            case .sharedMemory(let id): key = [1, id, h.address]
            }
            guard seen.insert(key).inserted else { continue }
            var mappings: [SearchHit.Mapping] = []
            switch h.owner {
            case .process(let pid):
                if let space = space(pid), let i = space.vmaIndex(containing: h.address) {
                    mappings.append(.init(pid: pid, address: h.address, vmaStart: space.vmas[i].start, vmaEnd: space.vmas[i].end,
                                          kind: space.kind(of: i), file: space.backingFiles[i]))
                }
            case .sharedMemory(let id):
                for (pid, i) in sharedMappers[id] ?? [] {
                    guard let space = space(pid) else { continue }
                    let vma = space.vmas[i]
                    guard h.address >= vma.pageOffset, h.address - vma.pageOffset < vma.size else { continue }
                    mappings.append(.init(pid: pid, address: vma.start + (h.address - vma.pageOffset), vmaStart: vma.start,
                                          vmaEnd: vma.end, kind: space.kind(of: i), file: space.backingFiles[i]))
                }
            }
            result.append(SearchHit(owner: h.owner, address: h.address, match: h.match, mappings: mappings))
        }
        // Every distinct hit the scans kept, and those they counted past their limit.
        var total = result.count
        if countsAll {
            var distinct = Set<[UInt64]>()
            for h in hits {
                switch h.owner {
                case .process(let pid): distinct.insert([0, UInt64(pid), h.address])
                case .sharedMemory(let id): distinct.insert([1, id, h.address])
                }
            }
            total = distinct.count + uncounted
        }
        return Result(hits: result, unreadable: unreadable, total: total)
    }
}

/// The state of one scan over a stream of slices: the bytes carried across slice edges, the
/// pieces' edge bytes (compressed sources), and the hits found.
struct SliceScanner: Sendable {
    let matcher: Matcher
    /// Bytes kept across edges (the matcher's overlap).
    let keep: Int
    /// Hits after which the scan stops (or, `counting`, only counts).
    let limit: Int
    /// Go on past `limit`, counting the hits in ``notKept``.
    let counting: Bool
    /// Keep the bytes at the edges between pieces (when they cannot be read back cheaply).
    let keepsEdges: Bool
    var needsHead: Set<Int>
    var nextOfPiece: [Int: Int]
    var carries: [Int: [UInt8]] = [:]
    var tails: [Int: [UInt8]] = [:]
    var heads: [Int: [UInt8]] = [:]
    var hits: [(owner: MemoryOwner, address: UInt64, match: [UInt8])] = []
    var stop = false
    /// Hits found after `limit` (counting).
    var notKept = 0

    init(matcher: Matcher, keep: Int, limit: Int, counting: Bool = false, keepsEdges: Bool, needsHead: Set<Int>, nextOfPiece: [Int: Int]) {
        self.matcher = matcher
        self.keep = keep
        self.limit = limit
        self.counting = counting
        self.keepsEdges = keepsEdges
        self.needsHead = needsHead
        self.nextOfPiece = nextOfPiece
    }

    mutating func record(_ piece: MemorySearch.Piece, _ at: UInt64, _ bytes: [UInt8]) {
        guard hits.count < limit else {
            notKept += 1
            return
        }
        hits.append((piece.owner, piece.address + at, bytes))
        if hits.count >= limit && !counting { stop = true }
    }

    /// Searches `slice`, the bytes of `piece` from `position`, and the edge with the slice before.
    mutating func consume(_ piece: MemorySearch.Piece, index pieceIndex: Int, position: UInt64, slice: UnsafeRawBufferPointer) {
        let carry = carries[pieceIndex] ?? []
        if !carry.isEmpty {
            // Matches that start in the previous slice and end in this one.
            let window = carry + Array(slice.prefix(keep))
            for found in matcher.find(in: window) where found.offset < carry.count && found.offset + found.length > carry.count {
                record(piece, position - UInt64(carry.count) + UInt64(found.offset), Array(window[found.offset..<found.offset + found.length]))
            }
        }
        if !stop {
            for found in matcher.find(in: slice) {
                record(piece, position + UInt64(found.offset), Array(slice[found.offset..<found.offset + found.length]))
                if stop { break }
            }
        }
        if keepsEdges, needsHead.contains(pieceIndex), position == 0 { heads[pieceIndex] = Array(slice.prefix(keep)) }
        let ends = position + UInt64(slice.count) == piece.length
        let needsTail = keepsEdges && ends && nextOfPiece[pieceIndex] != nil
        if !ends || needsTail {
            // Only the bytes a match crossing into the next slice could start at.
            let newCarry = matcher.carry(slice.count >= keep ? Array(slice.suffix(keep)) : Array((carry + Array(slice)).suffix(keep)))
            if needsTail { tails[pieceIndex] = newCarry }
            carries[pieceIndex] = ends ? nil : newCarry
        } else {
            carries[pieceIndex] = nil
        }
    }
}

/// A value shared with concurrent workers that only ever use it under a lock.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// Finds a pattern in a window of bytes.
/// Sendable: NSRegularExpression is immutable and documented safe to match from several threads.
package struct Matcher: @unchecked Sendable {
    let pattern: SearchPattern
    let needle: [UInt8]
    let regex: NSRegularExpression?
    /// The literal bytes every match of the regular expression starts with (may be empty).
    let regexPrefix: [UInt8]

    init(pattern: SearchPattern) {
        self.pattern = pattern
        switch pattern {
        case .bytes(let b):
            needle = b
            regex = nil
            regexPrefix = []
        case .regex(let r):
            needle = []
            regex = try? NSRegularExpression(pattern: r, options: [.dotMatchesLineSeparators])
            regexPrefix = Self.literalPrefix(r)
        }
    }

    /// The leading literal characters of a regular expression: stops at the first metacharacter, and drops
    /// the last literal when a quantifier follows it (so `ab?` gives `a`). Escaped punctuation counts as literal.
    static func literalPrefix(_ pattern: String) -> [UInt8] {
        var out: [UInt8] = []
        var chars = Array(pattern.unicodeScalars)
        if chars.first == "^" { return [] }
        var i = 0
        while i < chars.count {
            let c = chars[i]
            var literal: UInt8?
            var width = 1
            if c == "\\", i + 1 < chars.count {
                let n = chars[i + 1]
                if n.isASCII, !CharacterSet.alphanumerics.contains(n) { literal = UInt8(n.value); width = 2 }
            } else if c.isASCII, !"[](){}.*+?^$|".unicodeScalars.contains(c) {
                literal = UInt8(c.value)
            }
            guard let byte = literal else { break }
            if i + width < chars.count, "*?{".unicodeScalars.contains(chars[i + width]) { break }
            out.append(byte)
            if i + width < chars.count, chars[i + width] == "+" { break }
            i += width
        }
        chars.removeAll()
        return out
    }

    /// Bytes to keep from one chunk to the next so matches across the edge are found.
    var overlap: Int { regex != nil ? MemorySearch.regexWindow : max(0, needle.count - 1) }

    /// The part of the last ``overlap`` bytes of a chunk where a match running into the next chunk
    /// can start: for a regular expression with a literal prefix, from the first occurrence of the
    /// prefix (or only the bytes that could begin one); otherwise all of them.
    func carry(_ tail: [UInt8]) -> [UInt8] {
        guard regex != nil, !regexPrefix.isEmpty else { return tail }
        let first = tail.withUnsafeBytes { Self.literal(regexPrefix, in: $0).first }
        if let first { return Array(tail[first...]) }
        return Array(tail.suffix(regexPrefix.count - 1))
    }

    /// Every match in `bytes`.
    func find(in bytes: [UInt8]) -> [(offset: Int, length: Int)] {
        bytes.withUnsafeBytes { find(in: $0) }
    }

    /// Every match in `hay`: literal bytes with memmem; regular expressions where a literal prefix of the
    /// pattern occurs (or over the whole buffer when the pattern has no literal prefix).
    func find(in hay: UnsafeRawBufferPointer) -> [(offset: Int, length: Int)] {
        guard let base = hay.baseAddress, !hay.isEmpty else { return [] }
        if let regex {
            var out: [(Int, Int)] = []
            func scan(_ range: Range<Int>, anchored: Bool) {
                guard let text = NSString(bytes: base + range.lowerBound, length: range.count, encoding: String.Encoding.isoLatin1.rawValue) else { return }
                regex.enumerateMatches(in: text as String, options: anchored ? [.anchored] : [], range: NSRange(location: 0, length: text.length)) { m, _, stop in
                    guard let m, m.range.length > 0 else { return }
                    out.append((range.lowerBound + m.range.location, m.range.length))
                    if anchored { stop.pointee = true }
                }
            }
            if regexPrefix.isEmpty {
                scan(0..<hay.count, anchored: false)
            } else {
                for start in Self.literal(regexPrefix, in: hay) {
                    // Most matches are short: try a small window first, and the whole window when
                    // there is no match in it or the match reaches its end (it may go on).
                    let small = start..<min(hay.count, start + 256)
                    let found = out.count
                    scan(small, anchored: true)
                    if small.upperBound < min(hay.count, start + MemorySearch.regexWindow),
                       out.count == found || out[out.count - 1].0 + out[out.count - 1].1 >= small.upperBound {
                        out.removeSubrange(found...)
                        scan(start..<min(hay.count, start + MemorySearch.regexWindow), anchored: true)
                    }
                }
            }
            return out
        }
        return Self.literal(needle, in: hay).map { ($0, needle.count) }
    }

    /// Offsets of `needle` in `hay` (glibc's memmem, found at run time; a memchr loop otherwise).
    static func literal(_ needle: [UInt8], in hay: UnsafeRawBufferPointer) -> [Int] {
        guard let base = hay.baseAddress, !needle.isEmpty, hay.count >= needle.count else { return [] }
        var out: [Int] = []
        needle.withUnsafeBytes { n in
            var start = 0
            while start + needle.count <= hay.count {
                let p: UnsafeRawPointer?
                if let memmem = Matcher.memmem {
                    p = memmem(base + start, hay.count - start, n.baseAddress!, n.count).map { UnsafeRawPointer($0) }
                } else {
                    p = Matcher.slowFind(base + start, hay.count - start, n)
                }
                guard let p else { break }
                let offset = base.distance(to: p)
                out.append(offset)
                start = offset + 1
            }
        }
        return out
    }

    typealias MemmemFunction = @convention(c) (UnsafeRawPointer?, Int, UnsafeRawPointer?, Int) -> UnsafeMutableRawPointer?
    /// glibc's memmem (two-way search, vectorised), looked up once.
    static let memmem: MemmemFunction? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "memmem") else { return nil }
        return unsafeBitCast(symbol, to: MemmemFunction.self)
    }()

    /// Whether `needle` occurs in `hay`, by the same search as ``literal(_:in:)`` (for the other
    /// modules of the package: the diff's search of paths for a container id).
    package static func occurs(_ needle: UnsafeRawBufferPointer, in hay: UnsafeRawBufferPointer) -> Bool {
        guard let base = hay.baseAddress, let n = needle.baseAddress, hay.count >= needle.count else { return needle.isEmpty }
        guard needle.count > 0 else { return true }
        if let memmem = Matcher.memmem { return memmem(base, hay.count, n, needle.count) != nil }
        return slowFind(base, hay.count, needle) != nil
    }

    static func slowFind(_ hay: UnsafeRawPointer, _ count: Int, _ needle: UnsafeRawBufferPointer) -> UnsafeRawPointer? {
        let first = Int32(needle[0])
        var start = 0
        let last = count - needle.count
        while start <= last {
            guard let p = memchr(hay + start, first, last - start + 1) else { return nil }
            if memcmp(p, needle.baseAddress!, needle.count) == 0 { return UnsafeRawPointer(p) }
            start = hay.distance(to: UnsafeRawPointer(p)) + 1
        }
        return nil
    }
}

extension Checkpoint {
    /// Streams the bytes of many (file, offset, length) pieces: each pages file read once, in file order,
    /// in large blocks (`pread` into one reused buffer for plain tars and directories; one libarchive
    /// pass for compressed archives). `body` gets the piece index, the position of the slice inside the
    /// piece, and the slice, valid only during the call.
    package func streamPieces(byFile: [PagesFile: [Int]], pieces: [(file: PagesFile, offset: UInt64, length: UInt64)],
                      seekableBlockSize: Int = 256 << 10,
                      body: (Int, UInt64, UnsafeRawBufferPointer) -> Void) throws(CheckpointError) {
        let sets = imageSets
        // Seekable sources: `seekableBlockSize` blocks, small enough to stay in the CPU cache between
        // the kernel's copy and the consumer's scan (8 MiB blocks made the copy four times slower).
        // Compressed: the decompressor's chunks.
        let blockSize = 8 << 20
        var bySource: [String: [PagesFile]] = [:]
        for file in byFile.keys { bySource[sets[file.set].source.path, default: []].append(file) }
        // Sources in image-set order: the order of the slices does not depend on hashing.
        for files in bySource.values.sorted(by: { $0.min()! < $1.min()! }) {
            let source = sets[files[0].set].source
            var memberOf: [PagesFile: ArchiveMember] = [:]
            for file in files { memberOf[file] = try member(of: file) }
            var sortedPieces: [PagesFile: [Int]] = [:]
            for file in files { sortedPieces[file] = (byFile[file] ?? []).sorted { pieces[$0].offset < pieces[$1].offset } }
            /// Hands the part of `block` (file bytes starting at `start`) that each piece covers to `body`.
            func dispatch(_ file: PagesFile, _ start: UInt64, _ block: UnsafeRawBufferPointer, from first: inout Int) {
                let list = sortedPieces[file] ?? []
                let end = start + UInt64(block.count)
                while first < list.count, pieces[list[first]].offset + pieces[list[first]].length <= start { first += 1 }
                var k = first
                while k < list.count {
                    let i = list[k]
                    let p = pieces[i]
                    if p.offset >= end { break }
                    let from = max(p.offset, start)
                    let to = min(p.offset + p.length, end)
                    if to > from {
                        body(i, from - p.offset, UnsafeRawBufferPointer(rebasing: block[Int(from - start)..<Int(to - start)]))
                    }
                    k += 1
                }
            }
            if source.isSeekable {
                let blockSize = seekableBlockSize
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 16)
                defer { buffer.deallocate() }
                for file in files.sorted() {
                    let list = sortedPieces[file] ?? []
                    var first = 0
                    var k = 0
                    // Read the file range by range: pieces close together are read in one block.
                    while k < list.count {
                        let blockStart = pieces[list[k]].offset
                        var blockEnd = pieces[list[k]].offset + pieces[list[k]].length
                        var j = k + 1
                        while j < list.count, pieces[list[j]].offset <= blockEnd + 65536,
                              pieces[list[j]].offset + pieces[list[j]].length - blockStart <= UInt64(blockSize) {
                            blockEnd = max(blockEnd, pieces[list[j]].offset + pieces[list[j]].length)
                            j += 1
                        }
                        var position = blockStart
                        while position < blockEnd {
                            let want = Int(min(UInt64(blockSize), blockEnd - position))
                            let n: Int
                            do {
                                n = try source.read(memberOf[file]!, at: position, into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<want]))
                            } catch {
                                throw CheckpointError(error)
                            }
                            if n == 0 { break }
                            dispatch(file, position, UnsafeRawBufferPointer(rebasing: buffer[..<n]), from: &first)
                            position += UInt64(n)
                        }
                        k = j
                    }
                }
                continue
            }
            // Compressed: one pass over all needed members.
            var fileOf: [ArchiveMember: PagesFile] = [:]
            for (file, member) in memberOf { fileOf[member] = file }
            var filePosition: [PagesFile: UInt64] = [:]
            var firstPiece: [PagesFile: Int] = [:]
            do {
                try source.stream(Array(fileOf.keys), chunkSize: blockSize) { member, chunk in
                    guard let file = fileOf[member] else { return }
                    let start = filePosition[file] ?? 0
                    filePosition[file] = start + UInt64(chunk.count)
                    var first = firstPiece[file] ?? 0
                    dispatch(file, start, chunk, from: &first)
                    firstPiece[file] = first
                }
            } catch let error as ArchiveError {
                throw CheckpointError(error)
            } catch {
                throw CheckpointError(.archive, source: source.path, message: "\(error)")
            }
        }
    }
}

/// A search that rides on the pass opening a compressed archive (``Checkpoint/open(_:options:streaming:)``):
/// one pass over it for the index and the scan, the scan working while the next chunks decompress.
///
/// ```swift
/// let search = MemorySearch.Streaming(MemorySearch(pattern: .bytes(Array("password=".utf8))))
/// let checkpoint = try Checkpoint.open("ck.tar.zst", streaming: search)
/// let result = try search.result(in: checkpoint)
/// ```
extension MemorySearch {
    public final class Streaming: PageStreamConsumer {
        let search: MemorySearch
        let matcher: Matcher
        var scanner: SliceScanner
        /// Per image set, the pieces asked for, in the order given.
        var planned: [Int: [Piece]] = [:]
        /// The bytes of every piece planned so far.
        var plannedTotal: UInt64 = 0
        /// The plan of the final checkpoint, and which one it is (by its address-space cache): it is
        /// asked for once per image set, then for the result.
        var lastPlan: (of: UInt64, plan: Plan)?
        /// Called with the bytes scanned so far (of the pieces planned so far) and their total.
        let progress: ((UInt64, UInt64) -> Void)?
        var scanned: UInt64 = 0

        /// A streaming run of `search`; `progress` as ``MemorySearch/run(in:progress:)``'s.
        public init(_ search: MemorySearch, progress: ((UInt64, UInt64) -> Void)? = nil) {
            self.search = search
            matcher = Matcher(pattern: search.pattern)
            scanner = Self.fresh(search, matcher)
            self.progress = progress
        }

        static func fresh(_ search: MemorySearch, _ matcher: Matcher) -> SliceScanner {
            SliceScanner(matcher: matcher, keep: matcher.overlap, limit: max(1, search.maxHits), counting: search.countsAll, keepsEdges: true,
                         needsHead: [], nextOfPiece: [:])
        }

        /// A piece's key in the scanner: its set and its place among the set's pieces.
        static func key(_ set: Int, _ k: Int) -> Int { set << 40 | k }

        func plan(_ checkpoint: Checkpoint) -> Plan {
            if let lastPlan, lastPlan.of == checkpoint.spaces.serial { return lastPlan.plan }
            lastPlan = nil  // let the last one go before making the next
            let plan = search.plan(checkpoint)
            // A plan of a pass still running serves one set: it is not kept while the next model loads.
            if !checkpoint.isProvisional { lastPlan = (checkpoint.spaces.serial, plan) }
            return plan
        }

        public func pieces(ofSet set: Int, in checkpoint: Checkpoint) throws(CheckpointError) -> [PageRequest] {
            let plan = plan(checkpoint)
            plannedTotal -= planned[set]?.reduce(0) { $0 + $1.length } ?? 0
            planned[set] = nil  // let the last answer go before making the next
            let count = plan.pieces.reduce(0) { $0 + ($1.file.set == set ? 1 : 0) }
            // All of the plan's pieces (one image set): the plan's own array, not a copy.
            let whole = count == plan.pieces.count
            var mine: [Piece] = whole ? plan.pieces : []
            if !whole { mine.reserveCapacity(count) }
            var requests: [PageRequest] = []
            requests.reserveCapacity(count)
            var k = 0
            for (g, piece) in plan.pieces.enumerated() where piece.file.set == set {
                // The edges this set's pieces share with runs of other sets (or not resolved yet) are
                // kept: their neighbours arrive later, or came before.
                let key = Self.key(set, k)
                if plan.touchesBefore.contains(g) { scanner.needsHead.insert(key) }
                if plan.touchesAfter.contains(g) { scanner.nextOfPiece[key] = -1 }
                if !whole { mine.append(piece) }
                requests.append(PageRequest(file: piece.file, offset: piece.offset, count: Int(piece.length)))
                plannedTotal += piece.length
                k += 1
            }
            planned[set] = mine
            return requests
        }

        public func consume(set: Int, piece: Int, position: UInt64, bytes: UnsafeRawBufferPointer) {
            guard !scanner.stop, let p = planned[set]?[piece] else { return }
            scanner.consume(p, index: Self.key(set, piece), position: position, slice: bytes)
            if let progress {
                scanned += UInt64(bytes.count)
                progress(scanned, plannedTotal)
            }
        }

        public func reset() {
            scanner = Self.fresh(search, matcher)
            planned = [:]
            plannedTotal = 0
            scanned = 0
        }

        /// The search's result over `checkpoint` (the one opened with this consumer).
        public func result(in checkpoint: Checkpoint) throws(CheckpointError) -> MemorySearch.Result {
            let plan = plan(checkpoint)
            lastPlan = nil
            // The scanner's keys (set, place in the set) as the plan's indexes.
            var bySet: [Int: [Int]] = [:]
            for (g, piece) in plan.pieces.enumerated() { bySet[piece.file.set, default: []].append(g) }
            func index(_ key: Int) -> Int? {
                guard let list = bySet[key >> 40] else { return nil }
                let k = key & (1 << 40 - 1)
                return k < list.count ? list[k] : nil
            }
            var tails: [Int: [UInt8]] = [:], heads: [Int: [UInt8]] = [:]
            for (key, bytes) in scanner.tails { if let g = index(key) { tails[g] = bytes } }
            for (key, bytes) in scanner.heads { if let g = index(key) { heads[g] = bytes } }
            return try search.finish(plan, checkpoint: checkpoint, hits: scanner.hits, stop: scanner.stop, tails: tails, heads: heads, keepsEdges: true,
                                     uncounted: scanner.notKept)
        }
    }
}
