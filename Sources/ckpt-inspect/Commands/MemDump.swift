import ArgumentParser
import Checkpoint
import CheckpointArchive
import CRIUImages
import Foundation

struct MemDump: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Write a process's memory regions to files named by address.",
        discussion: "Writes one file per VMA (or the given range) into DIR, named <pid>-<start>-<end>.bin; pages the checkpoint does not hold are left as holes (sparse, reading as zeros) and listed in <pid>-holes.txt; file-backed pages CRIU did not dump are written from the mapped file when the checkpoint holds a copy of it (a ghost file, the rootfs diff, a tmpfs) or --rootfs has it, and listed as from file. Files are created with mode 0600, never through symlinks, and existing files are kept unless --force.")

    @Argument(help: "A checkpoint archive or directory.") var path: String
    @OptionGroup var process: OneProcess
    @Option(name: .long, parsing: .unconditional, help: "Only the VMA containing this address (hex).", transform: Parse.address) var vma: UInt64?
    @Option(name: .long, parsing: .unconditional, help: "Only this range, START-END in hex.", transform: Parse.range) var range: Range<UInt64>?
    @Option(name: [.short, .long], help: "The output directory (created if missing).") var output: String
    @Flag(name: .long, help: "Write one sparse ELF core file (<pid>.core) for gdb, lldb and readelf instead of region files: registers and floating-point state of every thread; file-backed pages CRIU did not dump are left to the mapped files, or written from the copies the checkpoint or --rootfs has.") var core = false
    @Flag(name: .long, help: "Overwrite existing files.") var force = false
    @OptionGroup var source: PreviousOption
    @OptionGroup var mapped: RootfsOption
    @OptionGroup var sizes: SizeOptions
    @OptionGroup var diagnostics: DiagnosticOptions
    @OptionGroup var pods: PodSelection

    var pid: UInt32 { process.pid }

    func validate() throws {
        if vma != nil && range != nil { throw UsageError("--vma and --range", "give one of them") }
        if core && (vma != nil || range != nil) { throw UsageError("--core", "writes the whole process; not with --vma or --range") }
    }

    func run() throws {
        try mapped.validateDirectory()
        // A compressed archive's pages are written while it is opened (one pass for the index and the copy).
        let writer = core || CheckpointSource.isSeekable(path: RawPath.resolve(path)) ? nil
            : RegionWriter(pid: pid, select: regions, directory: { try SafeOutput.directory(output) }, force: force)
        let targets = try pods.targets(path, previous: source.previous, progress: diagnostics.reading(path), diagnostics: diagnostics, streaming: writer)
        let withProcess = try targets.having(pid: pid, path: path)
        if !targets.isPod { _ = try process.process(in: withProcess[0].checkpoint) }
        // A pod's containers each get a directory of their own under the one named.
        let base = targets.isPod ? try SafeOutput.directory(output) : output
        for t in withProcess {
            let directory = try t.container.map { name throws in try SafeOutput.directory(SafeOutput.child(base, try PodSelection.directoryName(name))) } ?? base
            let files = try mapped.files(for: t.checkpoint)
            defer { mapped.warnRefusals(files, diagnostics) }
            try dump(t.checkpoint, into: directory, written: t.streamed ? writer : nil, files: files)
        }
        try targets.finish()
    }

    /// The regions to write: the `--range`, the VMA holding `--vma`, or every VMA but vvar.
    func regions(_ space: AddressSpace) throws -> [Range<UInt64>] {
        if let range { return [range] }
        if let vma {
            guard let i = space.vmaIndex(containing: vma) else {
                throw UsageError(option: "--vma", value: "0x" + String(vma, radix: 16), "no VMA of pid \(pid) in \(path) contains this address")
            }
            return [space.vmas[i].start..<space.vmas[i].end]
        }
        return space.vmas.enumerated().filter { space.kind(of: $0.offset) != .vvar }.map { $0.element.start..<$0.element.end }
    }

    func dump(_ c: Checkpoint, into output: String, written writer: RegionWriter?, files: MappedFiles?) throws {
        guard let space = try withCheckpointErrors({ () throws(CheckpointError) in try c.addressSpace(pid) }) else {
            Output.error("\(path): process \(pid) has no address space")
            throw ExitCode.badData
        }
        if core {
            let directory = try SafeOutput.directory(output)
            let target = SafeOutput.child(directory, "\(pid).core")
            let handle = try SafeOutput.open(target, force: force, readable: true)
            let summary = try withCheckpointErrors { () throws(CheckpointError) in
                try ELFCoreWriter(checkpoint: c, pid: pid, files: files).write(to: handle.fileDescriptor)
            }
            try handle.close()
            var line = "wrote \(target) (\(sizes.text(summary.size)), \(sizes.text(summary.memoryBytes)) of memory from the checkpoint, \(summary.segments) segments"
            if summary.filledSegments > 0 { line += "; \(summary.filledSegments) (\(sizes.text(summary.filledBytes))) from the mapped files" }
            if summary.fileBackedSegments > 0 { line += "; \(summary.fileBackedSegments) file-backed, left to the mapped files" }
            if summary.missingSegments > 0 { line += "; \(summary.missingSegments) not in the checkpoint" }
            Output.write(line + ")\n")
            return
        }
        let regions = try self.regions(space)
        let directory = try SafeOutput.directory(output)
        if let writer {
            // Written during the open: the files of regions with no bytes are made now, the holes listed.
            var (written, holes, damaged) = try writer.finish(space)
            let filled = try fill(files, c, space, regions, directory, &holes)
            try report(c, regions: regions, directory: directory, written: written, holes: holes, damaged: damaged, filled: filled)
            return
        }
        // Every region's file is open during the copy (a compressed archive is streamed once for
        // all of them): as many at a time as the descriptor limit allows, raised to its maximum.
        let batchSize = max(16, Self.raiseDescriptorLimit() - 64)
        var holes: [String] = []
        var damaged: [MemorySegment] = []
        var written: UInt64 = 0
        for batchStart in stride(from: 0, to: regions.count, by: batchSize) {
            let batch = regions[batchStart..<min(regions.count, batchStart + batchSize)]
            var handles: [Foundation.FileHandle] = []
            for region in batch {
                let handle = try SafeOutput.open(SafeOutput.child(directory, Self.fileName(pid: pid, region)), force: force)
                // The final size first: holes stay sparse, and writes never extend the file.
                try handle.truncate(atOffset: region.upperBound - region.lowerBound)
                handles.append(handle)
            }
            // Dumped bytes are copied file to file; holes are left sparse.
            let results = try withCheckpointErrors { () throws(CheckpointError) in
                try c.writeMemory(in: space, to: zip(batch, handles).map { ($0, $1.fileDescriptor) })
            }
            for (handle, result) in zip(handles, results) {
                try handle.close()
                written += result.written
                damaged += result.holes.filter { $0.hole == .damaged }
                for hole in result.holes {
                    holes.append("\(String(hole.address, radix: 16))-\(String(hole.address + hole.length, radix: 16)) \(hole.hole?.rawValue ?? "")")
                }
            }
        }
        let filled = try fill(files, c, space, regions, directory, &holes)
        try report(c, regions: regions, directory: directory, written: written, holes: holes, damaged: damaged, filled: filled)
    }

    /// With --rootfs: the file-backed holes whose mapped file is there are written into the region
    /// files from it; their lines in `holes` become the parts still missing, and the filled ranges
    /// are returned as `from file` lines with their bytes.
    func fill(_ files: MappedFiles?, _ c: Checkpoint, _ space: AddressSpace, _ regions: [Range<UInt64>], _ directory: String,
              _ holes: inout [String]) throws -> (lines: [String], bytes: UInt64) {
        guard let files else { return ([], 0) }
        var lines: [String] = []
        var bytes: UInt64 = 0
        var replaced: [Range<UInt64>] = []
        for region in regions {
            let fileBacked = space.pieces(address: region.lowerBound, length: UInt64(region.count)).compactMap { piece -> Range<UInt64>? in
                guard case .hole(.fileBacked) = piece.location else { return nil }
                return piece.address..<(piece.address + piece.length)
            }
            let fills = fileBacked.flatMap { files.fills(in: $0, of: space, checkpoint: c) }
            guard !fills.isEmpty else { continue }
            // The region's file was created by this command just now: written in place, not through a link.
            let name = SafeOutput.child(directory, Self.fileName(pid: pid, region))
            let fd = open(name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else {
                Output.error("\(name): cannot open to write the mapped files' pages: \(String(cString: strerror(errno)))")
                throw ExitCode.badData
            }
            defer { close(fd) }
            try withCheckpointErrors { () throws(CheckpointError) in try files.write(fills, to: fd, base: region.lowerBound, offset: 0) }
            for fill in fills {
                lines.append("\(String(fill.address, radix: 16))-\(String(fill.address + fill.length, radix: 16)) \(fill.origin)")
                bytes += fill.length
                replaced.append(fill.address..<(fill.address + fill.length))
            }
        }
        guard !replaced.isEmpty else { return ([], 0) }
        // File-backed hole lines lose the filled parts.
        var kept: [String] = []
        for line in holes {
            let parts = line.split(separator: " ", maxSplits: 1)
            let bounds = parts.first?.split(separator: "-").compactMap { UInt64($0, radix: 16) } ?? []
            guard parts.count == 2, parts[1] == MemoryHole.fileBacked.rawValue, bounds.count == 2 else {
                kept.append(line)
                continue
            }
            var cursor = bounds[0]
            for r in replaced.sorted(by: { $0.lowerBound < $1.lowerBound }) where r.upperBound > cursor && r.lowerBound < bounds[1] {
                if r.lowerBound > cursor { kept.append("\(String(cursor, radix: 16))-\(String(r.lowerBound, radix: 16)) \(parts[1])") }
                cursor = max(cursor, r.upperBound)
            }
            if cursor < bounds[1] { kept.append("\(String(cursor, radix: 16))-\(String(bounds[1], radix: 16)) \(parts[1])") }
        }
        holes = kept
        return (lines, bytes)
    }

    /// The holes file, the summary line, and the damaged bytes (exit 1).
    func report(_ c: Checkpoint, regions: [Range<UInt64>], directory: String, written: UInt64, holes: [String], damaged: [MemorySegment],
                filled: (lines: [String], bytes: UInt64)) throws {
        if !holes.isEmpty || !filled.lines.isEmpty {
            let lines = (holes + filled.lines).sorted { UInt64($0.prefix { $0 != "-" }, radix: 16) ?? 0 < UInt64($1.prefix { $0 != "-" }, radix: 16) ?? 0 }
            try SafeOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: SafeOutput.child(directory, "\(pid)-holes.txt"), force: force)
        }
        var fromFiles = ""
        if !filled.lines.isEmpty {
            fromFiles = ", \(sizes.text(filled.bytes)) in \(plural(filled.lines.count, "range")) from the mapped files"
        }
        Output.write("\(plural(regions.count, "region")) of pid \(pid) written to \(directory) (\(sizes.text(written)) from the checkpoint\(fromFiles), \(plural(holes.count, "hole")))\n")
        try failOnDamage(c, holes: damaged, pid: pid)
    }

    /// The region file's name.
    static func fileName(pid: UInt32, _ region: Range<UInt64>) -> String {
        "\(pid)-\(String(region.lowerBound, radix: 16))-\(String(region.upperBound, radix: 16)).bin"
    }

    /// Raises the soft limit on open descriptors to the hard limit; returns the soft limit now in force.
    static func raiseDescriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = min(limit.rlim_max, 1 << 20)
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(min(limit.rlim_cur, 1 << 20))
    }
}

/// Writes a process's regions as the pass that opens a compressed archive decompresses their pages
/// (``PageStreamConsumer``): each region file is created (mode 0600, sized first so holes stay sparse)
/// when its first bytes arrive, the rest after the pass.
final class RegionWriter: PageStreamConsumer {
    let pid: UInt32
    let select: (AddressSpace) throws -> [Range<UInt64>]
    let makeDirectory: () throws -> String
    let force: Bool
    var directory: String?
    var regions: [Range<UInt64>] = []
    var handles: [Int: Foundation.FileHandle] = [:]
    /// Per image set, per piece: the region and the piece's offset in its file.
    var targets: [Int: [(region: Int, position: UInt64)]] = [:]
    /// The first failure (a file that cannot be made, a write that fails): reported after the pass.
    var failure: (any Error)?

    init(pid: UInt32, select: @escaping (AddressSpace) throws -> [Range<UInt64>], directory: @escaping () throws -> String, force: Bool) {
        self.pid = pid
        self.select = select
        self.makeDirectory = directory
        self.force = force
    }

    func pieces(ofSet set: Int, in checkpoint: Checkpoint) throws(CheckpointError) -> [PageRequest] {
        guard let space = (try? checkpoint.addressSpace(pid)) ?? nil, let regions = try? select(space) else {
            targets[set] = []
            return []
        }
        self.regions = regions
        var requests: [PageRequest] = []
        var mine: [(Int, UInt64)] = []
        for (r, region) in regions.enumerated() {
            for piece in space.pieces(address: region.lowerBound, length: UInt64(region.count)) {
                guard case .file(let file, let offset) = piece.location, file.set == set else { continue }
                requests.append(PageRequest(file: file, offset: offset, count: Int(piece.length)))
                mine.append((r, piece.address - region.lowerBound))
            }
        }
        targets[set] = mine
        return requests
    }

    func handle(_ r: Int) throws -> Foundation.FileHandle {
        if let h = handles[r] { return h }
        if directory == nil { directory = try makeDirectory() }
        let region = regions[r]
        let h = try SafeOutput.open(SafeOutput.child(directory!, MemDump.fileName(pid: pid, region)), force: force)
        try h.truncate(atOffset: region.upperBound - region.lowerBound)
        handles[r] = h
        return h
    }

    func consume(set: Int, piece: Int, position: UInt64, bytes: UnsafeRawBufferPointer) {
        guard failure == nil, let (r, start) = targets[set]?[piece] else { return }
        do {
            let h = try handle(r)
            if let f = POSIX.pwriteAll(bytes, to: h.fileDescriptor, at: start + position) {
                throw CheckpointError(.output, source: MemDump.fileName(pid: pid, regions[r]), offset: start + position + UInt64(f.done),
                                      message: "write failed: \(POSIX.message(f.errorNumber))")
            }
        } catch {
            failure = error
        }
    }

    /// Bytes written under a plan that turned out wrong are cleared: the files are emptied to their size.
    func reset() {
        for (r, h) in handles {
            try? h.truncate(atOffset: 0)
            try? h.truncate(atOffset: regions[r].upperBound - regions[r].lowerBound)
        }
    }

    /// After the open: makes the files of regions that got no bytes, closes them all, and returns the
    /// bytes written and the holes.
    func finish(_ space: AddressSpace) throws -> (written: UInt64, holes: [String], damaged: [MemorySegment]) {
        if let failure {
            if let e = failure as? CheckpointError { Output.error(e.description); throw ExitCode.badData }
            throw failure
        }
        var written: UInt64 = 0
        var holes: [String] = []
        var damaged: [MemorySegment] = []
        for (r, region) in regions.enumerated() {
            _ = try handle(r)
            for piece in space.pieces(address: region.lowerBound, length: UInt64(region.count)) {
                switch piece.location {
                case .file: written += piece.length
                case .hole(let why):
                    holes.append("\(String(piece.address, radix: 16))-\(String(piece.address + piece.length, radix: 16)) \(why.rawValue)")
                    if why == .damaged { damaged.append(MemorySegment(address: piece.address, length: piece.length, bytes: nil, hole: why, file: nil)) }
                }
            }
        }
        for h in handles.values { try h.close() }
        handles = [:]
        return (written, holes, damaged)
    }
}
