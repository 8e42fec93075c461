internal import Synchronization
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// An open, read-only file shared by copies of a ``CheckpointSource``.
///
/// Reads use `pread` only, so concurrent readers never disturb each other's position.
final class OpenFile: Sendable {
    let fd: Int32
    let size: UInt64
    /// Where this view starts in the file (a region of another file, e.g. a tar member).
    let base: UInt64
    /// The file this is a region of; it owns the descriptor.
    let owner: OpenFile?
    /// Bytes standing in for a file (a nested archive kept in memory by the indexing pass of a
    /// compressed archive); `fd` is then -1.
    let memory: [UInt8]?

    init(fd: Int32, size: UInt64) {
        self.fd = fd
        self.size = size
        self.base = 0
        self.owner = nil
        self.memory = nil
    }

    /// A read-only "file" over bytes in memory: reads copy from them; there is no descriptor.
    init(memory bytes: [UInt8]) {
        self.fd = -1
        self.size = UInt64(bytes.count)
        self.base = 0
        self.owner = nil
        self.memory = bytes
    }

    /// A read-only view of `range` of `file`.
    init(region range: Range<UInt64>, of file: OpenFile) {
        self.fd = file.fd
        self.base = file.base + range.lowerBound
        self.size = min(UInt64(range.count), file.size > range.lowerBound ? file.size - range.lowerBound : 0)
        self.owner = file
        self.memory = file.memory
    }

    deinit { if owner == nil && fd >= 0 { _ = close(fd) } }

    /// Opens a regular file for reading.
    static func open(_ path: String, source: String, member: String? = nil, noFollow: Bool = false) throws(ArchiveError) -> OpenFile {
        let fd = path.withCString { systemOpen($0, O_RDONLY | O_CLOEXEC | (noFollow ? O_NOFOLLOW : 0)) }
        if fd < 0 {
            let err = errno
            throw ArchiveError(
                err == ENOENT ? .notFound : .io, source: source, member: member,
                message: "cannot open: \(POSIX.message(err))")
        }
        var st = stat()
        if fstat(fd, &st) != 0 {
            let err = errno
            _ = close(fd)
            throw ArchiveError(.io, source: source, member: member, message: "cannot stat: \(POSIX.message(err))")
        }
        return OpenFile(fd: fd, size: UInt64(max(0, st.st_size)))
    }

    /// Reads up to `buffer.count` bytes at `offset`, retrying short reads; fewer only at EOF.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) -> Result<Int, POSIX.Failure> {
        if let memory {
            guard offset < size else { return .success(0) }
            let count = Int(min(UInt64(buffer.count), size - offset))
            let start = Int(base + offset)
            memory.withUnsafeBytes { all in
                UnsafeMutableRawBufferPointer(rebasing: buffer[..<count]).copyMemory(from: UnsafeRawBufferPointer(rebasing: all[start..<start + count]))
            }
            return .success(count)
        }
        guard base != 0 || owner != nil else { return POSIX.preadFully(fd, buffer, offset) }
        guard offset < size else { return .success(0) }
        let count = Int(min(UInt64(buffer.count), size - offset))
        return POSIX.preadFully(fd, UnsafeMutableRawBufferPointer(rebasing: buffer[..<count]), base + offset)
    }
}

private func systemOpen(_ path: UnsafePointer<CChar>, _ flags: Int32) -> Int32 {
    open(path, flags)
}

/// Thin wrappers over the few system calls this package needs (the `package` ones serve the
/// other modules of ckpt-inspect, not the public API).
package enum POSIX {
    package struct Failure: Error {
        /// The `errno` of the failed call.
        package let errorNumber: Int32
        /// How many bytes were moved before the failure.
        package var done = 0
    }

    package static func message(_ errorNumber: Int32) -> String {
        String(cString: strerror(errorNumber))
    }

    /// `pwrite`s all of `bytes` at `offset`, retrying short writes and `EINTR`. The failure
    /// counts the bytes written before it.
    package static func pwriteAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32, at offset: UInt64) -> Failure? {
        var done = 0
        while done < bytes.count {
            let n = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                return Failure(errorNumber: errno, done: done)
            }
            done += n
        }
        return nil
    }

    static func preadFully(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, _ offset: UInt64) -> Result<Int, Failure> {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(Failure(errorNumber: errno))
            }
            if n == 0 { break }
            done += n
        }
        return .success(done)
    }

    static func readFully(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Result<Int, Failure> {
        var done = 0
        while done < buffer.count {
            let n = read(fd, buffer.baseAddress! + done, buffer.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(Failure(errorNumber: errno))
            }
            if n == 0 { break }
            done += n
        }
        return .success(done)
    }

    /// What `lstat` says about a path.
    struct Status {
        var kind: ArchiveMember.Kind
        var size: UInt64
        var mode: UInt32
        var modificationTime: Int64
    }

    /// `lstat(2)`: `nil` if the path does not exist; throws on other errors.
    static func lstatus(_ path: String) -> Result<Status?, Failure> {
        statusOf(path, follow: false)
    }

    /// The size of the open file `fd` now (`fstat`), nil when it cannot be had.
    static func size(of fd: Int32) -> UInt64? {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        return UInt64(max(0, st.st_size))
    }

    /// `stat(2)`: like ``lstatus(_:)`` but follows a final symbolic link.
    static func status(_ path: String) -> Result<Status?, Failure> {
        statusOf(path, follow: true)
    }

    private static func statusOf(_ path: String, follow: Bool) -> Result<Status?, Failure> {
        var st = stat()
        if (follow ? stat(path, &st) : lstat(path, &st)) != 0 {
            let err = errno
            if err == ENOENT || err == ENOTDIR { return .success(nil) }
            return .failure(Failure(errorNumber: err))
        }
        let format = UInt32(st.st_mode) & UInt32(S_IFMT)
        let kind: ArchiveMember.Kind =
            switch format {
            case UInt32(S_IFREG): .file
            case UInt32(S_IFDIR): .directory
            case UInt32(S_IFLNK): .symlink
            default: .other
            }
        return .success(Status(
            kind: kind, size: kind == .file || kind == .symlink ? UInt64(max(0, st.st_size)) : 0,
            mode: UInt32(st.st_mode) & 0o7777, modificationTime: Int64(st.st_mtim.tv_sec)))
    }

    /// `readlink(2)` as bytes.
    static func readLink(_ path: String) -> Result<[UInt8], Failure> {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = buffer.withUnsafeMutableBufferPointer { raw in
            raw.baseAddress!.withMemoryRebound(to: CChar.self, capacity: raw.count) {
                readlink(path, $0, raw.count)
            }
        }
        if n < 0 { return .failure(Failure(errorNumber: errno)) }
        return .success(Array(buffer[..<n]))
    }

    /// The names in a directory (without `.` and `..`), as bytes.
    package static func listDirectory(_ path: String) -> Result<[[UInt8]], Failure> {
        guard let dir = opendir(path) else { return .failure(Failure(errorNumber: errno)) }
        defer { closedir(dir) }
        var names: [[UInt8]] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw -> [UInt8] in
                Array(raw.prefix { $0 != 0 })
            }
            if name == [0x2e] || name == [0x2e, 0x2e] { continue }
            names.append(name)
        }
        return .success(names.sorted { $0.lexicographicallyPrecedes($1) })
    }

    /// `realpath(3)`.
    /// nil when the resolved path is not UTF-8 (a String cannot hold it).
    static func realPath(_ path: String) -> Result<String?, Failure> {
        guard let resolved = realpath(path, nil) else { return .failure(Failure(errorNumber: errno)) }
        defer { free(resolved) }
        return .success(String(validatingCString: resolved))
    }
}

/// The open descriptors of a directory source's member files: a read opens a file once, not once
/// per call (a memory dump reads tens of thousands of page runs). Bounded: when more than
/// `capacity` files are open, the cache is emptied and the descriptors close as their last
/// reader lets go.
final class OpenFileCache: Sendable {
    private let files = Mutex<[String: OpenFile]>([:])
    let capacity: Int

    init(capacity: Int = 64) { self.capacity = capacity }

    /// The open file at `path` (not following a final symlink), opening it on first use.
    func open(_ path: String, source: String, member: String?) throws(ArchiveError) -> OpenFile {
        if let file = files.withLock({ $0[path] }) { return file }
        let file = try OpenFile.open(path, source: source, member: member, noFollow: true)
        files.withLock { cache in
            if cache.count >= capacity { cache.removeAll(keepingCapacity: true) }
            cache[path] = file
        }
        return file
    }
}
