import CheckpointArchive
import CRIUImages
#if canImport(Glibc)
import Glibc
#endif
import Foundation

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

    public struct Mapping: Hashable, Sendable {
        public var pid: UInt32
        public var address: UInt64
        public var vmaStart: UInt64
        public var vmaEnd: UInt64
        public var kind: VMAKind
        public var file: String?
    }
}

/// Searches the dumped memory of a checkpoint, streaming each pages file once.
public struct MemorySearch: Sendable {
    /// Bytes kept across chunk edges for regular expressions.
    public static let regexWindow = 4096

    public var pattern: SearchPattern
    /// Only these processes (and the shared memory they map); nil for all.
    public var pids: Set<UInt32>?
    /// Stop after this many hits.
    public var maxHits: Int

    public init(pattern: SearchPattern, pids: Set<UInt32>? = nil, maxHits: Int = 100_000) {
        self.pattern = pattern
        self.pids = pids
        self.maxHits = maxHits
    }

    struct Piece {
        var owner: MemoryOwner
        var address: UInt64
        var length: UInt64
        var file: PagesFile
        var offset: UInt64
    }

    /// Runs the search; `progress` is called with bytes scanned so far and the total.
    public func run(in checkpoint: Checkpoint, progress: ((UInt64, UInt64) -> Void)? = nil) throws(CheckpointError) -> [SearchHit] {
        // Address spaces and the owners to scan.
        var spaces: [UInt32: AddressSpace] = [:]
        var indexes: [MemoryOwner: PageIndex] = [:]
        var sharedMappers: [UInt64: [(pid: UInt32, vma: Int)]] = [:]
        for p in checkpoint.processes where pids?.contains(p.pid) ?? true {
            guard let space = try checkpoint.addressSpace(p.pid) else { continue }
            spaces[p.pid] = space
            indexes[.process(p.pid)] = space.pages
            for (i, id) in space.sharedIDs.enumerated() {
                guard let id, let index = space.shared[id] else { continue }
                indexes[.sharedMemory(id)] = index
                sharedMappers[id, default: []].append((p.pid, i))
            }
        }
        // Pieces: file-backed runs, merged where contiguous both in memory and in the file.
        var pieces: [Piece] = []
        for owner in indexes.keys.sorted() {
            let index = indexes[owner]!
            var ownerPieces: [Piece] = []
            for run in index.runs {
                guard case .file(let file, let offset) = run.location, run.pageCount > 0 else { continue }
                let length = run.pageCount * index.pageSize
                if var last = ownerPieces.last, last.file == file, last.address + last.length == run.start, last.offset + last.length == offset {
                    last.length += length
                    ownerPieces[ownerPieces.count - 1] = last
                } else {
                    ownerPieces.append(Piece(owner: owner, address: run.start, length: length, file: file, offset: offset))
                }
            }
            pieces += ownerPieces
        }
        let total = pieces.reduce(0) { $0 + $1.length }
        let matcher = Matcher(pattern: pattern)
        var hits: [(owner: MemoryOwner, address: UInt64, match: [UInt8])] = []
        var scanned: UInt64 = 0
        // Boundaries between pieces adjacent in memory but not in the file: keep tail and head bytes.
        let keep = matcher.overlap
        var tails: [Int: [UInt8]] = [:]
        var heads: [Int: [UInt8]] = [:]
        var nextOfPiece: [Int: Int] = [:]
        do {
            var order = Array(pieces.indices)
            order.sort { (pieces[$0].owner, pieces[$0].address) < (pieces[$1].owner, pieces[$1].address) }
            for (a, b) in zip(order, order.dropFirst()) where pieces[a].owner == pieces[b].owner && pieces[a].address + pieces[a].length == pieces[b].address {
                nextOfPiece[a] = b
            }
        }
        let needsHead = Set(nextOfPiece.values)
        // Scan file by file, pieces in file order.
        var byFile: [PagesFile: [Int]] = [:]
        for (i, p) in pieces.enumerated() { byFile[p.file, default: []].append(i) }
        var stop = false
        try checkpoint.streamPieces(byFile: byFile, pieces: pieces.map { ($0.file, $0.offset, $0.length) }) { pieceIndex, position, chunk, carry in
            guard !stop else { return }
            let piece = pieces[pieceIndex]
            // `carry` holds the last bytes of the previous chunk of the same piece.
            let base = position - UInt64(carry.count)  // offset in the piece of carry[0]
            var window = carry
            window.append(contentsOf: chunk)
            for found in matcher.find(in: window, minimumEnd: carry.count) {
                hits.append((piece.owner, piece.address + base + UInt64(found.offset), Array(window[found.offset..<found.offset + found.length])))
                if hits.count >= maxHits { stop = true; break }
            }
            if needsHead.contains(pieceIndex), position == 0 { heads[pieceIndex] = Array(chunk.prefix(keep)) }
            if nextOfPiece[pieceIndex] != nil, position + UInt64(chunk.count) == piece.length {
                tails[pieceIndex] = Array(window.suffix(keep))
            }
            scanned += UInt64(chunk.count)
            progress?(scanned, total)
            carry = Array(window.suffix(keep))
        }
        // Matches that cross a boundary between pieces.
        for (a, b) in nextOfPiece where !stop {
            guard let tail = tails[a], let head = heads[b] else { continue }
            let window = tail + head
            for found in matcher.find(in: window, minimumEnd: tail.count) where found.offset < tail.count {
                let piece = pieces[a]
                hits.append((piece.owner, piece.address + piece.length - UInt64(tail.count) + UInt64(found.offset),
                             Array(window[found.offset..<found.offset + found.length])))
            }
        }
        hits.sort { ($0.owner, $0.address) < ($1.owner, $1.address) }
        // Deduplicate (regex overlaps) and attach mappings.
        var result: [SearchHit] = []
        var seen = Set<[UInt64]>()
        for h in hits {
            let key: [UInt64]
            switch h.owner {
            case .process(let pid): key = [0, UInt64(pid), h.address]
            case .sharedMemory(let id): key = [1, id, h.address]
            }
            guard seen.insert(key).inserted else { continue }
            var mappings: [SearchHit.Mapping] = []
            switch h.owner {
            case .process(let pid):
                if let space = spaces[pid], let i = space.vmaIndex(containing: h.address) {
                    mappings.append(.init(pid: pid, address: h.address, vmaStart: space.vmas[i].start, vmaEnd: space.vmas[i].end,
                                          kind: space.kind(of: i), file: space.backingFiles[i]))
                }
            case .sharedMemory(let id):
                for (pid, i) in sharedMappers[id] ?? [] {
                    guard let space = spaces[pid] else { continue }
                    let vma = space.vmas[i]
                    guard h.address >= vma.pageOffset, h.address - vma.pageOffset < vma.size else { continue }
                    mappings.append(.init(pid: pid, address: vma.start + (h.address - vma.pageOffset), vmaStart: vma.start,
                                          vmaEnd: vma.end, kind: space.kind(of: i), file: space.backingFiles[i]))
                }
            }
            result.append(SearchHit(owner: h.owner, address: h.address, match: h.match, mappings: mappings))
        }
        return result
    }
}

/// Finds a pattern in a window of bytes.
struct Matcher {
    let pattern: SearchPattern
    let needle: [UInt8]
    let regex: NSRegularExpression?

    init(pattern: SearchPattern) {
        self.pattern = pattern
        switch pattern {
        case .bytes(let b):
            needle = b
            regex = nil
        case .regex(let r):
            needle = []
            regex = try? NSRegularExpression(pattern: r, options: [.dotMatchesLineSeparators])
        }
    }

    /// Bytes to keep from one chunk to the next so matches across the edge are found.
    var overlap: Int { regex != nil ? MemorySearch.regexWindow : max(0, needle.count - 1) }

    /// Matches in `window` that end after `minimumEnd` (earlier ones were reported with the previous chunk).
    func find(in window: [UInt8], minimumEnd: Int) -> [(offset: Int, length: Int)] {
        if let regex {
            guard let text = NSString(bytes: window, length: window.count, encoding: String.Encoding.isoLatin1.rawValue) else { return [] }
            var out: [(Int, Int)] = []
            regex.enumerateMatches(in: text as String, options: [], range: NSRange(location: 0, length: text.length)) { m, _, _ in
                guard let m, m.range.length > 0 else { return }
                if m.range.location + m.range.length > minimumEnd, m.range.location >= 0 {
                    // Matches entirely inside the carried bytes were reported before.
                    if m.range.location < minimumEnd && minimumEnd > 0 && m.range.location + m.range.length <= minimumEnd { return }
                    out.append((m.range.location, m.range.length))
                }
            }
            return out
        }
        guard !needle.isEmpty, window.count >= needle.count else { return [] }
        var out: [(Int, Int)] = []
        window.withUnsafeBytes { hay in
            needle.withUnsafeBytes { n in
                // memchr for the first byte, memcmp for the rest (both vectorised in libc).
                let first = Int32(needle[0])
                let base = hay.baseAddress!
                var start = 0
                let last = hay.count - needle.count
                while start <= last {
                    guard let p = memchr(base + start, first, last - start + 1) else { break }
                    let offset = base.distance(to: UnsafeRawPointer(p))
                    if memcmp(base + offset, n.baseAddress!, n.count) == 0, offset + needle.count > minimumEnd {
                        out.append((offset, needle.count))
                    }
                    start = offset + 1
                }
            }
        }
        return out
    }
}

extension Checkpoint {
    /// Streams the bytes of many (file, offset, length) pieces: each pages file read once, in file order.
    /// `body` gets the piece index, the position of the chunk inside the piece, the chunk, and a carry
    /// buffer kept per piece.
    func streamPieces(byFile: [PagesFile: [Int]], pieces: [(file: PagesFile, offset: UInt64, length: UInt64)],
                      body: (Int, UInt64, [UInt8], inout [UInt8]) -> Void) throws(CheckpointError) {
        let sets = imageSets
        var carries: [Int: [UInt8]] = [:]
        let chunkSize: UInt64 = 4 << 20
        // Group files by source.
        var bySource: [String: [PagesFile]] = [:]
        for file in byFile.keys { bySource[sets[file.set].source.path, default: []].append(file) }
        for files in bySource.values {
            let source = sets[files[0].set].source
            var memberOf: [PagesFile: ArchiveMember] = [:]
            for file in files { memberOf[file] = try member(of: file) }
            if source.isSeekable {
                for file in files.sorted() {
                    let list = (byFile[file] ?? []).sorted { pieces[$0].offset < pieces[$1].offset }
                    for i in list {
                        var position: UInt64 = 0
                        var carry: [UInt8] = []
                        while position < pieces[i].length {
                            let n = min(chunkSize, pieces[i].length - position)
                            let bytes: [UInt8]
                            do {
                                bytes = try source.read(memberOf[file]!, at: pieces[i].offset + position, count: Int(n))
                            } catch {
                                throw CheckpointError(error)
                            }
                            if bytes.isEmpty { break }
                            body(i, position, bytes, &carry)
                            position += UInt64(bytes.count)
                        }
                    }
                }
                continue
            }
            // Compressed: one pass over all needed members.
            var fileOf: [ArchiveMember: PagesFile] = [:]
            for (file, member) in memberOf { fileOf[member] = file }
            var filePosition: [PagesFile: UInt64] = [:]
            var sortedPieces: [PagesFile: [Int]] = [:]
            for file in files { sortedPieces[file] = (byFile[file] ?? []).sorted { pieces[$0].offset < pieces[$1].offset } }
            do {
                try source.stream(Array(fileOf.keys), chunkSize: Int(chunkSize)) { member, chunk in
                    guard let file = fileOf[member] else { return }
                    let start = filePosition[file] ?? 0
                    let end = start + UInt64(chunk.count)
                    filePosition[file] = end
                    for i in sortedPieces[file] ?? [] {
                        let p = pieces[i]
                        guard p.offset < end, p.offset + p.length > start else { continue }
                        let from = max(p.offset, start)
                        let to = min(p.offset + p.length, end)
                        var carry = carries[i] ?? []
                        body(i, from - p.offset, Array(chunk[Int(from - start)..<Int(to - start)]), &carry)
                        carries[i] = carry
                    }
                }
            } catch let error as ArchiveError {
                throw CheckpointError(error)
            } catch {
                throw CheckpointError(.archive, source: source.path, message: "\(error)")
            }
        }
    }
}
