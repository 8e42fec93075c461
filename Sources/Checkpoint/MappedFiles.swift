import CheckpointArchive
public import CRIUImages
internal import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where bytes of memory came from when the checkpoint does not hold them: the mapped file.
public struct MappedFileOrigin: Hashable, Sendable, CustomStringConvertible {
    /// The mapped file's path in the container, as the VMA names it.
    public var path: String
    /// Where the file was found: `rootfs /srv/image-root`.
    public var source: String
    /// The offset in the file of the range's first byte.
    public var offset: UInt64

    /// The file at `path`, found in `source`, from byte `offset`.
    public init(path: String, source: String, offset: UInt64) {
        self.path = path
        self.source = source
        self.offset = offset
    }

    /// `from file /usr/bin/dash (rootfs /srv/root) at offset 0x1000`.
    public var description: String { "from file \(path) (\(source)) at offset 0x\(String(offset, radix: 16))" }
}

/// A file-backed range CRIU did not dump, with the file that has its bytes.
public struct MappedFill: Hashable, Sendable {
    /// The first virtual address.
    public var address: UInt64
    /// The length in bytes (whole pages).
    public var length: UInt64
    /// The file and the offset of the first byte.
    public var origin: MappedFileOrigin
    /// Bytes the file has from ``MappedFileOrigin/offset``; the rest of the range (the end of the
    /// file's last page) reads as zeros, as it does in the mapping.
    public var fileBytes: UInt64
}

/// The files a checkpoint's processes mapped, for the file-backed pages CRIU did not dump (it
/// dumps only pages a process changed: a program's code and read-only data stay in its files).
///
/// They are looked up in a directory holding the container image's root file system (`--rootfs
/// DIR`), each path opened as if the directory were `/` (a path or symbolic link from the
/// checkpoint cannot leave it), and in the checkpoint's own copies of files: a deleted file's
/// ghost file, the rootfs diff, tmpfs images (``Checkpoint/inFlightData()``,
/// ``Checkpoint/containerFiles()``; read whole, up to ``inCheckpointLimit``). A file is used only
/// when it is the one that was mapped: its size, and its GNU build ID when CRIU recorded one (its
/// default file validation), must be those of `files.img`; otherwise its pages stay holes and
/// ``refusals`` says why.
public final class MappedFiles: Sendable {
    /// The directory, as given; nil when only the checkpoint's own copies are used.
    public let rootfs: String?
    private let root: Int32
    /// The checkpoint whose copies of files are used, if any.
    private let checkpoint: Checkpoint?
    /// The largest copy of a file read from the checkpoint (held in memory while in use).
    public static let inCheckpointLimit = 64 << 20
    private enum Lookup: Sendable {
        case file(fd: Int32, size: UInt64)
        case bytes([UInt8], source: String)
        case refused(String)
    }
    private let opened = Mutex<[String: Lookup]>([:])
    /// The checkpoint's copies of files by path (ghost files; the first unshadowed file of the
    /// container's layers), listed once: a plan looks up every mapped file of every process.
    private struct Copies: Sendable {
        var ghosts: [String: InFlightData] = [:]
        var files: [String: ContainerFile] = [:]
    }
    private let copies = Mutex<Copies?>(nil)

    /// The root file system at `rootfs` (a directory).
    ///
    /// - Throws: ``CheckpointError`` (`.archive`) when it cannot be opened as a directory.
    public convenience init(rootfs: String) throws(CheckpointError) {
        try self.init(rootfs: rootfs, checkpoint: nil)
    }

    /// The root file system at `rootfs` (nil: none) and then `checkpoint`'s own copies of files.
    ///
    /// - Throws: ``CheckpointError`` (`.archive`) when `rootfs` cannot be opened as a directory.
    public init(rootfs: String?, checkpoint: Checkpoint?) throws(CheckpointError) {
        var fd: Int32 = -1
        if let rootfs {
            fd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else {
                throw CheckpointError(.archive, source: rootfs, message: "cannot open the root file system: \(POSIX.message(errno))")
            }
        }
        self.rootfs = rootfs
        self.root = fd
        self.checkpoint = checkpoint
    }

    deinit {
        for lookup in opened.withLock({ $0.values }) {
            if case .file(let fd, _) = lookup { close(fd) }
        }
        if root >= 0 { close(root) }
    }

    /// Files looked up and not used, with the reason (not found, another size, another build ID).
    public var refusals: [(path: String, reason: String)] {
        opened.withLock { table in
            table.compactMap { path, lookup in
                if case .refused(let why) = lookup { (path, why) } else { nil }
            }.sorted { $0.path < $1.path }
        }
    }

    /// `path` under the root file system, for messages.
    private func shown(_ path: String) -> String {
        guard let rootfs else { return path }
        return rootfs.hasSuffix("/") && path.hasPrefix("/") ? rootfs + path.dropFirst() : rootfs + path
    }

    /// Whether `bytes` are the file `files.img` recorded: its size and build ID.
    private static func check(_ bytes: [UInt8], _ expected: RegularFile?) -> String? {
        if let size = expected?.size, size != UInt64(bytes.count) { return "\(bytes.count) bytes, the mapped file had \(size)" }
        if let recorded = expected?.buildID, !recorded.isEmpty,
           buildID(size: UInt64(bytes.count), read: { o, n in Array(bytes[Int(o)..<Int(o) + n]) }) != recorded.flatMap({ w in withUnsafeBytes(of: w.littleEndian) { Array($0) } }) {
            return "another build ID than the mapped file's"
        }
        return nil
    }

    /// The checkpoint's own copy of the file at `path`: a ghost file, or a file of the rootfs diff
    /// or a tmpfs image; nil when it has none.
    private func copy(_ path: String, expected: RegularFile?) -> Lookup? {
        guard let checkpoint else { return nil }
        let known = copies(of: checkpoint)
        if let ghost = known.ghosts[path] {
            guard ghost.length <= UInt64(Self.inCheckpointLimit) else { return .refused("\(ghost.id) (\(path)): larger than \(Self.inCheckpointLimit >> 20) MiB") }
            guard let bytes = try? checkpoint.readInFlightData(ghost) else { return .refused("\(ghost.id) (\(path)): cannot be read") }
            if let why = Self.check(bytes, expected) { return .refused("\(ghost.id) (\(path)): \(why)") }
            return .bytes(bytes, source: "ghost file \(ghost.id)")
        }
        guard let file = known.files[path] else { return nil }
        guard file.size <= UInt64(Self.inCheckpointLimit) else { return .refused("\(file.layer) \(path): larger than \(Self.inCheckpointLimit >> 20) MiB") }
        var bytes: [UInt8] = []
        do {
            try checkpoint.streamContainerFiles(layers: [file.layer], { $0.index == file.index && $0.path == file.path }) { _, chunk in
                bytes.append(contentsOf: chunk)
            }
        } catch {
            return .refused("\(file.layer) \(path): cannot be read")
        }
        if let why = Self.check(bytes, expected) { return .refused("\(file.layer) \(path): \(why)") }
        return .bytes(bytes, source: file.layer.description)
    }

    private func copies(of checkpoint: Checkpoint) -> Copies {
        if let known = copies.withLock({ $0 }) { return known }
        var found = Copies()
        for ghost in (try? checkpoint.inFlightData()) ?? [] where ghost.kind == .ghostFile {
            if let path = ghost.path, found.ghosts[path] == nil { found.ghosts[path] = ghost }
        }
        for file in (try? checkpoint.containerFiles()) ?? [] where file.kind == .file && !file.isShadowed {
            if found.files[file.path] == nil { found.files[file.path] = file }
        }
        return copies.withLock { stored in
            if let earlier = stored { return earlier }
            stored = found
            return found
        }
    }

    /// The file at `path`, checked against what `files.img` recorded: from the root file system,
    /// else the checkpoint's copy.
    private func lookup(_ path: String, expected: RegularFile?) -> Lookup {
        if let known = opened.withLock({ $0[path] }) { return known }
        var result: Lookup
        if root < 0 {
            result = .refused("\(path): no root file system given (--rootfs)")
        } else {
            result = openInRoot(path, expected: expected)
        }
        if case .refused = result, let copy = copy(path, expected: expected) {
            if case .file(let fd, _) = result { close(fd) }
            result = copy
        }
        if case .refused = result, root < 0 { result = .refused("\(path): not in the checkpoint (give the image's root file system with --rootfs)") }
        return opened.withLock { table in
            if let raced = table[path] {
                if case .file(let fd, _) = result { close(fd) }
                return raced
            }
            table[path] = result
            return result
        }
    }

    /// The file at `path` under the root file system, checked.
    private func openInRoot(_ path: String, expected: RegularFile?) -> Lookup {
        let result: Lookup
        switch POSIX.openFile(path, inRoot: root) {
        case .failure(let failure):
            result = .refused("\(shown(path)): \(POSIX.message(failure.errorNumber))")
        case .success(let fd):
            var st = stat()
            if fstat(fd, &st) != 0 || (st.st_mode & S_IFMT) != S_IFREG {
                close(fd)
                result = .refused("\(shown(path)): not a regular file")
            } else if let size = expected?.size, size != UInt64(st.st_size) {
                close(fd)
                result = .refused("\(shown(path)): \(st.st_size) bytes, the mapped file had \(size)")
            } else if let recorded = expected?.buildID, !recorded.isEmpty,
                      Self.buildID(size: UInt64(st.st_size), read: { offset, count in
                          var bytes = [UInt8](repeating: 0, count: count)
                          let n = bytes.withUnsafeMutableBytes { POSIX.readAll(fd, into: $0, at: offset) }
                          guard case .success(count) = n else { return nil }
                          return bytes
                      }) != recorded.flatMap({ w in withUnsafeBytes(of: w.littleEndian) { Array($0) } }) {
                close(fd)
                result = .refused("\(shown(path)): another build ID than the mapped file's")
            } else {
                result = .file(fd: fd, size: UInt64(st.st_size))
            }
        }
        return result
    }

    /// The GNU build ID of an ELF64 little-endian file (its NT_GNU_BUILD_ID note) of `size` bytes,
    /// read through `bytes(offset, count)`, if it has one.
    static func buildID(size: UInt64, read bytes: (UInt64, Int) -> [UInt8]?) -> [UInt8]? {
        func read(_ offset: UInt64, _ count: Int) -> [UInt8]? {
            guard count <= 1 << 16, offset + UInt64(count) <= size else { return nil }
            return bytes(offset, count)
        }
        func u(_ b: [UInt8], _ at: Int, _ width: Int) -> UInt64 { (0..<width).reduce(0) { $0 | UInt64(b[at + $1]) << (8 * $1) } }
        guard let header = read(0, 64), header[0..<4] == [0x7F, 0x45, 0x4C, 0x46], header[4] == 2, header[5] == 1 else { return nil }
        let phoff = u(header, 32, 8), phentsize = Int(u(header, 54, 2)), phnum = Int(u(header, 56, 2))
        guard phentsize >= 56, phnum <= 256, let table = read(phoff, phentsize * phnum) else { return nil }
        for i in 0..<phnum where u(table, i * phentsize, 4) == 4 {
            guard let notes = read(u(table, i * phentsize + 8, 8), Int(min(u(table, i * phentsize + 32, 8), 1 << 16))) else { continue }
            var at = 0
            while at + 12 <= notes.count {
                let namesz = Int(u(notes, at, 4)), descsz = Int(u(notes, at + 4, 4)), type = u(notes, at + 8, 4)
                let descAt = at + 12 + (namesz + 3) / 4 * 4
                guard descAt + descsz <= notes.count else { break }
                if type == 3, namesz == 4, notes[(at + 12)..<(at + 16)] == [0x47, 0x4E, 0x55, 0] { return Array(notes[descAt..<(descAt + descsz)]) }
                at = descAt + (descsz + 3) / 4 * 4
            }
        }
        return nil
    }

    /// The parts of `holes` (file-backed holes of `space`, as the checkpoint's `readMemory` and
    /// `writeMemory` report them) whose mapped file is here.
    public func fills(for holes: [MemorySegment], in space: AddressSpace, of checkpoint: Checkpoint) -> [MappedFill] {
        holes.filter { $0.hole == .fileBacked }.flatMap { fills(in: $0.address..<($0.address + $0.length), of: space, checkpoint: checkpoint) }
    }

    /// The parts of `range`, file-backed pages of `space` CRIU did not dump, whose mapped file is here.
    public func fills(in range: Range<UInt64>, of space: AddressSpace, checkpoint: Checkpoint) -> [MappedFill] {
        var out: [MappedFill] = []
        var cursor = range.lowerBound
        while cursor < range.upperBound, let v = space.vmaIndex(containing: cursor) {
            let vma = space.vmas[v]
            let upTo = min(range.upperBound, vma.end)
            defer { cursor = upTo }
            guard let path = space.backingFiles[v], let expected = checkpoint.mappedRegularFile(of: vma) else { continue }
            let size: UInt64
            let source: String
            switch lookup(path, expected: expected) {
            case .file(_, let n): (size, source) = (n, "rootfs \(rootfs ?? "")")
            case .bytes(let b, let from): (size, source) = (UInt64(b.count), from)
            case .refused: continue
            }
            let offset = vma.pageOffset + (cursor - vma.start)
            guard offset < size else { continue }
            // Whole pages from the file; past its end a mapping reads zeros to the end of the page.
            let pages = (size - offset + space.pageSize - 1) / space.pageSize * space.pageSize
            let length = min(upTo - cursor, pages)
            out.append(MappedFill(address: cursor, length: length,
                                  origin: MappedFileOrigin(path: path, source: source, offset: offset),
                                  fileBytes: min(length, size - offset)))
        }
        return out
    }

    /// Reads `buffer.count` bytes of `fill` from byte `position` of it (zeros past the file's end).
    public func read(_ fill: MappedFill, at position: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(CheckpointError) {
        let fromFile = Int(min(UInt64(buffer.count), fill.fileBytes > position ? fill.fileBytes - position : 0))
        let lookup = opened.withLock({ $0[fill.origin.path] })
        if case .bytes(let bytes, _)? = lookup {
            let start = Int(fill.origin.offset + position)
            if fromFile > 0 { bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[start..<(start + fromFile)])) } }
            if fromFile < buffer.count { UnsafeMutableRawBufferPointer(rebasing: buffer[fromFile...]).initializeMemory(as: UInt8.self, repeating: 0) }
            return
        }
        guard case .file(let fd, _)? = lookup else {
            throw CheckpointError(.archive, source: rootfs ?? checkpoint?.path ?? "", file: fill.origin.path, message: "not open")
        }
        if fromFile > 0 {
            switch POSIX.readAll(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<fromFile]), at: fill.origin.offset + position) {
            case .success(let n) where n == fromFile: break
            case .success(let n):
                throw CheckpointError(.archive, source: rootfs ?? "", file: fill.origin.path, offset: fill.origin.offset + position + UInt64(n),
                                      message: "the file ends early (it changed while read)")
            case .failure(let failure):
                throw CheckpointError(.archive, source: rootfs ?? "", file: fill.origin.path, offset: fill.origin.offset + position,
                                      message: "read failed: \(POSIX.message(failure.errorNumber))")
            }
        }
        if fromFile < buffer.count { UnsafeMutableRawBufferPointer(rebasing: buffer[fromFile...]).initializeMemory(as: UInt8.self, repeating: 0) }
    }

    /// The bytes of `fill`.
    public func bytes(_ fill: MappedFill) throws(CheckpointError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Int(fill.length))
        var failure: CheckpointError?
        bytes.withUnsafeMutableBytes { buffer in
            do throws(CheckpointError) { try read(fill, at: 0, into: buffer) } catch { failure = error }
        }
        if let failure { throw failure }
        return bytes
    }

    /// Writes each fill into `descriptor`, the byte at address `base` of it going to `offset`.
    public func write(_ fills: [MappedFill], to descriptor: Int32, base: UInt64, offset: UInt64) throws(CheckpointError) {
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        for fill in fills {
            var done: UInt64 = 0
            while done < fill.length {
                let count = Int(min(UInt64(chunk), fill.length - done))
                let part = UnsafeMutableRawBufferPointer(rebasing: buffer[..<count])
                try read(fill, at: done, into: part)
                let at = offset + fill.address - base + done
                if let failure = POSIX.pwriteAll(UnsafeRawBufferPointer(part), to: descriptor, at: at) {
                    throw CheckpointError(.output, source: rootfs ?? "", offset: at + UInt64(failure.done),
                                          message: "write failed: \(POSIX.message(failure.errorNumber))")
                }
                done += UInt64(count)
            }
        }
    }
}

extension Checkpoint {
    /// The regular file (`files.img`) a file-backed VMA maps, if it maps one.
    public func mappedRegularFile(of vma: VMA) -> RegularFile? {
        guard vma.isFileBacked, let entry = files[UInt32(truncatingIfNeeded: vma.shmid)], case .regular(let reg) = entry.file else { return nil }
        return reg
    }

    /// Reads memory as ``readMemory(in:address:length:)`` does, with the file-backed pages CRIU did not
    /// dump read from `files` where they have the mapped file: such segments have bytes and an
    /// ``MemorySegment/origin`` instead of a hole.
    public func readMemory(in space: AddressSpace, address: UInt64, length: UInt64, files: MappedFiles?) throws(CheckpointError) -> [MemorySegment] {
        let segments = try readMemory(in: space, address: address, length: length)
        guard let files else { return segments }
        var out: [MemorySegment] = []
        for segment in segments {
            let fills = segment.hole == .fileBacked ? files.fills(for: [segment], in: space, of: self) : []
            guard !fills.isEmpty else {
                out.append(segment)
                continue
            }
            var cursor = segment.address
            for fill in fills {
                if fill.address > cursor {
                    out.append(MemorySegment(address: cursor, length: fill.address - cursor, bytes: nil, hole: .fileBacked, file: nil))
                }
                var filled = MemorySegment(address: fill.address, length: fill.length, bytes: try files.bytes(fill), hole: nil, file: nil)
                filled.origin = fill.origin
                out.append(filled)
                cursor = fill.address + fill.length
            }
            if cursor < segment.address + segment.length {
                out.append(MemorySegment(address: cursor, length: segment.address + segment.length - cursor, bytes: nil, hole: .fileBacked, file: nil))
            }
        }
        return out
    }
}
