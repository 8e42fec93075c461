internal import CLibArchive
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

extension CheckpointSource {
    /// Reads bytes of a member's data at `offset` into `buffer`, without allocating: for plain tars and
    /// directories (``isSeekable``). Returns the number of bytes read (fewer only at the member's end).
    ///
    /// - Throws: ``ArchiveError`` `.notSeekable` for compressed archives and stdin (use `stream`),
    ///   `.invalidArgument` when `offset` is past the end, `.truncated` when the archive file is shorter
    ///   than its index says, `.io`.
    public func read(_ member: ArchiveMember, at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(ArchiveError) -> Int {
        let target = try dataMember(member)
        guard offset <= target.size else {
            throw ArchiveError(.invalidArgument, source: path, member: target.escapedName,
                               message: "offset \(offset) is outside the \(target.size)-byte member")
        }
        let length = Int(min(UInt64(buffer.count), target.size - offset))
        if length == 0 { return 0 }
        let window = UnsafeMutableRawBufferPointer(rebasing: buffer[..<length])
        if let index = target.index, let data = retained[index] {
            data.withUnsafeBytes { window.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[Int(offset)..<Int(offset) + length])) }
            return length
        }
        let (file, base) = try seekableFile(of: target)
        switch file.read(into: window, at: base + offset) {
        case .success(let n):
            if n < length {
                throw ArchiveError(.truncated, source: path, member: target.escapedName, offset: base + offset + UInt64(n), message: "truncated")
            }
            return n
        case .failure(let f):
            throw ArchiveError(.io, source: path, member: target.escapedName, offset: base + offset,
                               message: "read failed: \(POSIX.message(f.errorNumber))")
        }
    }

    /// Copies `count` bytes of a member's data at `offset` into the open file `descriptor` at
    /// `outputOffset`, without passing them through the caller: inside the kernel
    /// (`copy_file_range`) where the system allows, otherwise through a small buffer. For plain
    /// tars, directories and members kept in memory; the file position of `descriptor` is not used.
    ///
    /// - Returns: the number of bytes copied (fewer than `count` only at the member's end).
    /// - Throws: ``ArchiveError``: `.notSeekable` for compressed archives and stdin (use `stream`),
    ///   `.invalidArgument` when `offset` is past the end, `.truncated`, `.io` (a failed write
    ///   names the output offset).
    public func copy(
        _ member: ArchiveMember, at offset: UInt64, count: Int, to descriptor: Int32, at outputOffset: UInt64
    ) throws(ArchiveError) -> Int {
        var kernelCopy = true
        return try copy(member, at: offset, count: count, to: descriptor, at: outputOffset, kernelCopy: &kernelCopy)
    }

    /// ``copy(_:at:count:to:at:)`` for a caller making many copies into one descriptor:
    /// `kernelCopy` false skips `copy_file_range`, and a refusal by the kernel (another file
    /// system, a file system without it) sets it false, so that the refusal is met once per
    /// destination rather than once per call.
    package func copy(
        _ member: ArchiveMember, at offset: UInt64, count: Int, to descriptor: Int32, at outputOffset: UInt64,
        kernelCopy: inout Bool
    ) throws(ArchiveError) -> Int {
        let target = try dataMember(member)
        guard offset <= target.size, count >= 0 else {
            throw ArchiveError(.invalidArgument, source: path, member: target.escapedName,
                               message: "range \(offset)+\(count) is outside the \(target.size)-byte member")
        }
        let length = Int(min(UInt64(count), target.size - offset))
        if length == 0 { return 0 }
        if let index = target.index, let data = retained[index] {
            let failure = data.withUnsafeBytes { all -> ArchiveError? in
                do throws(ArchiveError) {
                    try Self.writeAll(UnsafeRawBufferPointer(rebasing: all[Int(offset)..<Int(offset) + length]), to: descriptor,
                                      at: outputOffset, source: path, member: target.escapedName)
                    return nil
                } catch {
                    return error
                }
            }
            if let failure { throw failure }
            return length
        }
        let (file, base) = try seekableFile(of: target)
        // A region of a shorter file (a truncated archive) ends where the file does.
        let available = file.size > base + offset ? file.size - (base + offset) : 0
        if available < UInt64(length) {
            throw ArchiveError(.truncated, source: path, member: target.escapedName,
                               offset: base + offset + available, message: "truncated")
        }
        var input = Int64(file.base + base + offset)
        var output = Int64(outputOffset)
        var done = 0
        // A nested archive kept in memory has no descriptor: always through the buffer.
        let inKernel = kernelCopy && file.fd >= 0
        while done < length {
            let n = inKernel ? ckpt_copy_file_range(file.fd, &input, descriptor, &output, length - done) : -1
            let err = n < 0 ? (inKernel ? errno : EXDEV) : 0
            if n > 0 {
                done += n
                continue
            }
            if n == 0 {
                throw ArchiveError(.truncated, source: path, member: target.escapedName,
                                   offset: base + offset + UInt64(done), message: "truncated")
            }
            if err == EINTR { continue }
            guard err == ENOSYS || err == EXDEV || err == EINVAL || err == EOPNOTSUPP || err == EBADF || err == EPERM else {
                throw ArchiveError(.io, source: path, member: target.escapedName, offset: outputOffset + UInt64(done),
                                   message: "copy failed: \(POSIX.message(err))")
            }
            // No in-kernel copy between these two files: through a buffer.
            if inKernel { kernelCopy = false }
            // (Alignment 16: glibc serves it with malloc; a larger one uses memalign, which
            // fragments the heap when repeated.)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 128 << 10, alignment: 16)
            defer { buffer.deallocate() }
            while done < length {
                let want = min(buffer.count, length - done)
                let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[..<want])
                switch file.read(into: chunk, at: base + offset + UInt64(done)) {
                case .success(let got) where got == want:
                    try Self.writeAll(UnsafeRawBufferPointer(chunk), to: descriptor, at: outputOffset + UInt64(done),
                                      source: path, member: target.escapedName)
                    done += got
                case .success(let got):
                    throw ArchiveError(.truncated, source: path, member: target.escapedName,
                                       offset: base + offset + UInt64(done + got), message: "truncated")
                case .failure(let f):
                    throw ArchiveError(.io, source: path, member: target.escapedName, offset: base + offset + UInt64(done),
                                       message: "read failed: \(POSIX.message(f.errorNumber))")
                }
            }
        }
        return length
    }

    /// `pwrite`s all of `bytes` at `offset`; the error names the output offset.
    static func writeAll(
        _ bytes: UnsafeRawBufferPointer, to descriptor: Int32, at offset: UInt64, source: String, member: String?
    ) throws(ArchiveError) {
        if let failure = POSIX.pwriteAll(bytes, to: descriptor, at: offset) {
            throw ArchiveError(.io, source: source, member: member, offset: offset + UInt64(failure.done),
                               message: "write failed: \(POSIX.message(failure.errorNumber))")
        }
    }

    /// The open file holding a member's data and where the data starts in it: the archive for a
    /// plain tar, the member's own file for a directory.
    /// Maps `count` bytes of a member's data at `offset` read-only and hands them to `body`, which
    /// reads them in place (no copy into a buffer of ours); the mapping is gone when it returns. For
    /// members in a file of their own or of a plain tar; nil (and `body` not called) for the others,
    /// a range outside the member, or a file now shorter than the range (which `read` reports).
    package func withMappedBytes<R>(_ member: ArchiveMember, at offset: UInt64, count: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R? {
        guard count > 0, let target = try? dataMember(member), offset <= target.size, UInt64(count) <= target.size - offset,
              target.index.map({ retained[$0] == nil }) ?? true,
              let (file, base) = try? seekableFile(of: target), file.memory == nil, file.fd >= 0 else { return nil }
        let start = file.base + base + offset
        // Only what the file holds now is mapped: reading past its end would fault (SIGBUS).
        guard let size = POSIX.size(of: file.fd), size >= start + UInt64(count) else { return nil }
        let page = UInt64(sysconf(Int32(_SC_PAGESIZE)))
        let aligned = start - start % page
        let length = Int(start - aligned) + count
        guard let mapped = mmap(nil, length, PROT_READ, MAP_SHARED | MAP_POPULATE, file.fd, off_t(aligned)), mapped != MAP_FAILED else { return nil }
        defer { munmap(mapped, length) }
        return body(UnsafeRawBufferPointer(start: mapped + Int(start - aligned), count: count))
    }

    private func seekableFile(of target: ArchiveMember) throws(ArchiveError) -> (OpenFile, UInt64) {
        if let dataOffset = target.dataOffset, let archiveFile = self.file {
            return (archiveFile, dataOffset)
        }
        if let filePath = target.filePath {
            return (try openFiles.open(filePath, source: path, member: target.escapedName), 0)
        }
        throw ArchiveError(.notSeekable, source: path, member: target.escapedName,
                           message: "the member of a compressed archive is read by streaming")
    }
}

extension POSIX {
    /// Sets the allocator up for large checkpoints (once, at the start of a command): freed large
    /// blocks are given back to the system rather than kept in the heap.
    package static func tuneAllocator() { ckpt_tune_allocator() }

    /// Opens `path` read-only inside the directory `root` as if `root` were `/` (openat2 with
    /// RESOLVE_IN_ROOT): `..`, absolute symbolic links and what they point to cannot leave it. Where
    /// the system has no openat2, each component is opened in turn without following a symbolic
    /// link (a path through one is then refused with ELOOP).
    package static func openFile(_ path: String, inRoot root: Int32) -> Result<Int32, Failure> {
        let fd = ckpt_open_in_root(root, path)
        if fd >= 0 { return .success(fd) }
        guard errno == ENOSYS else { return .failure(Failure(errorNumber: errno)) }
        var components = path.split(separator: "/").map(String.init)
        guard !components.contains(".."), !components.isEmpty else { return .failure(Failure(errorNumber: EACCES)) }
        let last = components.removeLast()
        var directory = dup(root)
        guard directory >= 0 else { return .failure(Failure(errorNumber: errno)) }
        defer { close(directory) }
        for component in components where component != "." {
            let next = openat(directory, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard next >= 0 else { return .failure(Failure(errorNumber: errno)) }
            close(directory)
            directory = next
        }
        let file = openat(directory, last, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        return file >= 0 ? .success(file) : .failure(Failure(errorNumber: errno))
    }

    /// Reads up to `buffer.count` bytes at `offset`; the count read (fewer only at the end of the file).
    package static func readAll(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) -> Result<Int, Failure> {
        preadFully(fd, buffer, offset)
    }
}
