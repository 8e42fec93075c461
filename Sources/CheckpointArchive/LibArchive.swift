// The only file that talks to libarchive. No C type leaves it.
internal import CLibArchive
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Where libarchive's bytes come from: a seekable file read with `pread`, or a stream
/// (stdin) read with `read` once, behind the bytes already taken for magic detection.
final class ArchiveInput {
    enum Origin {
        case file(OpenFile)
        case stream(fd: Int32)
        /// A byte range of a file (a tar member of a plain tar, read in place).
        case region(OpenFile, start: UInt64, size: UInt64)
        /// Bytes already in memory.
        case memory([UInt8])
    }

    let origin: Origin
    /// Bytes read before libarchive started (the detection prefix of a stream).
    private var pending: [UInt8]
    private var pendingStorage: UnsafeMutableRawBufferPointer?
    private let buffer: UnsafeMutableRawBufferPointer
    /// The next file offset to read (files only).
    private(set) var position: UInt64 = 0
    /// Raw bytes handed to libarchive by read callbacks (not counting skips).
    private(set) var bytesRead: UInt64 = 0
    /// The `errno` of a failed read, for the error libarchive then reports.
    var failure: Int32 = 0
    /// ``CheckpointSource/Options/progress``: told after each block read.
    private let progress: (@Sendable (_ done: UInt64, _ total: UInt64) -> Void)?

    init(_ origin: Origin, pending: [UInt8] = [], blockSize: Int,
         progress: (@Sendable (_ done: UInt64, _ total: UInt64) -> Void)? = nil) {
        self.origin = origin
        self.pending = pending
        self.buffer = .allocate(byteCount: blockSize, alignment: 16)
        self.progress = progress
    }

    /// Tells the reporter how far the input has been read.
    private func report() {
        guard let progress else { return }
        switch origin {
        case .file(let file): progress(position, file.size)
        case .region(_, _, let size): progress(position, size)
        case .memory(let bytes): progress(position, UInt64(bytes.count))
        case .stream: progress(bytesRead, 0)
        }
    }

    deinit {
        buffer.deallocate()
        pendingStorage?.deallocate()
    }

    fileprivate func read(_ out: UnsafeMutablePointer<UnsafeRawPointer?>) -> Int {
        if !pending.isEmpty {
            let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: pending.count, alignment: 16)
            pending.withUnsafeBytes { storage.copyMemory(from: $0) }
            pendingStorage?.deallocate()
            pendingStorage = storage
            pending = []
            out.pointee = UnsafeRawPointer(storage.baseAddress!)
            bytesRead += UInt64(storage.count)
            report()
            return storage.count
        }
        let result: Result<Int, POSIX.Failure>
        switch origin {
        case .file(let file):
            let want = Int(min(UInt64(buffer.count), file.size > position ? file.size - position : 0))
            if want == 0 { return 0 }
            result = file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<want]), at: position)
        case .region(let file, let start, let size):
            let want = Int(min(UInt64(buffer.count), size > position ? size - position : 0))
            if want == 0 { return 0 }
            result = file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<want]), at: start + position)
        case .memory(let bytes):
            let want = Int(min(UInt64(buffer.count), UInt64(bytes.count) > position ? UInt64(bytes.count) - position : 0))
            if want == 0 { return 0 }
            bytes.withUnsafeBytes { all in
                UnsafeMutableRawBufferPointer(rebasing: buffer[..<want]).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: all[Int(position)..<Int(position) + want]))
            }
            result = .success(want)
        case .stream(let fd):
            result = POSIX.readFully(fd, buffer)
        }
        switch result {
        case .success(let n):
            position += UInt64(n)
            bytesRead += UInt64(n)
            out.pointee = UnsafeRawPointer(buffer.baseAddress!)
            report()
            return n
        case .failure(let f):
            failure = f.errorNumber
            return -1
        }
    }

    /// Skips forward without reading; only for files. Never moves past the end.
    fileprivate func skip(_ request: Int64) -> Int64 {
        guard request > 0 else { return 0 }
        let size: UInt64
        switch origin {
        case .file(let file): size = file.size
        case .region(_, _, let regionSize): size = regionSize
        case .memory(let bytes): size = UInt64(bytes.count)
        case .stream: return 0
        }
        let target = min(size, position &+ UInt64(request))
        guard target > position else { return 0 }
        let skipped = target - position
        position = target
        return Int64(skipped)
    }
}

private func readCallback(
    _ archive: OpaquePointer?, _ client: UnsafeMutableRawPointer?, _ out: UnsafeMutablePointer<UnsafeRawPointer?>?
) -> la_ssize_t {
    guard let client, let out else { return -1 }
    return la_ssize_t(Unmanaged<ArchiveInput>.fromOpaque(client).takeUnretainedValue().read(out))
}

private func skipCallback(_ archive: OpaquePointer?, _ client: UnsafeMutableRawPointer?, _ request: la_int64_t) -> la_int64_t {
    guard let client else { return 0 }
    return la_int64_t(Unmanaged<ArchiveInput>.fromOpaque(client).takeUnretainedValue().skip(Int64(request)))
}

/// One tar header as libarchive decoded it.
struct TarHeader {
    var rawName: [UInt8]
    var kind: ArchiveMember.Kind
    var size: UInt64
    var mode: UInt32
    var modificationTime: Int64
    var linkTarget: [UInt8]?
    var isSparse: Bool
    /// The offset of the member's data in the (decompressed) tar stream.
    var dataPosition: UInt64
}

/// An open libarchive read handle over an ``ArchiveInput``. Mirrors `struct archive *`.
struct TarReader: ~Copyable {
    private let archive: OpaquePointer
    let input: ArchiveInput
    let source: String
    /// The escaped name of the current member, for errors.
    private(set) var currentMember: String?

    /// Opens a tar stream with only the filter `compression` needs and only the tar format.
    init(input: ArchiveInput, compression: Compression, source: String) throws(ArchiveError) {
        guard let archive = archive_read_new() else {
            throw ArchiveError(.io, source: source, message: "libarchive: out of memory")
        }
        let filter: Int32 =
            switch compression {
            case .none: archive_read_support_filter_none(archive)
            case .gzip: archive_read_support_filter_gzip(archive)
            case .zstd: archive_read_support_filter_zstd(archive)
            case .bzip2: archive_read_support_filter_bzip2(archive)
            case .xz: archive_read_support_filter_xz(archive)
            }
        if filter != ckpt_archive_ok() {
            archive_read_free(archive)
            // ARCHIVE_WARN means "through an external program": we do not spawn programs.
            throw ArchiveError(
                .unsupportedCompression, source: source,
                message: "this libarchive cannot decode \(compression.rawValue) itself")
        }
        archive_read_support_format_tar(archive)
        let client = Unmanaged.passUnretained(input).toOpaque()
        let status = archive_read_open2(archive, client, nil, readCallback, skipCallback, nil)
        if status != ckpt_archive_ok() {
            let error = Self.failure(archive, input, source, nil, status, defaultCode: .notAnArchive)
            archive_read_free(archive)
            throw error
        }
        self.archive = archive
        self.input = input
        self.source = source
    }

    deinit { archive_read_free(archive) }

    /// The decompressed bytes consumed so far: the tar stream position.
    var position: UInt64 { UInt64(max(0, archive_filter_bytes(archive, 0))) }
    /// The raw bytes taken from the input so far (compressed bytes for a compressed stream; read
    /// ahead in blocks, so at or past the point the decompressor reached).
    var rawPosition: UInt64 { UInt64(max(0, archive_filter_bytes(archive, -1))) }

    /// Advances to the next member; `nil` at the end of the archive.
    mutating func next() throws(ArchiveError) -> TarHeader? {
        var e: OpaquePointer?
        currentMember = nil  // a failure here is about the header, not the previous member
        let status = archive_read_next_header(archive, &e)
        if status == ckpt_archive_eof() { return nil }
        // OK and WARN (e.g. a name not convertible to the locale; the bytes are kept) go on;
        // RETRY (a damaged header), FAILED and FATAL stop.
        if (status != ckpt_archive_ok() && status != ckpt_archive_warn()) || e == nil {
            throw failure(status, defaultCode: .corrupt)
        }
        guard let e else { throw failure(status, defaultCode: .corrupt) }
        var name: [UInt8] = []
        if let p = archive_entry_pathname(e) {
            name = Array(UnsafeBufferPointer(start: UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), count: strlen(p)))
        } else if let p = archive_entry_pathname_utf8(e) {
            name = Array(UnsafeBufferPointer(start: UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), count: strlen(p)))
        }
        currentMember = ArchiveMember.escape(ArchiveMember.normalize(name))
        func bytes(_ p: UnsafePointer<CChar>?) -> [UInt8]? {
            guard let p else { return nil }
            return Array(UnsafeBufferPointer(start: UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), count: strlen(p)))
        }
        let hardlink = bytes(archive_entry_hardlink(e))
        let symlink = bytes(archive_entry_symlink(e))
        let type = UInt32(archive_entry_filetype(e)) & ckpt_ae_ifmt()
        let kind: ArchiveMember.Kind =
            if hardlink != nil { .hardlink }
            else if type == ckpt_ae_ifreg() { .file }
            else if type == ckpt_ae_ifdir() { .directory }
            else if type == ckpt_ae_iflnk() { .symlink }
            else { .other }
        let rawSize = archive_entry_size(e)
        if rawSize < 0 {
            throw ArchiveError(.corrupt, source: source, member: currentMember, offset: position, message: "negative size in header")
        }
        return TarHeader(
            rawName: name, kind: kind, size: UInt64(rawSize), mode: UInt32(archive_entry_perm(e)) & 0o7777,
            modificationTime: Int64(archive_entry_mtime(e)), linkTarget: hardlink ?? symlink,
            isSparse: archive_entry_sparse_count(e) > 0, dataPosition: position)
    }

    /// Reads the current member's data (holes of sparse members zero-filled); 0 at its end.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(ArchiveError) -> Int {
        let n = archive_read_data(archive, buffer.baseAddress, buffer.count)
        if n < 0 { throw failure(Int32(n), defaultCode: .corrupt) }
        return n
    }

    /// Builds an error from libarchive's last error, classified by what happened.
    func failure(_ status: Int32, defaultCode: ArchiveError.Code) -> ArchiveError {
        Self.failure(archive, input, source, currentMember, status, defaultCode: defaultCode)
    }

    private static func failure(
        _ archive: OpaquePointer, _ input: ArchiveInput, _ source: String, _ member: String?,
        _ status: Int32, defaultCode: ArchiveError.Code
    ) -> ArchiveError {
        let position = UInt64(max(0, archive_filter_bytes(archive, 0)))
        if input.failure != 0 {
            return ArchiveError(.io, source: source, member: member, offset: position,
                                message: "read failed: \(POSIX.message(input.failure))")
        }
        let text = archive_error_string(archive).map { String(cString: $0) } ?? "libarchive status \(status)"
        let lower = text.lowercased()
        let code: ArchiveError.Code
        if lower.contains("truncated") || lower.contains("premature end") || lower.contains("unexpected end") {
            code = .truncated
        } else if lower.contains("unrecognized archive format") {
            code = .notAnArchive
        } else if lower.contains("damaged") || lower.contains("corrupt") || lower.contains("failed")
            || lower.contains("invalid") || lower.contains("error") || lower.contains("checksum") {
            code = .corrupt
        } else {
            code = defaultCode
        }
        return ArchiveError(code, source: source, member: member, offset: position, message: text)
    }
}
