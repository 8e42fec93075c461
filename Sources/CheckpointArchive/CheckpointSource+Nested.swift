extension CheckpointSource {
    /// The largest nested archive read into memory when it cannot be read in place (a nested
    /// tar inside a compressed archive that was too big to keep): 256 MiB.
    public static let nestedInMemoryLimit = 256 << 20

    /// Lists a tar stored as a member (`rootfs-diff.tar`, `devshm-checkpoint.tar`, `volumes/*.tar`,
    /// `tmpfs-dev-*.tar.gz.img`) without extracting it. Compression of the nested tar is detected by
    /// magic bytes.
    ///
    /// Plain tars and directories are read in place, seeking over member data; members of a
    /// compressed archive are listed from memory (kept at open, or read up to
    /// ``nestedInMemoryLimit``). The returned members have no data offsets: they describe the
    /// nested archive, they are not readable through this source.
    ///
    /// - Throws: ``ArchiveError`` naming the outer member: `.notAnArchive`, `.corrupt`,
    ///   `.truncated`, `.tooLarge`, `.tooLarge` when more than `maxMembers` entries are listed.
    public func listNestedArchive(_ member: ArchiveMember, maxMembers: Int = 1_000_000) throws(ArchiveError) -> [ArchiveMember] {
        do {
            return try withNestedTar(member) { target, reader in
                var result: [ArchiveMember] = []
                while let header = try reader.next() {
                    if result.count >= maxMembers {
                        throw ArchiveError(.tooLarge, source: path, member: target.escapedName,
                                           message: "nested archive has more than \(maxMembers) members")
                    }
                    result.append(ArchiveMember(
                        index: nil, rawName: header.rawName, kind: header.kind, size: header.size, mode: header.mode,
                        modificationTime: header.modificationTime, linkTargetBytes: header.linkTarget, dataOffset: nil, filePath: nil))
                }
                return result
            } ?? []
        } catch let error as ArchiveError {
            throw error
        } catch {
            throw ArchiveError(.io, source: path, member: member.escapedName, message: "\(error)")
        }
    }

    /// Opens the tar stored as `member` (compression detected by magic bytes) and runs `body` with a reader
    /// over it: in place for plain tars and directories, from memory inside compressed archives (up to
    /// ``nestedInMemoryLimit``). Returns nil for an empty member.
    func withNestedTar<R>(_ member: ArchiveMember, _ body: (ArchiveMember, inout TarReader) throws -> R) throws -> R? {
        let target = try dataMember(member)
        let head = try read(target, at: 0, count: Compression.detectionLength)
        if head.isEmpty { return nil }
        guard let compression = Compression.detect(head) else {
            throw ArchiveError(.notAnArchive, source: path, member: target.escapedName, offset: 0, message: "not a tar archive")
        }
        let origin: ArchiveInput.Origin
        if let index = target.index, let data = retained[index] {
            origin = .memory(data)
        } else if let dataOffset = target.dataOffset, let file {
            origin = .region(file, start: dataOffset, size: target.size)
        } else if let filePath = target.filePath {
            let file = try openFiles.open(filePath, source: path, member: target.escapedName)
            origin = .region(file, start: 0, size: file.size)
        } else {
            origin = .memory(try read(target, maxBytes: Self.nestedInMemoryLimit))
        }
        var reader = try TarReader(input: ArchiveInput(origin, blockSize: 64 << 10), compression: compression,
                                   source: "\(path): \(target.escapedName)")
        return try body(target, &reader)
    }
}
