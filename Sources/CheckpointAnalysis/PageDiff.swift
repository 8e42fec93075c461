public import Checkpoint
import CheckpointArchive
import CRIUImages
#if canImport(Glibc)
import Glibc
#endif
import Foundation
internal import Synchronization

/// A value handed to the diff's workers, used by one at a time (under a lock) or only read.
struct UncheckedSendableBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// Compares the dumped memory of two processes (one in each checkpoint) page by page.
///
/// Every page that has data on both sides is compared; pages dumped only in B are *added*, only in
/// A *removed*. Page data is never held whole:
///
/// * when every pages file on both sides can be read with `pread` (directories, plain tars), both
///   sides are read in address order in chunks of ``chunkSize`` and compared directly;
/// * otherwise (a compressed archive on either side) each side's pages are streamed once and
///   hashed (XXH64, 8 bytes per page), hashes are compared, and the pages whose hashes differ are
///   read again in bounded batches (``batchPages`` pages of A held at a time, then B streamed
///   against them) to count the differing bytes.
///
/// Parent chains are honoured on both sides: each side's ``AddressSpace`` resolves PE_PARENT pages
/// to the parent image set's pages file.
public struct PageDiff: Sendable {
    /// Bytes read per side and per call on seekable sources.
    public static let chunkSize = 1 << 20
    /// Changed pages of A held in memory at once on the streaming path.
    public static let batchPages = 8192

    /// Seekable sources: pairs with at least this many pages to compare, and no hexdump to capture,
    /// are compared by two workers (tests lower it to put the fixtures on that path).
    var parallelAbove = 8192

    /// A comparer. ``compare(_:pid:_:pid:comm:budget:progress:)`` captures differing bytes as
    /// ``ByteLine``s against the `budget` it is given, shared by every process pair of a diff.
    public init() {}

    /// A stretch of one side's address space with page data (or a reason it has none).
    struct Slot {
        var start: UInt64
        var end: UInt64
        /// nil: the pages exist but their bytes are not in the checkpoint (lazy, missing parent).
        var file: PagesFile?
        var offset: UInt64
        var vma: Int
    }

    /// A stretch with the same situation on both sides.
    struct Segment {
        enum Kind { case compare, added, removed, unreadable }
        var kind: Kind
        var start: UInt64
        var end: UInt64
        var aFile: PagesFile?
        var aOffset: UInt64
        var bFile: PagesFile?
        var bOffset: UInt64
        var aVMA: Int?
        var bVMA: Int?
        /// Index of the first page in the global list of compared pages (compare segments).
        var firstPage = 0
    }

    /// A page of a pages file to deliver.
    struct Span {
        var file: PagesFile
        var offset: UInt64
        var count: Int
        /// Index of the span's first page in the caller's numbering.
        var first: Int
    }

    static func slots(_ space: AddressSpace) -> [Slot] {
        var out: [Slot] = []
        for (i, vma) in space.vmas.enumerated() {
            for piece in space.pieces(address: vma.start, length: vma.size) where piece.length > 0 {
                switch piece.location {
                case .file(let file, let offset):
                    out.append(Slot(start: piece.address, end: piece.address + piece.length, file: file, offset: offset, vma: i))
                case .hole(.lazy), .hole(.missingParent):
                    out.append(Slot(start: piece.address, end: piece.address + piece.length, file: nil, offset: 0, vma: i))
                case .hole:
                    continue
                }
            }
        }
        return out
    }

    /// Walks both sides' slots in address order and cuts them into segments.
    static func segments(_ a: [Slot], _ b: [Slot]) -> [Segment] {
        var out: [Segment] = []
        var ia = 0, ib = 0
        var position: UInt64 = 0
        while ia < a.count || ib < b.count {
            let sa = ia < a.count ? a[ia] : nil
            let sb = ib < b.count ? b[ib] : nil
            let aStart = sa.map { max($0.start, position) } ?? .max
            let bStart = sb.map { max($0.start, position) } ?? .max
            let start = min(aStart, bStart)
            if let sa, let sb, aStart == start, bStart == start {
                let end = min(sa.end, sb.end)
                let kind: Segment.Kind = (sa.file == nil || sb.file == nil) ? .unreadable : .compare
                out.append(Segment(kind: kind, start: start, end: end, aFile: sa.file, aOffset: sa.offset + (start - sa.start),
                                   bFile: sb.file, bOffset: sb.offset + (start - sb.start), aVMA: sa.vma, bVMA: sb.vma))
                position = end
            } else if let sa, aStart == start {
                let end = min(sa.end, bStart)
                out.append(Segment(kind: .removed, start: start, end: end, aFile: sa.file, aOffset: sa.offset + (start - sa.start),
                                   bFile: nil, bOffset: 0, aVMA: sa.vma, bVMA: nil))
                position = end
            } else if let sb {
                let end = min(sb.end, aStart)
                out.append(Segment(kind: .added, start: start, end: end, aFile: nil, aOffset: 0,
                                   bFile: sb.file, bOffset: sb.offset + (start - sb.start), aVMA: nil, bVMA: sb.vma))
                position = end
            }
            if let sa, sa.end <= position { ia += 1 }
            if let sb, sb.end <= position { ib += 1 }
        }
        return out
    }

    /// Compares the memory of process `aPID` in `a` with process `bPID` in `b`.
    /// `budget` is the remaining hexdump budget, shared by all processes of a diff.
    ///
    /// `progress`, when given, is told `done` of `total` units of work as the comparison advances
    /// (per chunk read, per 1,024 pages streamed) and last `total` of `total`. A unit is a page
    /// compared when both sides are read directly; when pages are hashed first, hashing each side
    /// is a third of the work and reading the differing pages again the last third.
    public func compare(_ a: Checkpoint, pid aPID: UInt32, _ b: Checkpoint, pid bPID: UInt32, comm: (String, String),
                        budget: inout Int, progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws(CheckpointError) -> ProcessMemory? {
        guard let spaceA = try a.addressSpace(aPID), let spaceB = try b.addressSpace(bPID) else { return nil }
        let pageSize = spaceB.pageSize
        let refA = ProcessRef(pid: aPID, comm: comm.0), refB = ProcessRef(pid: bPID, comm: comm.1)
        guard spaceA.pageSize == pageSize else {
            throw CheckpointError(.inconsistent, source: b.path,
                                  message: "page sizes differ (\(spaceA.pageSize) in \(a.path), \(pageSize) in \(b.path)): pages cannot be compared")
        }
        var segments = Self.segments(Self.slots(spaceA), Self.slots(spaceB))
        var total = 0
        for i in segments.indices where segments[i].kind == .compare {
            segments[i].firstPage = total
            total += Int((segments[i].end - segments[i].start) / pageSize)
        }
        // Changed pages (global index -> differing bytes) and captured lines.
        var changed: [Int: Int] = [:]
        var lines: [Int: [ByteLine]] = [:]
        let ps = Int(pageSize)
        let compareSegments = segments.filter { $0.kind == .compare }
        func note(_ page: Int, _ address: UInt64, _ pa: UnsafeRawPointer, _ pb: UnsafeRawPointer) {
            let n = Self.differingBytes(pa, pb, count: ps)
            guard n > 0 else { return }
            changed[page] = n
            if budget > 0 {
                let captured = Self.lines(address: address, pa, pb, count: ps, budget: &budget)
                if !captured.isEmpty { lines[page] = captured }
            }
        }
        var units = total, unitsDone = 0
        if Self.allSeekable(a, compareSegments.compactMap(\.aFile)) && Self.allSeekable(b, compareSegments.compactMap(\.bFile)) {
            // Direct compare, large preads into buffers of each worker's own. Without a hexdump to
            // capture (its budget is spent in address order), the chunks are shared by two workers
            // (the compare and the kernel's copies on both cores).
            var chunks: [(seg: Int, done: UInt64, count: Int)] = []
            for (k, seg) in compareSegments.enumerated() where seg.aFile != nil && seg.bFile != nil {
                var done: UInt64 = 0
                let length = seg.end - seg.start
                while done < length {
                    let n = Int(min(UInt64(Self.chunkSize), length - done))
                    chunks.append((k, done, n))
                    done += UInt64(n)
                }
            }
            let workers = budget > 0 || total < parallelAbove ? 1 : parallelWorkers
            let share = (chunks.count + workers - 1) / max(1, workers)
            let found = Mutex<(changed: [Int: Int], error: CheckpointError?, done: Int)>(([:], nil, 0))
            let progressBox = UncheckedSendableBox(progress)
            let unitsTotal = units
            let (segmentsOf, chunksOf, a0, b0) = (compareSegments, chunks, UncheckedSendableBox(a), UncheckedSendableBox(b))
            let compareChunks: @Sendable (Int) -> [Int: Int] = { w in
                var local: [Int: Int] = [:]
                let readerA = MemberCache(), readerB = MemberCache()
                let bufferA = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkSize, alignment: 4096)
                let bufferB = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkSize, alignment: 4096)
                defer { bufferA.deallocate(); bufferB.deallocate() }
                for (k, done, n) in chunksOf[min(chunksOf.count, w * share)..<min(chunksOf.count, (w + 1) * share)] {
                    let seg = segmentsOf[k]
                    func compare(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer) {
                        var o = 0
                        while o < n {
                            let pa = a + o, pb = b + o
                            if memcmp(pa, pb, ps) != 0 {
                                let d = Self.differingBytes(pa, pb, count: ps)
                                if d > 0 { local[seg.firstPage + Int(done / pageSize) + o / ps] = d }
                            }
                            o += ps
                        }
                    }
                    // In place where both sides can be mapped (no copy through the kernel); read otherwise.
                    let inPlace = (try? readerA.withMapped(a0.value, seg.aFile!, at: seg.aOffset + done, count: n) { ma in
                        (try? readerB.withMapped(b0.value, seg.bFile!, at: seg.bOffset + done, count: n) { mb in
                            compare(ma.baseAddress!, mb.baseAddress!)
                        }) != nil
                    }) ?? false
                    if inPlace {
                        let pages = n / ps
                        found.withLock { state in
                            state.done += pages
                            progressBox.value?(state.done, unitsTotal)
                        }
                        continue
                    }
                    do throws(CheckpointError) {
                        let ra = try readerA.read(a0.value, seg.aFile!, at: seg.aOffset + done, into: UnsafeMutableRawBufferPointer(rebasing: bufferA[..<n]))
                        let rb = try readerB.read(b0.value, seg.bFile!, at: seg.bOffset + done, into: UnsafeMutableRawBufferPointer(rebasing: bufferB[..<n]))
                        guard ra == n, rb == n else {
                            throw CheckpointError(.inconsistent, source: ra == n ? b0.value.path : a0.value.path,
                                                  message: "pages file ends early at 0x\(String(seg.start + done, radix: 16))")
                        }
                    } catch {
                        found.withLock { if $0.error == nil { $0.error = error } }
                        return local
                    }
                    compare(bufferA.baseAddress!, bufferB.baseAddress!)
                    let pages = n / ps
                    found.withLock { state in
                        state.done += pages
                        progressBox.value?(state.done, unitsTotal)
                    }
                }
                return local
            }
            if workers == 1 {
                // One worker: pages captured for the hexdump in address order, the budget shared.
                let readerA = MemberCache(), readerB = MemberCache()
                let bufferA = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkSize, alignment: 4096)
                let bufferB = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkSize, alignment: 4096)
                defer { bufferA.deallocate(); bufferB.deallocate() }
                for (k, done, n) in chunks {
                    let seg = compareSegments[k]
                    let ra = try readerA.read(a, seg.aFile!, at: seg.aOffset + done, into: UnsafeMutableRawBufferPointer(rebasing: bufferA[..<n]))
                    let rb = try readerB.read(b, seg.bFile!, at: seg.bOffset + done, into: UnsafeMutableRawBufferPointer(rebasing: bufferB[..<n]))
                    guard ra == n, rb == n else {
                        throw CheckpointError(.inconsistent, source: ra == n ? b.path : a.path,
                                              message: "pages file ends early at 0x\(String(seg.start + done, radix: 16))")
                    }
                    var o = 0
                    while o < n {
                        let pa = UnsafeRawPointer(bufferA.baseAddress! + o), pb = UnsafeRawPointer(bufferB.baseAddress! + o)
                        if memcmp(pa, pb, ps) != 0 { note(seg.firstPage + Int(done / pageSize) + o / ps, seg.start + done + UInt64(o), pa, pb) }
                        o += ps
                    }
                    unitsDone += n / ps
                    progress?(unitsDone, units)
                }
            } else {
                let parts = Mutex<[[Int: Int]]>([])
                DispatchQueue.concurrentPerform(iterations: workers) { w in
                    let local = compareChunks(w)
                    parts.withLock { $0.append(local) }
                }
                if let error = found.withLock({ $0.error }) { throw error }
                for part in parts.withLock({ $0 }) { changed.merge(part) { x, _ in x } }
            }
        } else if total > 0 {
            // Pass 1: hash every compared page on each side (one stream per compressed source).
            let spansA = compareSegments.map { Span(file: $0.aFile!, offset: $0.aOffset, count: Int(($0.end - $0.start) / pageSize), first: $0.firstPage) }
            let spansB = compareSegments.map { Span(file: $0.bFile!, offset: $0.bOffset, count: Int(($0.end - $0.start) / pageSize), first: $0.firstPage) }
            var hashesA = [UInt64](repeating: 0, count: total)
            var hashesB = [UInt64](repeating: 0, count: total)
            // Progress: hashing each side is a third of the work, reading the suspects again the last third.
            units = 3 * total
            func hashed() {
                unitsDone += 1
                if unitsDone & 1023 == 0 { progress?(unitsDone, units) }
            }
            try Self.forEachPage(a, spansA, pageSize: ps) { i, page in hashesA[i] = XXHash64.hash(page); hashed() }
            try Self.forEachPage(b, spansB, pageSize: ps) { i, page in hashesB[i] = XXHash64.hash(page); hashed() }
            var suspects: [Int] = []
            for i in 0..<total where hashesA[i] != hashesB[i] { suspects.append(i) }
            hashesA = []
            hashesB = []
            // Pass 2: the differing pages again, in batches, to count differing bytes.
            let starts = compareSegments.map(\.firstPage)
            func locate(_ page: Int) -> (seg: Segment, index: Int) {
                var low = 0, high = starts.count
                while low < high {
                    let mid = (low + high) / 2
                    if starts[mid] <= page { low = mid + 1 } else { high = mid }
                }
                let seg = compareSegments[low - 1]
                return (seg, page - seg.firstPage)
            }
            var fetched = 0
            func refetched() {
                fetched += 1
                if fetched & 1023 == 0 { progress?(2 * total + total * fetched / (2 * suspects.count), units) }
            }
            var batchStart = 0
            while batchStart < suspects.count {
                let batch = Array(suspects[batchStart..<min(batchStart + Self.batchPages, suspects.count)])
                batchStart += batch.count
                var batchA: [Span] = [], batchB: [Span] = []
                var addresses: [UInt64] = []
                for (slot, page) in batch.enumerated() {
                    let (seg, index) = locate(page)
                    let delta = UInt64(index) * pageSize
                    batchA.append(Span(file: seg.aFile!, offset: seg.aOffset + delta, count: 1, first: slot))
                    batchB.append(Span(file: seg.bFile!, offset: seg.bOffset + delta, count: 1, first: slot))
                    addresses.append(seg.start + delta)
                }
                let held = UnsafeMutableRawBufferPointer.allocate(byteCount: batch.count * ps, alignment: 16)
                defer { held.deallocate() }
                try Self.forEachPage(a, batchA, pageSize: ps) { slot, page in
                    (held.baseAddress! + slot * ps).copyMemory(from: page.baseAddress!, byteCount: ps)
                    refetched()
                }
                try Self.forEachPage(b, batchB, pageSize: ps) { slot, page in
                    note(batch[slot], addresses[slot], UnsafeRawPointer(held.baseAddress! + slot * ps), page.baseAddress!)
                    refetched()
                }
            }
        }
        progress?(units, units)
        // Ranges, in address order.
        var result = ProcessMemory(a: refA, b: refB, pageSize: pageSize, comparedPages: UInt64(total), changedPages: 0,
                                   addedPages: 0, removedPages: 0, unreadablePages: 0, differingBytes: 0, ranges: [])
        func vmaRef(_ space: AddressSpace, _ index: Int?) -> VMARef? {
            guard let index else { return nil }
            return Self.vmaRef(space, index)
        }
        func push(_ kind: PageChangeKind, _ start: UInt64, _ end: UInt64, _ vma: VMARef?, bytes: Int? = nil, captured: [ByteLine]? = nil) {
            let count = (end - start) / pageSize
            if var last = result.ranges.last, last.kind == kind, last.end == start, last.vma == vma {
                last.end = end
                last.pageCount += count
                if let bytes { last.differingBytes = (last.differingBytes ?? []) + [bytes] }
                if let captured { last.lines = (last.lines ?? []) + captured }
                result.ranges[result.ranges.count - 1] = last
            } else {
                result.ranges.append(PageRange(kind: kind, start: start, end: end, pageCount: count, vma: vma,
                                               differingBytes: bytes.map { [$0] }, lines: captured))
            }
        }
        for seg in segments {
            let count = (seg.end - seg.start) / pageSize
            switch seg.kind {
            case .added:
                result.addedPages += count
                push(.added, seg.start, seg.end, vmaRef(spaceB, seg.bVMA))
            case .removed:
                result.removedPages += count
                push(.removed, seg.start, seg.end, vmaRef(spaceA, seg.aVMA))
            case .unreadable:
                result.unreadablePages += count
                push(.unreadable, seg.start, seg.end, vmaRef(spaceB, seg.bVMA))
            case .compare:
                let ref = vmaRef(spaceB, seg.bVMA)
                for index in 0..<Int(count) {
                    guard let n = changed[seg.firstPage + index] else { continue }
                    let address = seg.start + UInt64(index) * pageSize
                    result.changedPages += 1
                    result.differingBytes += UInt64(n)
                    push(.changed, address, address + pageSize, ref, bytes: n, captured: lines[seg.firstPage + index])
                }
            }
        }
        return result
    }

    static func vmaRef(_ space: AddressSpace, _ index: Int) -> VMARef {
        let v = space.vmas[index]
        return VMARef(start: v.start, end: v.end, prot: v.permissions, kind: space.kind(of: index).rawValue, file: space.backingFiles[index])
    }

    /// The number of bytes that differ between two buffers (8 bytes at a time).
    static func differingBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Int {
        let low: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        var n = 0
        var i = 0
        while i + 8 <= count {
            let x = a.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ b.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            if x != 0 {
                // High bit of each byte set iff the byte is non-zero.
                let t = ((x & low) &+ low) | x
                n += (t & ~low).nonzeroBitCount
            }
            i += 8
        }
        while i < count {
            if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { n += 1 }
            i += 1
        }
        return n
    }

    /// The differing 16-byte lines of a page, while `budget` (bytes) lasts.
    static func lines(address: UInt64, _ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int, budget: inout Int) -> [ByteLine] {
        var out: [ByteLine] = []
        var i = 0
        func hex(_ p: UnsafeRawPointer, _ n: Int) -> String {
            let digits = Array("0123456789abcdef".utf8)
            var bytes: [UInt8] = []
            bytes.reserveCapacity(n * 2)
            for k in 0..<n {
                let v = p.load(fromByteOffset: k, as: UInt8.self)
                bytes.append(digits[Int(v >> 4)])
                bytes.append(digits[Int(v & 15)])
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        while i < count, budget > 0 {
            let n = min(16, count - i)
            if memcmp(a + i, b + i, n) != 0 {
                out.append(ByteLine(address: address + UInt64(i), a: hex(a + i, n), b: hex(b + i, n)))
                budget -= n
            }
            i += 16
        }
        return out
    }

    /// True when every pages file's source can be read with `pread`.
    static func allSeekable(_ c: Checkpoint, _ files: [PagesFile]) -> Bool {
        let sets = c.imageSets
        for set in Set(files.map(\.set)) {
            guard set < sets.count, sets[set].source.isSeekable else { return false }
        }
        return true
    }

    /// Resolves the pages files of one checkpoint to members once.
    final class MemberCache {
        /// Each pages file's source and member, looked up once (a compare reads a file in many
        /// chunks, and the checkpoint's list of image sets is built anew each time it is asked for).
        var members: [PagesFile: (CheckpointSource, ArchiveMember)] = [:]

        func member(_ c: Checkpoint, _ file: PagesFile) throws(CheckpointError) -> (CheckpointSource, ArchiveMember) {
            if let found = members[file] { return found }
            let sets = c.imageSets
            guard file.set < sets.count, let m = try sets[file.set].member(file.name) else {
                throw CheckpointError(.missingImage, source: c.path, file: file.description, message: "pages file is missing")
            }
            members[file] = (sets[file.set].source, m)
            return (sets[file.set].source, m)
        }

        func read(_ c: Checkpoint, _ file: PagesFile, at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(CheckpointError) -> Int {
            let (source, member) = try member(c, file)
            do {
                return try source.read(member, at: offset, into: buffer)
            } catch {
                throw CheckpointError(archive: error)
            }
        }

        /// `count` bytes at `offset` of a pages file, mapped for `body` (nil: not mappable, read them).
        func withMapped<R>(_ c: Checkpoint, _ file: PagesFile, at offset: UInt64, count: Int, _ body: (UnsafeRawBufferPointer) -> R) throws(CheckpointError) -> R? {
            let (source, member) = try member(c, file)
            return source.withMappedBytes(member, at: offset, count: count, body)
        }

        func read(_ c: Checkpoint, _ file: PagesFile, at offset: UInt64, count: Int) throws(CheckpointError) -> [UInt8] {
            let (source, member) = try member(c, file)
            do {
                return try source.read(member, at: offset, count: count)
            } catch {
                throw CheckpointError(archive: error)
            }
        }
    }

    /// Delivers each page of `spans` (page `first + k` of a span is at `offset + k * pageSize`):
    /// `pread` in large chunks for seekable sources, one streaming pass per compressed source.
    static func forEachPage(_ c: Checkpoint, _ spans: [Span], pageSize: Int,
                            body: (Int, UnsafeRawBufferPointer) -> Void) throws(CheckpointError) {
        let cache = MemberCache()
        let sets = c.imageSets
        var bySource: [String: [Int]] = [:]
        for (i, s) in spans.enumerated() {
            guard s.file.set < sets.count else {
                throw CheckpointError(.missingImage, source: c.path, file: s.file.description, message: "pages file is missing")
            }
            bySource[sets[s.file.set].source.path, default: []].append(i)
        }
        let ps = UInt64(pageSize)
        for (_, indices) in bySource.sorted(by: { $0.key < $1.key }) {
            let source = sets[spans[indices[0]].file.set].source
            if source.isSeekable {
                let ordered = indices.sorted { (spans[$0].file, spans[$0].offset) < (spans[$1].file, spans[$1].offset) }
                // Merge spans contiguous in the file into runs of reads.
                var k = 0
                while k < ordered.count {
                    var group = [ordered[k]]
                    var end = spans[ordered[k]].offset + UInt64(spans[ordered[k]].count) * ps
                    var next = k + 1
                    while next < ordered.count, spans[ordered[next]].file == spans[ordered[k]].file, spans[ordered[next]].offset == end,
                          (end - spans[ordered[k]].offset) < UInt64(chunkSize) {
                        group.append(ordered[next])
                        end += UInt64(spans[ordered[next]].count) * ps
                        next += 1
                    }
                    k = next
                    let first = spans[group[0]]
                    var position = first.offset
                    // Pages of the group, in file order: (span index, page in span).
                    var pending: [(Int, Int)] = []
                    for g in group { for p in 0..<spans[g].count { pending.append((g, p)) } }
                    var cursor = 0
                    while position < end {
                        let n = Int(min(UInt64(chunkSize), end - position))
                        let bytes = try cache.read(c, first.file, at: position, count: n)
                        guard bytes.count == n else {
                            throw CheckpointError(.inconsistent, source: c.path, file: first.file.description,
                                                  message: "pages file ends at byte \(position + UInt64(bytes.count)), expected \(end)")
                        }
                        bytes.withUnsafeBytes { raw in
                            var o = 0
                            while o + pageSize <= n, cursor < pending.count {
                                let (g, p) = pending[cursor]
                                body(spans[g].first + p, UnsafeRawBufferPointer(rebasing: raw[o..<o + pageSize]))
                                o += pageSize
                                cursor += 1
                            }
                        }
                        position += UInt64(n)
                    }
                }
                continue
            }
            // One pass over the compressed source.
            var byMember: [ArchiveMember: [Int]] = [:]
            for i in indices {
                let (_, member) = try cache.member(c, spans[i].file)
                byMember[member, default: []].append(i)
            }
            for key in byMember.keys { byMember[key]!.sort { spans[$0].offset < spans[$1].offset } }
            var position: [ArchiveMember: UInt64] = [:]
            var cursor: [ArchiveMember: Int] = [:]
            var partial: [Int: [UInt8]] = [:]  // key: span index * 2^20 + page (pages straddling chunks)
            do {
                try source.stream(Array(byMember.keys), chunkSize: 4 << 20) { member, chunk in
                    guard let list = byMember[member] else { return }
                    let start = position[member] ?? 0
                    let end = start + UInt64(chunk.count)
                    position[member] = end
                    var k = cursor[member] ?? 0
                    while k < list.count, spans[list[k]].offset + UInt64(spans[list[k]].count) * ps <= start { k += 1 }
                    cursor[member] = k
                    var m = k
                    while m < list.count, spans[list[m]].offset < end {
                        let span = spans[list[m]]
                        let spanEnd = span.offset + UInt64(span.count) * ps
                        if spanEnd > start {
                            var p = span.offset >= start ? 0 : Int((start - span.offset) / ps)
                            while p < span.count {
                                let pageStart = span.offset + UInt64(p) * ps
                                if pageStart >= end { break }
                                let pageEnd = pageStart + ps
                                if pageStart >= start && pageEnd <= end {
                                    body(span.first + p, UnsafeRawBufferPointer(rebasing: chunk[Int(pageStart - start)..<Int(pageEnd - start)]))
                                } else {
                                    let key = list[m] << 20 | p
                                    var buffer = partial[key] ?? []
                                    let from = max(pageStart, start), to = min(pageEnd, end)
                                    buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[Int(from - start)..<Int(to - start)]))
                                    if buffer.count == pageSize {
                                        buffer.withUnsafeBytes { body(span.first + p, $0) }
                                        partial[key] = nil
                                    } else {
                                        partial[key] = buffer
                                    }
                                }
                                p += 1
                            }
                        }
                        m += 1
                    }
                }
            } catch let error as ArchiveError {
                throw CheckpointError(archive: error)
            } catch let error as CheckpointError {
                throw error
            } catch {
                throw CheckpointError(.archive, source: source.path, message: "\(error)")
            }
            // Every requested page must have arrived.
            for (member, list) in byMember {
                let reached = position[member] ?? 0
                for i in list where spans[i].offset + UInt64(spans[i].count) * ps > reached {
                    throw CheckpointError(.inconsistent, source: source.path, file: member.escapedName,
                                          message: "pages file ends at byte \(reached), before the pages at \(spans[i].offset)")
                }
            }
        }
    }
}

extension CheckpointError {
    /// Wraps an archive error (the initialiser of the Checkpoint module is internal).
    init(archive error: ArchiveError) {
        self.init(.archive, source: error.source, file: error.member, offset: error.offset, message: error.message)
    }
}
