import CRIUImages

/// Identifies one `pages-<id>.img` file: which image set it belongs to (0 = the checkpoint's own,
/// 1 = its parent, ...) and its pages id.
public struct PagesFile: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The image set: 0 for the checkpoint's own, 1 for its parent, and so on.
    public var set: Int
    /// The N of `pages-N.img`.
    public var pagesID: UInt32

    /// The pages file `pagesID` of image set `set`.
    public init(set: Int, pagesID: UInt32) {
        self.set = set
        self.pagesID = pagesID
    }

    /// The file name, `pages-<id>.img`.
    public var name: String { "pages-\(pagesID).img" }
    /// The file name, with `parent/` (`parent^2/`...) in front for a parent set.
    public var description: String { self.set == 0 ? name : "parent\(self.set > 1 ? "^\(self.set)" : "")/\(name)" }
    /// Orders by image set, then pages id.
    public static func < (a: PagesFile, b: PagesFile) -> Bool { (a.set, a.pagesID) < (b.set, b.pagesID) }
}

/// Where the data of a run of pages is.
public enum PageLocation: Hashable, Sendable {
    /// In a pages file at a byte offset.
    case file(PagesFile, offset: UInt64)
    /// PE_LAZY without PE_PRESENT: served by a lazy-pages server at restore time, in no file.
    case lazy
    /// PE_PARENT, but no parent image set has the page.
    case missingParent
    /// PE_PRESENT, but the pages file ends before the page: cut short (a damaged archive, an
    /// interrupted copy).
    case damaged
}

/// A run of virtually contiguous pages with one location.
public struct PageRun: Hashable, Sendable {
    /// First virtual address (or byte offset inside a shared-memory object).
    public var start: UInt64
    /// The number of pages in the run.
    public var pageCount: UInt64
    /// Where the run's data is.
    public var location: PageLocation
    /// How many parent links were followed to find the data (0 = this image set).
    public var depth: Int

    /// The address (or object offset) just past the run.
    public func end(pageSize: UInt64) -> UInt64 { start &+ pageCount &* pageSize }
}

/// The sorted map from virtual address to the place each dumped page lives, for one pagemap
/// (a process or a shared-memory object), with PE_PARENT runs resolved through the parent chain.
///
/// Built in O(entries log entries); ``run(containing:)`` is O(log runs).
public struct PageIndex: Hashable, Sendable {
    /// The checkpoint's page size; runs are counted in these pages.
    public let pageSize: UInt64
    /// Non-overlapping runs sorted by start address.
    public let runs: [PageRun]

    /// An index over `runs`, which must be sorted by start and must not overlap.
    public init(pageSize: UInt64, runs: [PageRun]) {
        self.pageSize = pageSize
        self.runs = runs
    }

    /// The index of the run holding `address`, if any.
    public func runIndex(containing address: UInt64) -> Int? {
        var low = 0, high = runs.count
        while low < high {
            let mid = (low + high) / 2
            if runs[mid].start <= address { low = mid + 1 } else { high = mid }
        }
        let i = low - 1
        guard i >= 0, address < runs[i].end(pageSize: pageSize) else { return nil }
        return i
    }

    /// The run holding `address`, if any.
    public func run(containing address: UInt64) -> PageRun? {
        runIndex(containing: address).map { runs[$0] }
    }

    /// The index of the first run that ends after `address`.
    public func firstRun(endingAfter address: UInt64) -> Int {
        var low = 0, high = runs.count
        while low < high {
            let mid = (low + high) / 2
            if runs[mid].end(pageSize: pageSize) <= address { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Runs clipped to `range`.
    public func runs(in range: Range<UInt64>) -> [PageRun] {
        var out: [PageRun] = []
        var i = firstRun(endingAfter: range.lowerBound)
        while i < runs.count, runs[i].start < range.upperBound {
            out.append(runs[i].clipped(to: range, pageSize: pageSize))
            i += 1
        }
        return out
    }

    /// Pages with data in some file, pages lazy, pages whose parent is missing.
    public var counts: (inFiles: UInt64, lazy: UInt64, missingParent: UInt64, fromParents: UInt64) {
        var c: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        for run in runs {
            switch run.location {
            case .file: c.0 += run.pageCount
            case .lazy: c.1 += run.pageCount
            case .missingParent: c.2 += run.pageCount
            case .damaged: break
            }
            if run.depth > 0 { c.3 += run.pageCount }
        }
        return c
    }
}

extension PageRun {
    /// The pages of this run that overlap `range`.
    func clipped(to range: Range<UInt64>, pageSize: UInt64) -> PageRun {
        let runEnd = end(pageSize: pageSize)
        let firstPage = range.lowerBound > start ? (range.lowerBound - start) / pageSize : 0
        let upper = min(runEnd, range.upperBound)
        let lastPage = upper > start ? (upper - start + pageSize - 1) / pageSize : 0
        var run = self
        run.start = start + firstPage * pageSize
        run.pageCount = lastPage > firstPage ? lastPage - firstPage : 0
        if case .file(let file, let offset) = location {
            run.location = .file(file, offset: offset + firstPage * pageSize)
        }
        return run
    }
}

/// Builds page indexes from pagemaps, checking them against the pages files.
struct PageIndexBuilder {
    /// One raw run from a pagemap, before parent resolution.
    enum RawKind { case present, parent, lazy, damaged }

    /// Turns one pagemap into raw runs; checks order, overlap, alignment and the pages file size.
    static func rawRuns(_ pagemap: Pagemap, set: Int, pageSize: UInt64, pagesFileSize: UInt64?, image: String, source: String)
        throws(CheckpointError) -> [(start: UInt64, count: UInt64, kind: RawKind, offset: UInt64)] {
        var out: [(UInt64, UInt64, RawKind, UInt64)] = []
        out.reserveCapacity(pagemap.entries.count)
        var offset: UInt64 = 0
        var previousEnd: UInt64 = 0
        for (i, entry) in pagemap.entries.enumerated() {
            let index = i + 1  // entry 0 of the image is the head
            let count = entry.effectivePageCount
            let flags = entry.effectiveFlags
            guard entry.vaddr % pageSize == 0 else {
                throw CheckpointError(.inconsistent, source: source, file: image, entry: index,
                                      message: "address 0x\(String(entry.vaddr, radix: 16)) is not aligned to the \(pageSize)-byte page size")
            }
            let (bytes, overflow1) = count.multipliedReportingOverflow(by: pageSize)
            let (end, overflow2) = entry.vaddr.addingReportingOverflow(bytes)
            guard !overflow1, !overflow2 else {
                throw CheckpointError(.inconsistent, source: source, file: image, entry: index,
                                      message: "\(count) pages at 0x\(String(entry.vaddr, radix: 16)) run past the end of the address space")
            }
            guard i == 0 || entry.vaddr >= previousEnd else {
                throw CheckpointError(.inconsistent, source: source, file: image, entry: index,
                                      message: "entry at 0x\(String(entry.vaddr, radix: 16)) overlaps or precedes the previous entry (ending at 0x\(String(previousEnd, radix: 16)))")
            }
            previousEnd = end
            if count == 0 { continue }
            if flags.contains(.present) {
                let (next, overflow) = offset.addingReportingOverflow(bytes)
                if let size = pagesFileSize, overflow || next > size {
                    // The pages file ends early: the whole pages it still has are read, the rest are
                    // holes (verify reports the shortfall).
                    let whole = size > offset ? (size - offset) / pageSize : 0
                    if whole > 0 { out.append((entry.vaddr, whole, .present, offset)) }
                    out.append((entry.vaddr + whole * pageSize, count - whole, .damaged, 0))
                    offset = overflow ? UInt64.max : next
                    continue
                }
                out.append((entry.vaddr, count, .present, offset))
                offset = next
            } else if flags.contains(.parent) {
                out.append((entry.vaddr, count, .parent, 0))
            } else {
                out.append((entry.vaddr, count, .lazy, 0))
            }
        }
        return out
    }

    /// Resolves raw runs of set `set` against the already-built index of the parent (nil: no parent).
    static func resolve(_ raw: [(start: UInt64, count: UInt64, kind: RawKind, offset: UInt64)], set: Int, pagesID: UInt32,
                        pageSize: UInt64, parent: PageIndex?) -> PageIndex {
        var runs: [PageRun] = []
        runs.reserveCapacity(raw.count)
        let file = PagesFile(set: set, pagesID: pagesID)
        for r in raw {
            switch r.kind {
            case .present:
                runs.append(PageRun(start: r.start, pageCount: r.count, location: .file(file, offset: r.offset), depth: 0))
            case .lazy:
                runs.append(PageRun(start: r.start, pageCount: r.count, location: .lazy, depth: 0))
            case .damaged:
                runs.append(PageRun(start: r.start, pageCount: r.count, location: .damaged, depth: 0))
            case .parent:
                let end = r.start + r.count * pageSize
                var cursor = r.start
                for var p in parent?.runs(in: r.start..<end) ?? [] {
                    if p.start > cursor {
                        runs.append(PageRun(start: cursor, pageCount: (p.start - cursor) / pageSize, location: .missingParent, depth: 1))
                    }
                    p.depth += 1
                    runs.append(p)
                    cursor = p.end(pageSize: pageSize)
                }
                if cursor < end {
                    runs.append(PageRun(start: cursor, pageCount: (end - cursor) / pageSize, location: .missingParent, depth: 1))
                }
            }
        }
        return PageIndex(pageSize: pageSize, runs: runs)
    }
}
