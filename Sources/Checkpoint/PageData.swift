import CheckpointArchive

/// A byte range of a pages file to read.
public struct PageRequest: Hashable, Sendable {
    /// The pages file.
    public var file: PagesFile
    /// The byte offset in the pages file.
    public var offset: UInt64
    /// The number of bytes to read.
    public var count: Int

    /// A request for `count` bytes at `offset` of `file`.
    public init(file: PagesFile, offset: UInt64, count: Int) {
        self.file = file
        self.offset = offset
        self.count = count
    }
}

extension Checkpoint {
    /// The member of a pages file.
    func member(of file: PagesFile) throws(CheckpointError) -> ArchiveMember {
        let sets = imageSets
        guard file.set < sets.count, let member = try sets[file.set].member(file.name) else {
            throw CheckpointError(.missingImage, source: path, file: file.description, message: "pages file is missing")
        }
        return member
    }

    /// Reads a small range of a pages file by position (plain tars and directories: one `pread`;
    /// a compressed archive: a pass, so callers use this only for seekable sources).
    func pageBytes(
        _ file: PagesFile, at offset: UInt64, count: Int, members: inout [PagesFile: ArchiveMember]
    ) throws(CheckpointError) -> [UInt8] {
        let member: ArchiveMember
        if let known = members[file] {
            member = known
        } else {
            member = try self.member(of: file)
            members[file] = member
        }
        do {
            return try imageSets[file.set].source.read(member, at: offset, count: count)
        } catch {
            throw CheckpointError(error)
        }
    }

    /// Reads many ranges of pages files: each file once, in file order (`pread` in large blocks for plain
    /// tars and directories, one streaming pass per source for compressed archives), never holding a
    /// pages file whole.
    public func fetch(_ requests: [PageRequest]) throws(CheckpointError) -> [[UInt8]] {
        var results = [[UInt8]](repeating: [], count: requests.count)
        var byFile: [PagesFile: [Int]] = [:]
        for (i, r) in requests.enumerated() {
            results[i].reserveCapacity(r.count)
            byFile[r.file, default: []].append(i)
        }
        try streamPieces(byFile: byFile, pieces: requests.map { ($0.file, $0.offset, UInt64($0.count)) }) { i, _, slice in
            results[i].append(contentsOf: slice)
        }
        return results
    }
}
