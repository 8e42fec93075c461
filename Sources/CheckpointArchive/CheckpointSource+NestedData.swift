extension CheckpointSource {
    /// Streams the data of every member of a tar stored as a member (`rootfs-diff.tar`,
    /// `devshm-checkpoint.tar`, `volumes/*.tar`), in one pass over the nested tar, without
    /// extracting it. Compression of the nested tar is detected by magic bytes.
    ///
    /// `body` is called once with an empty buffer when a nested member starts (every kind, so
    /// directories and links are seen too), then once per chunk of its data (at most `chunkSize`
    /// bytes; the buffer is valid only during the call). The members passed have no data offsets:
    /// they describe the nested archive, they are not readable through this source.
    ///
    /// The nested tar is read in place for plain tars and directories; inside a compressed
    /// archive it is read into memory first (up to ``nestedInMemoryLimit``), as
    /// ``listNestedArchive(_:maxMembers:)`` does.
    ///
    /// - Throws: ``ArchiveError`` naming the outer member (`.notAnArchive`, `.corrupt`,
    ///   `.truncated`, `.tooLarge`), or whatever `body` throws.
    public func streamNestedArchive(
        _ member: ArchiveMember, chunkSize: Int = 1 << 20, maxMembers: Int = 1_000_000,
        body: (ArchiveMember, UnsafeRawBufferPointer) throws -> Void
    ) throws {
        guard chunkSize > 0 else {
            throw ArchiveError(.invalidArgument, source: path, message: "chunk size \(chunkSize) is not positive")
        }
        try withNestedTar(member) { target, reader in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
            defer { buffer.deallocate() }
            var count = 0
            while let header = try reader.next() {
                count += 1
                if count > maxMembers {
                    throw ArchiveError(.tooLarge, source: path, member: target.escapedName,
                                       message: "nested archive has more than \(maxMembers) members")
                }
                let nested = ArchiveMember(
                    index: nil, rawName: header.rawName, kind: header.kind, size: header.size, mode: header.mode,
                    modificationTime: header.modificationTime, linkTargetBytes: header.linkTarget, dataOffset: nil, filePath: nil)
                try body(nested, UnsafeRawBufferPointer(start: buffer.baseAddress, count: 0))
                guard header.kind == .file else { continue }
                while true {
                    let n = try reader.read(into: buffer)
                    if n == 0 { break }
                    try body(nested, UnsafeRawBufferPointer(rebasing: buffer[..<n]))
                }
            }
        }
    }
}
