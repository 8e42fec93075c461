import CheckpointArchive
import CRIUImages
import Foundation
internal import Synchronization
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Why a range of memory has no bytes in the checkpoint.
public enum MemoryHole: String, Hashable, Sendable, Codable {
    /// Not inside any VMA.
    case unmapped
    /// Anonymous memory that was never touched (or only zeros): reads as zeros after restore.
    case zeroFilled = "zero-filled"
    /// A clean file-backed page: its data is in the mapped file, not in the checkpoint.
    case fileBacked = "file-backed"
    /// PE_LAZY without PE_PRESENT: the data was left to a lazy-pages server.
    case lazy
    /// PE_PARENT, but no parent image set holds the page.
    case missingParent = "missing-parent"
    /// Kernel-provided areas CRIU never dumps (vvar).
    case notDumped = "not-dumped"
    /// Outside what a pre-dump recorded (a pre-dump records pages, not VMAs: unmapped or unchanged, unknown).
    case notInPreDump = "not-in-pre-dump"
    /// In a pages file cut short (``Checkpoint/damage``, an interrupted copy), or behind a pagemap
    /// that cannot be read.
    case damaged
}

/// A piece of the result of a memory read: bytes, or a hole and why.
public struct MemorySegment: Hashable, Sendable {
    /// The first address of the segment.
    public var address: UInt64
    /// The segment's length in bytes.
    public var length: UInt64
    /// The bytes, when the checkpoint holds them.
    public var bytes: [UInt8]?
    /// Why there are no bytes, when ``bytes`` is nil.
    public var hole: MemoryHole?
    /// Where the bytes came from.
    public var file: PagesFile?
    /// Where the bytes came from when the checkpoint does not hold them: the mapped file of a
    /// file-backed page CRIU did not dump (``MappedFiles``).
    public var origin: MappedFileOrigin? = nil

    /// A segment: bytes, or a hole and why.
    public init(address: UInt64, length: UInt64, bytes: [UInt8]?, hole: MemoryHole?, file: PagesFile?) {
        self.address = address
        self.length = length
        self.bytes = bytes
        self.hole = hole
        self.file = file
    }
}

/// One contiguous piece of a pages file that backs a range of virtual memory.
public struct MemoryPiece: Hashable, Sendable {
    /// The first virtual address of the piece.
    public var address: UInt64
    /// The piece's length in bytes.
    public var length: UInt64
    /// Where the bytes are, or why there are none.
    public var location: Location

    /// A range of a pages file, or a hole.
    public enum Location: Hashable, Sendable {
        /// The bytes are in this pages file, from this byte offset.
        case file(PagesFile, offset: UInt64)
        /// The checkpoint holds no bytes here, for this reason.
        case hole(MemoryHole)
    }
}

extension AddressSpace {
    /// Splits `[address, address + length)` into pieces: file ranges and holes, in address order.
    public func pieces(address: UInt64, length: UInt64) -> [MemoryPiece] {
        var out: [MemoryPiece] = []
        let (end, overflow) = address.addingReportingOverflow(length)
        let limit = overflow ? UInt64.max : end
        var cursor = address
        func hole(_ to: UInt64, _ why: MemoryHole) {
            if to > cursor { out.append(MemoryPiece(address: cursor, length: to - cursor, location: .hole(why))) }
            cursor = to
        }
        while cursor < limit {
            guard let vi = vmaIndex(containing: cursor) else {
                // Skip to the next VMA or the end.
                let next = vmas.first { $0.start > cursor }?.start ?? limit
                hole(min(next, limit), vmasRecorded ? .unmapped : .notInPreDump)
                continue
            }
            let vma = vmas[vi]
            let vmaEnd = min(vma.end, limit)
            let kind = kind(of: vi)
            if kind == .vvar {
                hole(vmaEnd, .notDumped)
                continue
            }
            guard let (index, key0, _) = backing(vi, cursor) else {
                hole(vmaEnd, vma.isFileBacked ? .fileBacked : .zeroFilled)
                continue
            }
            // Walk the runs of the backing index for [key0, key0 + (vmaEnd - cursor)).
            let delta = key0 &- cursor  // key = address + delta
            let keyEnd = key0 + (vmaEnd - cursor)
            let emptyHole: MemoryHole = (vma.isFileBacked && !vma.status.contains(.memfd)) ? .fileBacked : .zeroFilled
            for run in index.runs(in: key0..<keyEnd) where run.pageCount > 0 {
                let runStart = max(run.start, key0)
                let runEnd = min(run.end(pageSize: pageSize), keyEnd)
                hole(runStart &- delta, emptyHole)
                let length = runEnd - runStart
                switch run.location {
                case .file(let file, let offset):
                    out.append(MemoryPiece(address: cursor, length: length, location: .file(file, offset: offset + (runStart - run.start))))
                case .lazy:
                    out.append(MemoryPiece(address: cursor, length: length, location: .hole(.lazy)))
                case .missingParent:
                    out.append(MemoryPiece(address: cursor, length: length, location: .hole(.missingParent)))
                case .damaged:
                    out.append(MemoryPiece(address: cursor, length: length, location: .hole(.damaged)))
                }
                cursor += length
            }
            hole(vmaEnd, emptyHole)
        }
        return out
    }
}

extension Checkpoint {
    /// Reads `length` bytes of a process's memory at `address`, across page and VMA boundaries.
    ///
    /// Pages the checkpoint does not hold are returned as holes with the reason (never fabricated as zeros).
    /// At most 256 MiB per call.
    public func readMemory(pid: UInt32, address: UInt64, length: UInt64) throws(CheckpointError) -> [MemorySegment] {
        guard length <= 256 << 20 else {
            throw CheckpointError(.inconsistent, source: path, message: "a single read is limited to 256 MiB (asked \(length))")
        }
        guard let space = try addressSpace(pid) else {
            throw CheckpointError(.missingImage, source: path, file: "mm-\(pid).img",
                                  message: process(pid) == nil ? "no process \(pid)" : "process \(pid) has no address space (zombie?)")
        }
        return try readMemory(in: space, address: address, length: length)
    }

    /// Reads memory of an address space built once with ``addressSpace(_:)`` (for many reads of one process).
    public func readMemory(in space: AddressSpace, address: UInt64, length: UInt64) throws(CheckpointError) -> [MemorySegment] {
        try readMemory([(space, address..<address &+ length)])[0]
    }

    /// Reads many ranges (of one or several address spaces) with one batched fetch: one pass over a
    /// compressed archive for all of them. Each range is limited to 256 MiB.
    public func readMemory(_ ranges: [(space: AddressSpace, range: Range<UInt64>)]) throws(CheckpointError) -> [[MemorySegment]] {
        var allPieces: [[MemoryPiece]] = []
        var requests: [PageRequest] = []
        for (space, range) in ranges {
            guard range.count <= 256 << 20 else {
                throw CheckpointError(.inconsistent, source: path, message: "a single read is limited to 256 MiB (asked \(range.count))")
            }
            let pieces = space.pieces(address: range.lowerBound, length: UInt64(range.count))
            for piece in pieces {
                if case .file(let file, let offset) = piece.location {
                    requests.append(PageRequest(file: file, offset: offset, count: Int(piece.length)))
                }
            }
            allPieces.append(pieces)
        }
        let data = try fetch(requests)
        var next = 0
        return allPieces.map { pieces in
            pieces.map { piece in
                switch piece.location {
                case .file(let file, _):
                    defer { next += 1 }
                    return MemorySegment(address: piece.address, length: piece.length, bytes: data[next], hole: nil, file: file)
                case .hole(let why):
                    return MemorySegment(address: piece.address, length: piece.length, bytes: nil, hole: why, file: nil)
                }
            }
        }
    }

    /// The command line (argv) of a process, from its memory; nil when the pages are not in the checkpoint.
    public func commandLine(pid: UInt32) throws(CheckpointError) -> [String]? {
        try processStrings([pid], environment: false).first?.commandLine
    }

    /// The environment (`KEY=VALUE`, in order, duplicates kept) of a process, from its memory.
    public func environment(pid: UInt32) throws(CheckpointError) -> [String]? {
        try processStrings([pid]).first?.environment
    }

    /// The command lines and environments of many processes (nil: all), read with **one** batched
    /// fetch: one pass over a compressed archive however many processes there are.
    ///
    /// A value the checkpoint does not hold is nil, with the hole that covers its range: in a parent
    /// pre-checkpoint that is not available (``MemoryHole/missingParent``), in a damaged pages file,
    /// not dumped. Processes without an address space (zombies, pre-dumps) get nil and no hole.
    public func processStrings(_ pids: [UInt32]? = nil, environment: Bool = true) throws(CheckpointError) -> [ProcessStrings] {
        var out: [ProcessStrings] = []
        var ranges: [(space: AddressSpace, range: Range<UInt64>)] = []
        var slots: [(index: Int, environment: Bool)] = []
        for pid in pids ?? processes.map(\.pid) {
            out.append(ProcessStrings(pid: pid))
            // A process whose pagemap cannot be read has its strings in pages that cannot be found.
            let space: AddressSpace?
            do { space = try stringsSpace(pid, environment: environment) } catch {
                out[out.count - 1].commandLineHole = .damaged
                out[out.count - 1].environmentHole = environment ? .damaged : nil
                continue
            }
            guard let mm = process(pid)?.memory, let space else { continue }
            var wanted = [(false, mm.argumentsStart, mm.argumentsEnd)]
            if environment { wanted.append((true, mm.environmentStart, mm.environmentEnd)) }
            for (isEnvironment, start, end) in wanted {
                guard end > start, end - start <= 1 << 20 else {
                    if end == start { if isEnvironment { out[out.count - 1].environment = [] } else { out[out.count - 1].commandLine = [] } }
                    continue
                }
                ranges.append((space, start..<end))
                slots.append((out.count - 1, isEnvironment))
            }
        }
        let segments = try readMemory(ranges)
        for (slot, pieces) in zip(slots, segments) {
            var bytes: [UInt8] = []
            var hole: MemoryHole?
            for piece in pieces {
                guard let b = piece.bytes else { hole = piece.hole; break }
                bytes += b
            }
            var strings: [String]?
            if hole == nil {
                if bytes.last == 0 { bytes.removeLast() }
                strings = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            }
            if slot.environment {
                out[slot.index].environment = strings
                out[slot.index].environmentHole = hole
            } else {
                out[slot.index].commandLine = strings
                out[slot.index].commandLineHole = hole
            }
        }
        return out
    }
}

extension Checkpoint {
    /// The argv and environ ranges of a process (environ only when `environment`), as its mm image
    /// gives them.
    func stringRanges(_ mm: MemoryMap, environment: Bool) -> [Range<UInt64>] {
        environment ? [mm.argumentsRange, mm.environmentRange] : [mm.argumentsRange]
    }

    /// The address space a process's command line and environment are read from: narrowed to the
    /// VMAs their ranges touch, so that reading them for every process of a large checkpoint does
    /// not build every process's whole VMA tables.
    func stringsSpace(_ pid: UInt32, environment: Bool) throws(CheckpointError) -> AddressSpace? {
        guard let mm = process(pid)?.memory else { return try addressSpace(pid) }
        return try addressSpace(pid, touching: stringRanges(mm, environment: environment))
    }
}

/// A process's command line and environment, as ``Checkpoint/processStrings(_:environment:)`` reads them.
public struct ProcessStrings: Hashable, Sendable {
    /// The process.
    public var pid: UInt32
    /// argv, from the process's memory; nil when the checkpoint does not hold it.
    public var commandLine: [String]?
    /// environ (`KEY=VALUE`, in order, duplicates kept); nil when not held or not asked for.
    public var environment: [String]?
    /// Why ``commandLine`` is nil, when a hole covers it (``MemoryHole/missingParent``...).
    public var commandLineHole: MemoryHole?
    /// Why ``environment`` is nil, when a hole covers it.
    public var environmentHole: MemoryHole?

    /// No strings yet.
    public init(pid: UInt32) { self.pid = pid }
}

extension Checkpoint {
    /// Writes ranges of an address space into open files, byte `range.lowerBound` of each at offset 0
    /// of its `descriptor`: dumped bytes are copied file to file (in the kernel with
    /// `copy_file_range` for plain tars and directories, several files at once on a multi-core
    /// machine; in **one** streaming pass over a compressed archive, whatever the number of
    /// ranges), and holes are left unwritten (sparse).
    ///
    /// - Returns: per target, in order, the bytes written and the holes (``MemorySegment`` with no
    ///   bytes, a ``MemoryHole`` reason and absolute addresses).
    public func writeMemory(
        in space: AddressSpace, to targets: [(range: Range<UInt64>, descriptor: Int32)]
    ) throws(CheckpointError) -> [(written: UInt64, holes: [MemorySegment])] {
        try writeMemory(in: space, to: targets.map { ($0.range, $0.descriptor, 0) })
    }

    /// Writes ranges of an address space into open files as the other `writeMemory(in:to:)` does,
    /// byte `range.lowerBound` of each target at `offset` of its descriptor (several ranges may
    /// share one file: an ELF core).
    public func writeMemory(
        in space: AddressSpace, to targets: [(range: Range<UInt64>, descriptor: Int32, offset: UInt64)]
    ) throws(CheckpointError) -> [(written: UInt64, holes: [MemorySegment])] {
        let sets = imageSets
        let plans = targets.map { space.pieces(address: $0.range.lowerBound, length: UInt64($0.range.count)) }
        var results = plans.map { pieces in
            (written: UInt64(0), holes: pieces.compactMap { piece -> MemorySegment? in
                guard case .hole(let why) = piece.location else { return nil }
                return MemorySegment(address: piece.address, length: piece.length, bytes: nil, hole: why, file: nil)
            })
        }
        var members: [PagesFile: ArchiveMember] = [:]
        for pieces in plans {
            for piece in pieces {
                if case .file(let file, _) = piece.location, members[file] == nil { members[file] = try member(of: file) }
            }
        }
        let seekable = members.keys.allSatisfy { sets[$0.set].source.isSeekable }
        guard seekable else {
            // One pass over the archive for every range: each slice is written where it belongs.
            var pieces: [(file: PagesFile, offset: UInt64, length: UInt64)] = []
            var destination: [(target: Int, position: UInt64)] = []
            var byFile: [PagesFile: [Int]] = [:]
            for (t, plan) in plans.enumerated() {
                for piece in plan {
                    guard case .file(let file, let offset) = piece.location else { continue }
                    byFile[file, default: []].append(pieces.count)
                    pieces.append((file, offset, piece.length))
                    destination.append((t, targets[t].offset + piece.address - targets[t].range.lowerBound))
                    results[t].written += piece.length
                }
            }
            var failure: CheckpointError?
            try streamPieces(byFile: byFile, pieces: pieces) { index, position, slice in
                guard failure == nil else { return }
                let (t, start) = destination[index]
                failure = Self.writeAll(slice, to: targets[t].descriptor, at: start + position, source: path)
            }
            if let failure { throw failure }
            return results
        }
        // Seekable: the ranges are shared among workers, each copying whole ranges.
        let memberOf = members
        let next = Atomic<Int>(0)
        let failure = Mutex<CheckpointError?>(nil)
        let written = Mutex<[UInt64]>(Array(repeating: 0, count: targets.count))
        let workers = max(1, min(4, ProcessInfo.processInfo.activeProcessorCount, targets.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while failure.withLock({ $0 == nil }) {
                let t = next.add(1, ordering: .relaxed).oldValue
                guard t < targets.count else { return }
                do throws(CheckpointError) {
                    var total: UInt64 = 0
                    var kernelCopy = true
                    for piece in plans[t] {
                        guard case .file(let file, let offset) = piece.location, let member = memberOf[file] else { continue }
                        let source = sets[file.set].source
                        let position = targets[t].offset + piece.address - targets[t].range.lowerBound
                        var done: UInt64 = 0
                        while done < piece.length {
                            // copy_file_range moves at most about 2 GiB a call.
                            let want = Int(min(piece.length - done, 1 << 30))
                            let n: Int
                            do throws(ArchiveError) {
                                n = try source.copy(member, at: offset + done, count: want, to: targets[t].descriptor, at: position + done,
                                                    kernelCopy: &kernelCopy)
                            } catch {
                                throw CheckpointError(error)
                            }
                            if n < want {
                                throw CheckpointError(.inconsistent, source: path, file: file.description, offset: offset + done + UInt64(n),
                                                      message: "the pages file ends inside a page the pagemap lists")
                            }
                            done += UInt64(n)
                        }
                        total += piece.length
                    }
                    written.withLock { $0[t] = total }
                } catch {
                    failure.withLock { if $0 == nil { $0 = error } }
                }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        let totals = written.withLock { $0 }
        for t in results.indices { results[t].written = totals[t] }
        return results
    }

    /// `pwrite`s all of `bytes` at `offset`; the error names the source and the output offset.
    static func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32, at offset: UInt64, source: String) -> CheckpointError? {
        guard let failure = POSIX.pwriteAll(bytes, to: descriptor, at: offset) else { return nil }
        return CheckpointError(.output, source: source, offset: offset + UInt64(failure.done),
                               message: "write failed: \(POSIX.message(failure.errorNumber))")
    }
}
