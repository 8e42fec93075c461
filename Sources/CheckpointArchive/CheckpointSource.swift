/// A checkpoint as a set of members: a tar archive (plain or compressed), stdin, or a directory.
///
/// ```swift
/// let source = try CheckpointSource.open(path: "ck.tar.zst")
/// if let inventory = try source.image(named: "inventory.img") {
///     let bytes = try source.read(inventory)
/// }
/// ```
///
/// How each kind is read:
/// - **Plain tar**: indexed by seeking over member data (no page data is read); reads are
///   `pread` at ``ArchiveMember/dataOffset``, O(1) per positional read.
/// - **Compressed tar** (gzip, zstd, bzip2, xz; detected by magic bytes): ``open(path:options:)``
///   decompresses the stream once, keeps every regular member of at most
///   ``Options/inMemoryLimit`` bytes in memory (up to ``Options/retainedLimit`` in all), and only
///   records the size of bigger members (`pages-*.img`). Reading a big member re-streams the
///   archive; `stream(_:chunkSize:body:)` delivers many members in one pass.
/// - **stdin** (`-`): read once, like a compressed archive; big members cannot be read later
///   (``ArchiveError/Code/notSeekable``), so raise ``Options/inMemoryLimit`` or use a file.
/// - **Directory**: an extracted archive (with `checkpoint/` inside) or a bare CRIU images
///   directory (with `inventory.img` at top level). Links resolve on the host file system, but
///   never outside ``root``.
///
/// Nothing is ever extracted to disk and no big member is ever held whole.
public struct CheckpointSource: Sendable {
    /// What kind of source was opened.
    public enum Kind: Hashable, Sendable {
        /// A directory on the host.
        case directory
        /// A tar file, plain (`.none`) or compressed.
        case tar(Compression)
        /// A tar read from standard input, plain or compressed; readable once.
        case stdin(Compression)
    }

    /// Limits and choices for ``CheckpointSource/open(path:options:)``.
    public struct Options: Hashable, Sendable {
        /// Compressed archives and stdin: regular members of at most this many bytes are kept
        /// in memory while indexing. Default 16 MiB.
        public var inMemoryLimit: UInt64
        /// Compressed archives and stdin: the most bytes kept in memory in all. Default 512 MiB.
        public var retainedLimit: UInt64
        /// Compressed archives and stdin: the most decompressed bytes a pass may produce
        /// (headers and data); beyond it, ``ArchiveError/Code/tooLarge``. Default 1 TiB.
        public var maxUncompressedBytes: UInt64
        /// The most members an index may hold; beyond it, ``ArchiveError/Code/tooLarge``.
        /// Default 1,000,000.
        public var maxMembers: Int
        /// Directories only: the directory links may not leave. `nil` chooses: the opened
        /// directory itself when it holds `checkpoint/`, else (a bare CRIU images directory,
        /// whose `parent` link points at a sibling such as `../pre2`) its parent directory.
        public var root: String?
        /// Called as an archive is read: by the indexing pass of ``CheckpointSource/open(path:options:)``
        /// and by every later pass over a compressed archive (`stream`, reads of big members), with the
        /// archive bytes consumed so far (compressed bytes for a compressed archive) and the archive's
        /// size, or 0 when the size is not known (stdin). `done` restarts from 0 with each pass.
        ///
        /// Calls come from the reading thread, once per block read (256 KiB for compressed
        /// archives); throttle any drawing. Directories and reads of plain tars by position make no
        /// calls. The reporter takes no part in equality or hashing of the options.
        public var progress: (@Sendable (_ done: UInt64, _ total: UInt64) -> Void)? {
            get { reporter.body }
            set { reporter = ProgressReporter(body: newValue) }
        }
        private var reporter: ProgressReporter

        /// Creates options; every argument has the documented default.
        public init(
            inMemoryLimit: UInt64 = 16 << 20, retainedLimit: UInt64 = 512 << 20,
            maxUncompressedBytes: UInt64 = 1 << 40, maxMembers: Int = 1_000_000, root: String? = nil,
            progress: (@Sendable (_ done: UInt64, _ total: UInt64) -> Void)? = nil
        ) {
            self.inMemoryLimit = inMemoryLimit
            self.retainedLimit = retainedLimit
            self.maxUncompressedBytes = maxUncompressedBytes
            self.maxMembers = maxMembers
            self.root = root
            self.reporter = ProgressReporter(body: progress)
        }
    }

    /// Holds ``Options/progress``: every reporter compares equal, so options that differ only in
    /// their reporter are equal (a reporter does not change what is read).
    struct ProgressReporter: Hashable, Sendable {
        var body: (@Sendable (_ done: UInt64, _ total: UInt64) -> Void)?

        static func == (lhs: Self, rhs: Self) -> Bool { true }
        func hash(into hasher: inout Hasher) {}
    }

    /// The path as given (`-` for stdin).
    public let path: String
    /// What was opened.
    public let kind: Kind
    /// Every member in archive order (directories: a sorted recursive walk that does not
    /// follow links). A later member with the same path shadows an earlier one in lookups.
    public let members: [ArchiveMember]
    /// Where CRIU's images live: `"checkpoint"` in engine archives, `""` in a bare images
    /// directory or an archive of one (recognised by `inventory.img` at top level).
    public let imagesDirectory: String
    /// The options the source was opened with.
    public let options: Options
    /// Directories only: the absolute directory links may not leave (see ``Options/root``).
    public let root: String?

    let file: OpenFile?
    let retained: [Int: [UInt8]]
    /// Descriptors of a directory's member files, opened once and reused by every read.
    let openFiles = OpenFileCache()
    let byPath: [[UInt8]: Int]
    let implicitDirectories: Set<[UInt8]>
    /// Directories only: the opened directory's absolute path.
    let base: String?
    /// Raw bytes read while indexing (tests check that plain tars are indexed by seeking).
    let indexBytesRead: UInt64
    /// stdin: the bytes read from it (its size, for a stream read to its end).
    public let streamBytes: UInt64?
    /// Where the archive stops being readable, if it does: ``members`` then holds what was indexed
    /// before that point, and reads of the damaged member, past what was read intact, fail with
    /// ``ArchiveDamage/error``.
    public let damage: ArchiveDamage?
    /// A ``subtree(_:)`` of a tar: the index in the tar stream of each member, and the normalised
    /// path of the directory the members are named relative to (with its trailing `/`), for
    /// passes over the whole stream. Nil for a source of its own.
    let stream: (indices: [Int], prefix: [UInt8])?

    /// Opens a checkpoint source and indexes its members.
    ///
    /// - Parameters:
    ///   - path: a tar file (plain, gzip, zstd, bzip2 or xz, told apart by magic bytes), a
    ///     directory, or `-` for standard input.
    ///   - options: limits; see ``Options``.
    /// - Throws: ``ArchiveError`` with `.notFound`, `.notAnArchive` (also for an empty file),
    ///   `.corrupt`, `.truncated` (naming the member), `.tooLarge`, `.unsupportedCompression`,
    ///   `.invalidArgument` or `.io`.
    public static func open(path: String, options: Options = Options()) throws(ArchiveError) -> CheckpointSource {
        try open(path: path, options: options, visitor: nil)
    }

    /// Opens a checkpoint source like ``open(path:options:)``, handing the data of every member the
    /// indexing pass does not keep (page dumps, big members) to `visitor` as the pass decompresses
    /// it, so that one pass over a compressed archive or stdin serves both the index and the reads.
    /// Plain tars and directories are indexed without reading data: `visitor` is never called.
    public static func open(path: String, options: Options = Options(), visitor: MemberVisitor?) throws(ArchiveError) -> CheckpointSource {
        if path == "-" {
            return try openStream(fileDescriptor: 0, name: "-", options: options, visitor: visitor)
        }
        let status: POSIX.Status?
        switch POSIX.status(path) {
        case .success(let s): status = s
        case .failure(let f):
            throw ArchiveError(.io, source: path, message: "cannot stat: \(POSIX.message(f.errorNumber))")
        }
        guard let status else {
            throw ArchiveError(.notFound, source: path, message: "no such file or directory")
        }
        if status.kind == .directory {
            return try openDirectory(path: path, options: options)
        }
        return try open(file: try OpenFile.open(path, source: path), path: path, options: options, visitor: visitor)
    }

    /// Opens an archive stored as a member (an OCI image layer inside an `oci-archive`, a
    /// container's archive inside a pod checkpoint), reading it in place: through the outer file
    /// for a plain tar or a directory; from memory for a member of a compressed archive or stdin
    /// that the indexing pass kept (at most ``Options/inMemoryLimit`` bytes), so that no second
    /// pass over the outer archive is needed.
    ///
    /// - Throws: ``ArchiveError``: `.notSeekable` for a bigger member of a compressed archive
    ///   (it could only be read by decompressing the outer archive again for every read; the
    ///   message says to decompress the outer archive first), or as ``open(path:options:)``.
    public func openNested(_ member: ArchiveMember, options: Options = Options()) throws(ArchiveError) -> CheckpointSource {
        let target = try dataMember(member)
        let label = path + ":" + target.escapedName
        if let dataOffset = target.dataOffset, let file {
            return try Self.open(file: OpenFile(region: dataOffset..<dataOffset + target.size, of: file), path: label, options: options)
        }
        if let filePath = target.filePath {
            // Named by the directory as the user gave it (and where it is inside).
            return try Self.open(file: OpenFile.open(filePath, source: label), path: path + "/" + target.escapedName, options: options)
        }
        if let index = target.index, let data = retained[index] {
            return try Self.open(file: OpenFile(memory: data), path: label, options: options)
        }
        let compression: String = switch kind {
        case .tar(let c), .stdin(let c): c.rawValue
        case .directory: "none"
        }
        throw ArchiveError(
            .notSeekable, source: path, member: target.escapedName,
            message: "this \(target.size)-byte archive inside a \(compression)-compressed archive is larger than the \(self.options.inMemoryLimit)-byte in-memory limit "
                + "and cannot be read in place; decompress the outer archive first (a plain tar is read in place)")
    }

    static func open(file: OpenFile, path: String, options: Options, visitor: MemberVisitor? = nil) throws(ArchiveError) -> CheckpointSource {
        if file.size == 0 {
            throw ArchiveError(.notAnArchive, source: path, message: "empty file (0 bytes)")
        }
        var prefix = [UInt8](repeating: 0, count: Int(min(UInt64(Compression.detectionLength), file.size)))
        let got = prefix.withUnsafeMutableBytes { file.read(into: $0, at: 0) }
        guard case .success(let n) = got, n == prefix.count else {
            throw ArchiveError(.io, source: path, offset: 0, message: "cannot read the first bytes")
        }
        guard let compression = Compression.detect(prefix) else {
            throw ArchiveError(
                .notAnArchive, source: path, offset: 0,
                message: "no tar or compression magic (starts with \(hex(prefix.prefix(8))))")
        }
        let input = ArchiveInput(.file(file), blockSize: compression == .none ? 16 << 10 : 256 << 10, progress: options.progress)
        let index = try Indexer.run(
            input: input, compression: compression, source: path, options: options,
            plain: compression == .none ? file : nil, visitor: visitor)
        return CheckpointSource(
            path: path, kind: .tar(compression), index: index, options: options, file: file)
    }

    /// Opens a tar stream from a file descriptor that is read once (stdin).
    static func openStream(fileDescriptor fd: Int32, name: String, options: Options, visitor: MemberVisitor? = nil) throws(ArchiveError) -> CheckpointSource {
        var prefix = [UInt8](repeating: 0, count: Compression.detectionLength)
        let got = prefix.withUnsafeMutableBytes { POSIX.readFully(fd, $0) }
        let n: Int
        switch got {
        case .success(let count): n = count
        case .failure(let f): throw ArchiveError(.io, source: name, message: "read failed: \(POSIX.message(f.errorNumber))")
        }
        prefix.removeSubrange(n...)
        if n == 0 { throw ArchiveError(.notAnArchive, source: name, message: "empty input (0 bytes)") }
        guard let compression = Compression.detect(prefix) else {
            throw ArchiveError(
                .notAnArchive, source: name, offset: 0,
                message: "no tar or compression magic (starts with \(hex(prefix.prefix(8))))")
        }
        let input = ArchiveInput(.stream(fd: fd), pending: prefix, blockSize: 256 << 10, progress: options.progress)
        let index = try Indexer.run(input: input, compression: compression, source: name, options: options, plain: nil, visitor: visitor)
        return CheckpointSource(path: name, kind: .stdin(compression), index: index, options: options, file: nil, streamBytes: index.bytesRead)
    }

    /// `pages-N.img` and GPU page images: bulk memory, never kept in memory by the indexer.
    static func isPageData(_ path: [UInt8]) -> Bool {
        let name = path.split(separator: UInt8(ascii: "/")).last.map { String(decoding: $0, as: UTF8.self) } ?? ""
        return (name.hasPrefix("pages-") && name.hasSuffix(".img")) || name.hasPrefix("amdgpu-pages-")
    }

    /// The source as indexed so far by a pass that is still running (see ``MemberVisitor``): small
    /// members read from memory; nothing else can be read.
    init(provisional index: Indexer.Result, path: String, compression: Compression, options: Options) {
        self.init(path: path, kind: .stdin(compression), index: index, options: options, file: nil)
    }

    init(path: String, kind: Kind, index: Indexer.Result, options: Options, file: OpenFile?, root: String? = nil, base: String? = nil,
         streamBytes: UInt64? = nil, stream: (indices: [Int], prefix: [UInt8])? = nil) {
        self.path = path
        self.stream = stream
        self.damage = index.damage
        self.streamBytes = streamBytes
        self.kind = kind
        self.members = index.members
        self.retained = index.retained
        self.options = options
        self.file = file
        self.root = root
        self.base = base
        self.indexBytesRead = index.bytesRead
        var byPath: [[UInt8]: Int] = [:]
        byPath.reserveCapacity(index.members.count)
        var directories = Set<[UInt8]>()
        for (i, member) in index.members.enumerated() {
            byPath[member.pathBytes] = i
            var prefix = member.pathBytes[...]
            while let slash = prefix.lastIndex(of: UInt8(ascii: "/")) {
                prefix = prefix[..<slash]
                if !directories.insert(Array(prefix)).inserted { break }
            }
        }
        self.byPath = byPath
        self.implicitDirectories = directories
        let checkpoint = Array("checkpoint".utf8)
        if directories.contains(checkpoint) || byPath[checkpoint] != nil {
            imagesDirectory = "checkpoint"
        } else if byPath[Array("inventory.img".utf8)] != nil {
            imagesDirectory = ""
        } else if byPath[Array("pre-checkpoint/inventory.img".utf8)] != nil {
            // A pre-checkpoint exported on its own (Podman `--pre-checkpoint --export`).
            imagesDirectory = "pre-checkpoint"
        } else {
            imagesDirectory = "checkpoint"
        }
    }

    /// The size in bytes of the archive file (of the member, for an archive opened with
    /// ``openNested(_:options:)``); nil for directories, stdin and a ``subtree(_:)``.
    public var archiveSize: UInt64? {
        guard stream == nil, case .tar = kind else { return nil }
        return file?.size
    }

    /// Whether the source at `path` would be read by position (a directory or a plain tar) rather
    /// than decompressed (a compressed tar, stdin), from its magic bytes, without indexing it.
    public static func isSeekable(path: String) -> Bool {
        if path == "-" { return false }
        guard case .success(let status?) = POSIX.status(path) else { return true }
        if status.kind == .directory { return true }
        guard let file = try? OpenFile.open(path, source: path) else { return true }
        var prefix = [UInt8](repeating: 0, count: Int(min(UInt64(Compression.detectionLength), file.size)))
        _ = prefix.withUnsafeMutableBytes { file.read(into: $0, at: 0) }
        return Compression.detect(prefix) == Compression.none
    }

    /// Whether positional reads of big members are cheap (plain tar and directories).
    public var isSeekable: Bool {
        switch kind {
        case .directory, .tar(.none): true
        case .tar, .stdin: false
        }
    }
}

func hex(_ bytes: some Collection<UInt8>) -> String {
    bytes.map { byte in
        let digits = Array("0123456789abcdef")
        return String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0xf)])
    }.joined(separator: " ")
}

/// One indexing pass over a tar stream.
enum Indexer {
    struct Result {
        var members: [ArchiveMember] = []
        var retained: [Int: [UInt8]] = [:]
        var bytesRead: UInt64 = 0
        var damage: ArchiveDamage?
    }

    /// Indexes a tar stream. With `plain`, data is skipped by seeking and each member's data
    /// offset recorded; otherwise small members are kept and big ones drained (or handed to
    /// `visitor`, which may want their data as it streams by).
    ///
    /// Damage (a truncated input, a damaged stream or header) ends the index where it is met:
    /// the members before it are kept and the damage is recorded in the result. An archive with no
    /// readable member, and a limit exceeded, throw.
    static func run(
        input: ArchiveInput, compression: Compression, source: String,
        options: CheckpointSource.Options, plain: OpenFile?, visitor: MemberVisitor? = nil
    ) throws(ArchiveError) -> Result {
        // A plain tar is indexed by seeking over data on this thread; a compressed stream (or stdin)
        // is decompressed on a thread of its own while this one indexes.
        if plain != nil {
            var reader = try TarReader(input: input, compression: compression, source: source)
            return try index(&reader, input: input, compression: compression, source: source, options: options, plain: plain, visitor: visitor)
        }
        var reader = try PipedTarReader(input: input, compression: compression, source: source)
        let result = try index(&reader, input: input, compression: compression, source: source, options: options, plain: plain, visitor: visitor)
        _ = consume reader  // the producer has finished with `input` before its byte count is read
        var finished = result
        finished.bytesRead = input.bytesRead
        return finished
    }

    private static func index<Reader: TarStreaming & ~Copyable>(
        _ reader: inout Reader, input: ArchiveInput, compression: Compression, source: String,
        options: CheckpointSource.Options, plain: OpenFile?, visitor: MemberVisitor?
    ) throws(ArchiveError) -> Result {
        var result = Result()
        var retainedTotal: UInt64 = 0
        let streamOnly: Bool = if case .stream = input.origin { true } else { false }
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 << 10, alignment: 16)
        defer { scratch.deallocate() }
        /// The member whose data is being read, and how much of it has been read.
        var current: (index: Int, read: UInt64)?
        /// Where the last member's (padded) data ends in the tar stream.
        var lastEnd: UInt64 = 0
        func damage(_ error: ArchiveError) -> ArchiveDamage {
            let fileOffset: UInt64
            if let plain { fileOffset = error.code == .truncated ? plain.size : (error.offset ?? reader.position) }
            else if error.code == .truncated, case .file(let file) = input.origin { fileOffset = file.size }
            else { fileOffset = reader.rawPosition }
            let member = current.map { result.members[$0.index] }
            return ArchiveDamage(
                code: error.code, source: source, member: member?.escapedName, memberIndex: current?.index,
                memberBytesRead: current?.read, fileOffset: fileOffset, streamOffset: plain == nil ? reader.position : nil,
                message: error.message)
        }
        do throws(ArchiveError) {
            while true {
                current = nil
                guard let header = try reader.next() else {
                    // A tar ends with zero blocks; one cut exactly at a member boundary has none, and
                    // libarchive takes the end of the input for the end of the archive.
                    if !result.members.isEmpty, reader.position <= lastEnd {
                        throw ArchiveError(.truncated, source: source, offset: reader.position,
                                           message: "the archive ends after a member, without the end-of-archive blocks: cut at a member boundary, later members are missing")
                    }
                    break
                }
                lastEnd = header.dataPosition + (header.kind == .file || header.kind == .other ? (header.size + 511) / 512 * 512 : 0)
                let index = result.members.count
                if index >= options.maxMembers {
                    throw ArchiveError(
                        .tooLarge, source: source, member: reader.currentMember, offset: header.dataPosition,
                        message: "more than \(options.maxMembers) members")
                }
                let member = ArchiveMember(
                    index: index, rawName: header.rawName, kind: header.kind, size: header.size,
                    mode: header.mode, modificationTime: header.modificationTime,
                    linkTargetBytes: header.linkTarget,
                    dataOffset: plain != nil && !header.isSparse ? header.dataPosition : nil, filePath: nil)
                result.members.append(member)
                let hasData = header.kind == .file || header.kind == .other
                if let plain {
                    // Seek over the data: it must lie inside the file, whatever the header claims.
                    let (end, overflow) = header.dataPosition.addingReportingOverflow(header.size)
                    if hasData && (overflow || end > plain.size) {
                        current = (index, plain.size > header.dataPosition ? plain.size - header.dataPosition : 0)
                        throw ArchiveError(.truncated, source: source, member: member.escapedName, offset: plain.size, message: "truncated")
                    }
                    continue
                }
                guard hasData, header.size > 0 else { continue }
                current = (index, 0)
                let budget = options.maxUncompressedBytes
                if header.dataPosition > budget || header.size > budget - header.dataPosition {
                    throw ArchiveError(
                        .tooLarge, source: source, member: member.escapedName, offset: header.dataPosition,
                        message: "\(header.size)-byte member exceeds the limit of \(budget) decompressed bytes")
                }
                // Page dumps of a file are not kept: they are streamed by a second pass when a memory
                // command needs them (or handed to the visitor now), which keeps `show` on a compressed
                // archive within the metadata's size. stdin cannot be read twice, so there they are kept
                // like any small member, unless the visitor takes them.
                let isPageData = CheckpointSource.isPageData(member.pathBytes)
                let sink = isPageData || header.size > options.inMemoryLimit
                    ? visitor?(member, { CheckpointSource(provisional: result, path: source, compression: compression, options: options) })
                    : nil
                let keep = sink == nil && header.kind == .file && header.size <= options.inMemoryLimit
                    && (streamOnly || !isPageData) && retainedTotal + header.size <= options.retainedLimit
                if keep {
                    let count = Int(header.size)
                    var filled = 0
                    let data = try [UInt8](unsafeUninitializedCapacity: count) { (buffer, initialized) throws(ArchiveError) in
                        let raw = UnsafeMutableRawBufferPointer(buffer)
                        defer { initialized = filled }
                        while filled < count {
                            let n = try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]))
                            if n == 0 { break }
                            filled += n
                            current = (index, UInt64(filled))
                        }
                    }
                    if filled < count {
                        throw ArchiveError(.truncated, source: source, member: member.escapedName, offset: reader.position, message: "truncated")
                    }
                    retainedTotal += header.size
                    result.retained[index] = data
                } else {
                    var total: UInt64 = 0
                    while let data = try reader.nextChunk(scratch: scratch) {
                        let n = data.count
                        let chunk = UnsafeRawBufferPointer(rebasing: data[..<min(n, Int(clamping: header.size - min(total, header.size)))])
                        if let sink, !chunk.isEmpty { sink(chunk) }
                        total += UInt64(n)
                        current = (index, total)
                        if reader.position > budget {
                            throw ArchiveError(
                                .tooLarge, source: source, member: member.escapedName, offset: reader.position,
                                message: "decompressed stream exceeds the limit of \(budget) bytes")
                        }
                    }
                    if total < header.size {
                        throw ArchiveError(.truncated, source: source, member: member.escapedName, offset: reader.position, message: "truncated")
                    }
                }
            }
        } catch {
            // Limits stay errors; damage before the first member leaves nothing to read.
            guard error.code == .truncated || error.code == .corrupt || error.code == .io, !result.members.isEmpty else { throw error }
            result.damage = damage(error)
        }
        result.bytesRead = input.bytesRead
        return result
    }
}

/// Called by the indexing pass of a compressed archive or stdin for each member it does not keep in
/// memory (page dumps, big members), with the member and a way to see the source as indexed so far
/// (every member before this one, small ones readable from memory). Returning a closure asks for the
/// member's data: it is called with each chunk, in order, as the pass decompresses it. Returning nil
/// lets the data go by.
public typealias MemberVisitor = (_ member: ArchiveMember, _ indexedSoFar: () -> CheckpointSource) -> ((UnsafeRawBufferPointer) -> Void)?
