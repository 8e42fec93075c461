extension CheckpointSource {
    /// The members under `directory`, as a source of their own named relative to it: a
    /// container's directory inside a pod checkpoint archive (`<id>-<name>/checkpoint/...`).
    ///
    /// Nothing is read or copied: a tar's subtree reads through the same file (and the members
    /// the indexing pass kept in memory), and a pass over a compressed archive still decompresses
    /// the whole stream once; a directory's subtree is the subdirectory, opened with this
    /// source's ``root`` so that links still may not leave it. Links inside the subtree resolve
    /// inside it only.
    ///
    /// - Throws: ``ArchiveError`` `.memberNotFound` when `directory` is not a directory of this
    ///   source (a symbolic link to one is refused too), or as ``open(path:options:)``.
    public func subtree(_ directory: String) throws(ArchiveError) -> CheckpointSource {
        let prefix = ArchiveMember.normalize(Array(directory.utf8))
        let shown = ArchiveMember.escape(prefix)
        let isDirectory = members.contains { $0.pathBytes == prefix && $0.kind == .directory } || implicitDirectories.contains(prefix)
        guard !prefix.isEmpty, isDirectory, !ArchiveMember.components(prefix).contains(where: { Array($0) == [0x2e, 0x2e] }) else {
            throw ArchiveError(.memberNotFound, source: path, member: shown, message: "not a directory of this source")
        }
        if kind == .directory {
            guard let base else { throw ArchiveError(.memberNotFound, source: path, member: shown, message: "not a directory of this source") }
            var options = self.options
            options.root = root
            let opened = try Self.openDirectory(path: Self.join(base, ArchiveMember.components(prefix).map { Array($0) }), options: options)
            return opened.relabelled(path + "/" + shown)
        }
        let slashed = prefix + [UInt8(ascii: "/")]
        var index = Indexer.Result()
        var streamIndices: [Int] = []
        for member in members where member.pathBytes.count > slashed.count && member.pathBytes.starts(with: slashed) {
            guard let outer = member.index else { continue }
            var link = member.linkTargetBytes
            // A hard link names an archive path: inside the subtree it is named relative to it.
            if member.kind == .hardlink, let target = link {
                let normalized = ArchiveMember.normalize(target)
                if normalized.starts(with: slashed) { link = Array(normalized.dropFirst(slashed.count)) }
            }
            let own = index.members.count
            index.members.append(ArchiveMember(
                index: own, rawName: Array(member.pathBytes.dropFirst(slashed.count)), kind: member.kind, size: member.size,
                mode: member.mode, modificationTime: member.modificationTime, linkTargetBytes: link,
                dataOffset: member.dataOffset, filePath: nil))
            if let data = retained[outer] { index.retained[own] = data }
            streamIndices.append(stream?.indices[outer] ?? outer)
        }
        return CheckpointSource(path: path + ":" + shown, kind: kind, index: index, options: options, file: file,
                                stream: (streamIndices, (stream?.prefix ?? []) + slashed))
    }

    /// The same source under another name (messages name it so).
    func relabelled(_ label: String) -> CheckpointSource {
        var index = Indexer.Result()
        index.members = members
        index.retained = retained
        index.bytesRead = indexBytesRead
        return CheckpointSource(path: label, kind: kind, index: index, options: options, file: file, root: root, base: base, stream: stream)
    }
}
