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
        let file: OpenFile
        let base: UInt64
        if let dataOffset = target.dataOffset, let archiveFile = self.file {
            file = archiveFile
            base = dataOffset
        } else if let filePath = target.filePath {
            file = try OpenFile.open(filePath, source: path, member: target.escapedName, noFollow: true)
            base = 0
        } else {
            throw ArchiveError(.notSeekable, source: path, member: target.escapedName,
                               message: "the member of a compressed archive is read by streaming")
        }
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
}
