/// Thrown inside a pass to stop it early; never escapes this module.
private struct StopPass: Error {}

extension CheckpointSource {
    /// The default cap of ``read(_:maxBytes:)``: 16 MiB, far above any metadata image.
    public static let defaultReadLimit = 16 << 20

    /// Reads a whole small member (a metadata image, `config.dump`, ...). Links are followed.
    ///
    /// Costs nothing for members kept in memory; `pread` for plain tars and directories; for a
    /// big member of a compressed archive, one pass over the archive.
    ///
    /// - Parameter maxBytes: the largest member this call returns; bigger ones throw
    ///   ``ArchiveError/Code/tooLarge`` before anything is allocated.
    /// - Throws: ``ArchiveError``: `.tooLarge`, `.notARegularFile`, `.memberNotFound` (a member
    ///   of another source, or a dangling link), `.truncated`, `.notSeekable` (stdin), `.io`.
    public func read(_ member: ArchiveMember, maxBytes: Int = defaultReadLimit) throws(ArchiveError) -> [UInt8] {
        let target = try dataMember(member)
        if target.size > UInt64(max(0, maxBytes)) {
            throw ArchiveError(
                .tooLarge, source: path, member: target.escapedName,
                message: "\(target.size)-byte member exceeds the read limit of \(maxBytes) bytes")
        }
        let data = try read(target, at: 0, count: Int(target.size))
        if data.count != Int(target.size) {
            throw ArchiveError(.truncated, source: path, member: target.escapedName,
                               offset: target.dataOffset.map { $0 + UInt64(data.count) }, message: "truncated")
        }
        return data
    }

    /// Reads `count` bytes at `offset` in a member's data; fewer at the end of the member.
    ///
    /// O(1) for plain tars and directories (`pread` at ``ArchiveMember/dataOffset`` + `offset`)
    /// and for members kept in memory. For a big member of a compressed archive this **costs a
    /// pass**: the archive is decompressed up to the end of the slice. Read many slices of
    /// such members with `stream(_:chunkSize:body:)` instead.
    ///
    /// - Throws: ``ArchiveError``: `.invalidArgument` when `offset` is past the end or `count`
    ///   is negative; otherwise as ``read(_:maxBytes:)``.
    public func read(_ member: ArchiveMember, at offset: UInt64, count: Int) throws(ArchiveError) -> [UInt8] {
        let target = try dataMember(member)
        guard count >= 0, offset <= target.size else {
            throw ArchiveError(
                .invalidArgument, source: path, member: target.escapedName,
                message: "range \(offset)+\(count) is outside the \(target.size)-byte member")
        }
        let length = Int(min(UInt64(count), target.size - offset))
        if length == 0 { return [] }
        if let index = target.index, let data = retained[index] {
            return Array(data[Int(offset)..<Int(offset) + length])
        }
        if let dataOffset = target.dataOffset, let file {
            return try pread(file, at: dataOffset + offset, count: length, member: target)
        }
        if let filePath = target.filePath {
            let file = try openFiles.open(filePath, source: path, member: target.escapedName)
            return try pread(file, at: offset, count: length, member: target)
        }
        var slice: [UInt8] = []
        slice.reserveCapacity(length)
        var position: UInt64 = 0
        let end = offset + UInt64(length)
        do {
            try pass(over: [target], chunkSize: 1 << 20) { _, chunk in
                let chunkEnd = position + UInt64(chunk.count)
                if chunkEnd > offset {
                    let from = Int(offset > position ? offset - position : 0)
                    let to = Int(min(chunkEnd, end) - position)
                    slice.append(contentsOf: chunk[from..<to])
                }
                position = chunkEnd
                if position >= end { throw StopPass() }
            }
        } catch let error as ArchiveError {
            throw error
        } catch is StopPass {
        } catch {
            throw ArchiveError(.io, source: path, member: target.escapedName, message: "\(error)")
        }
        return slice
    }

    /// Streams one member's data in chunks of at most `chunkSize` bytes. Links are followed.
    ///
    /// Plain tars and directories read with `pread`; compressed archives decompress up to the
    /// member's end (one pass). The buffer is valid only during the call to `body`.
    ///
    /// - Throws: ``ArchiveError`` as ``read(_:maxBytes:)``, or whatever `body` throws (the
    ///   stream then stops).
    public func stream(
        _ member: ArchiveMember, chunkSize: Int = 1 << 20, body: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        try stream([member], chunkSize: chunkSize) { _, chunk in try body(chunk) }
    }

    /// Streams the data of many members in **one pass**, in archive order; the second pass of
    /// a compressed archive (``open(path:options:)`` was the first).
    ///
    /// `body` receives each member (links resolved to their targets, duplicates delivered once)
    /// and its data in order, in chunks of at most `chunkSize` bytes; an empty member gets no
    /// call. Members kept in memory are delivered from memory. The pass stops after the last
    /// requested member.
    ///
    /// - Throws: ``ArchiveError`` as ``read(_:maxBytes:)`` (`.notSeekable` for a big member of
    ///   stdin), or whatever `body` throws.
    public func stream(
        _ members: [ArchiveMember], chunkSize: Int = 1 << 20,
        body: (ArchiveMember, UnsafeRawBufferPointer) throws -> Void
    ) throws {
        guard chunkSize > 0 else {
            throw ArchiveError(.invalidArgument, source: path, message: "chunk size \(chunkSize) is not positive")
        }
        var targets: [ArchiveMember] = []
        var seen = Set<ArchiveMember>()
        for member in members {
            let target = try dataMember(member)
            if seen.insert(target).inserted { targets.append(target) }
        }
        targets.sort { ($0.index ?? Int.max, $0.path) < ($1.index ?? Int.max, $1.path) }
        let needsPass = targets.contains { target in
            target.filePath == nil && target.dataOffset == nil && target.index.flatMap { retained[$0] } == nil
        }
        if needsPass {
            try pass(over: targets, chunkSize: chunkSize, body: body)
            return
        }
        for target in targets {
            if let index = target.index, let data = retained[index] {
                try deliver(data, of: target, chunkSize: chunkSize, body: body)
                continue
            }
            let file: OpenFile
            let start: UInt64
            if let dataOffset = target.dataOffset, let archive = self.file {
                file = archive
                start = dataOffset
            } else {
                file = try openFiles.open(target.filePath ?? "", source: path, member: target.escapedName)
                start = 0
            }
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(min(UInt64(chunkSize), max(target.size, 1))), alignment: 16)
            defer { buffer.deallocate() }
            var done: UInt64 = 0
            while done < target.size {
                let want = Int(min(UInt64(buffer.count), target.size - done))
                let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[..<want])
                switch file.read(into: chunk, at: start + done) {
                case .success(let n) where n == want:
                    try body(target, UnsafeRawBufferPointer(chunk))
                    done += UInt64(n)
                case .success(let n):
                    if let damage, target.index != nil, target.index == damage.memberIndex { throw damage.error }
                    throw ArchiveError(.truncated, source: path, member: target.escapedName,
                                       offset: start + done + UInt64(n), message: "truncated")
                case .failure(let f):
                    throw ArchiveError(.io, source: path, member: target.escapedName, offset: start + done,
                                       message: "read failed: \(POSIX.message(f.errorNumber))")
                }
            }
        }
    }

    // MARK: - Internals

    /// The member a read is about: validated as ours, links followed, a regular file.
    func dataMember(_ member: ArchiveMember) throws(ArchiveError) -> ArchiveMember {
        var target = member
        if member.kind == .symlink || member.kind == .hardlink {
            guard let resolved = try resolve(member) else {
                throw ArchiveError(
                    .memberNotFound, source: path, member: member.escapedName,
                    message: "link target \(ArchiveMember.escape(member.linkTargetBytes ?? [])) is not in the source")
            }
            target = resolved
        }
        guard target.kind == .file else {
            throw ArchiveError(.notARegularFile, source: path, member: target.escapedName, message: "not a regular file")
        }
        let ours: Bool =
            if let index = target.index { index < members.count && members[index] == target }
            else { kind == .directory && target.filePath != nil }
        guard ours else {
            throw ArchiveError(.memberNotFound, source: path, member: target.escapedName, message: "not a member of this source")
        }
        return target
    }

    private func pread(_ file: OpenFile, at offset: UInt64, count: Int, member: ArchiveMember) throws(ArchiveError) -> [UInt8] {
        var failure: POSIX.Failure?
        let data = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            switch file.read(into: UnsafeMutableRawBufferPointer(buffer), at: offset) {
            case .success(let n): initialized = n
            case .failure(let f): failure = f; initialized = 0
            }
        }
        if let failure {
            throw ArchiveError(.io, source: path, member: member.escapedName, offset: offset,
                               message: "read failed: \(POSIX.message(failure.errorNumber))")
        }
        if data.count < count {
            if let damage, member.index != nil, member.index == damage.memberIndex { throw damage.error }
            throw ArchiveError(.truncated, source: path, member: member.escapedName,
                               offset: offset + UInt64(data.count), message: "truncated")
        }
        return data
    }

    private func deliver(
        _ data: [UInt8], of member: ArchiveMember, chunkSize: Int,
        body: (ArchiveMember, UnsafeRawBufferPointer) throws -> Void
    ) throws {
        try data.withUnsafeBytes { all in
            var start = 0
            while start < all.count {
                let end = min(all.count, start + chunkSize)
                try body(member, UnsafeRawBufferPointer(rebasing: all[start..<end]))
                start = end
            }
        }
    }

    /// The bytes of a member's data that can be read: its size, or for the member an
    /// ``ArchiveDamage`` cut short, what was read intact before the damage.
    public func availableSize(of member: ArchiveMember) -> UInt64 {
        guard let damage, let index = member.index, index == damage.memberIndex else { return member.size }
        return min(member.size, damage.memberBytesRead ?? 0)
    }

    /// One pass over the archive file, delivering the data of `targets` (all indexed members). In a
    /// damaged archive, the damage is reported as ``ArchiveDamage/error`` when a read reaches it.
    private func pass(
        over targets: [ArchiveMember], chunkSize: Int,
        body: (ArchiveMember, UnsafeRawBufferPointer) throws -> Void
    ) throws {
        do {
            try unguardedPass(over: targets, chunkSize: chunkSize, body: body)
        } catch let error as ArchiveError where damage != nil && [.truncated, .corrupt, .io].contains(error.code) {
            throw damage!.error
        }
    }

    private func unguardedPass(
        over targets: [ArchiveMember], chunkSize: Int,
        body: (ArchiveMember, UnsafeRawBufferPointer) throws -> Void
    ) throws {
        let compression: Compression
        switch kind {
        case .tar(let c): compression = c
        case .stdin:
            let big = targets.first { $0.index.flatMap { retained[$0] } == nil }
            throw ArchiveError(
                .notSeekable, source: path, member: big?.escapedName,
                message: "stdin is read once and this \(big?.size ?? 0)-byte member was not kept in memory; raise inMemoryLimit or open a file")
        case .directory:
            throw ArchiveError(.invalidArgument, source: path, message: "a directory needs no pass")
        }
        guard let file else {
            throw ArchiveError(.notSeekable, source: path, message: "the archive cannot be read again")
        }
        // Keyed by the position in the tar stream (a subtree's members are numbered on their own).
        var wanted: [Int: ArchiveMember] = [:]
        for target in targets { if let index = target.index { wanted[stream?.indices[index] ?? index] = target } }
        let input = ArchiveInput(.file(file), blockSize: compression == .none ? 64 << 10 : 256 << 10, progress: options.progress)
        // Decompressed on a thread of its own while `body` works on the chunks before.
        var reader = try PipedTarReader(input: input, compression: compression, source: path)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        var index = 0
        while !wanted.isEmpty, let header = try reader.next() {
            defer { index += 1 }
            guard let member = wanted.removeValue(forKey: index) else { continue }
            let sameName = if let stream { ArchiveMember.normalize(header.rawName) == stream.prefix + member.pathBytes }
                else { header.rawName == member.rawName }
            guard sameName, header.size == member.size else {
                throw ArchiveError(.corrupt, source: path, member: member.escapedName, offset: header.dataPosition,
                                   message: "the archive changed since it was opened")
            }
            if let own = member.index, let data = retained[own] {
                try deliver(data, of: member, chunkSize: chunkSize, body: body)
                continue
            }
            var total: UInt64 = 0
            while let data = try reader.nextChunk(scratch: buffer) {
                total += UInt64(data.count)
                if reader.position > options.maxUncompressedBytes {
                    throw ArchiveError(.tooLarge, source: path, member: member.escapedName, offset: reader.position,
                                       message: "decompressed stream exceeds the limit of \(options.maxUncompressedBytes) bytes")
                }
                // The producer's chunk, in place: in pieces of at most `chunkSize`.
                var start = 0
                while start < data.count {
                    let end = min(data.count, start + chunkSize)
                    try body(member, UnsafeRawBufferPointer(rebasing: data[start..<end]))
                    start = end
                }
            }
            if total < member.size {
                throw ArchiveError(.truncated, source: path, member: member.escapedName, offset: reader.position, message: "truncated")
            }
        }
        if let missing = wanted.values.first {
            throw ArchiveError(.corrupt, source: path, member: missing.escapedName,
                               message: "the archive changed since it was opened")
        }
    }
}
