import CheckpointArchive

/// A byte range of a pages file to read.
public struct PageRequest: Hashable, Sendable {
    public var file: PagesFile
    public var offset: UInt64
    public var count: Int
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

    /// Reads many ranges of pages files: `pread` for plain tars and directories; one streaming pass per
    /// source for compressed archives (never holding a pages file whole).
    public func fetch(_ requests: [PageRequest]) throws(CheckpointError) -> [[UInt8]] {
        var results = [[UInt8]](repeating: [], count: requests.count)
        var byFile: [PagesFile: [Int]] = [:]
        for (i, r) in requests.enumerated() { byFile[r.file, default: []].append(i) }
        let sets = imageSets
        // Group the files by source, so each compressed source is streamed once.
        var bySource: [String: [PagesFile]] = [:]
        for file in byFile.keys { bySource[sets[file.set].source.path, default: []].append(file) }
        for (_, files) in bySource {
            let source = sets[files[0].set].source
            var members: [ArchiveMember: [PagesFile]] = [:]
            for file in files { members[try member(of: file), default: []].append(file) }
            if source.isSeekable {
                for (member, memberFiles) in members {
                    for file in memberFiles {
                        for i in byFile[file] ?? [] {
                            do {
                                results[i] = try source.read(member, at: requests[i].offset, count: requests[i].count)
                            } catch {
                                throw CheckpointError(error)
                            }
                        }
                    }
                }
                continue
            }
            // One pass: deliver each chunk to the requests it overlaps.
            var pending: [ArchiveMember: [Int]] = [:]
            for (member, memberFiles) in members {
                pending[member] = memberFiles.flatMap { byFile[$0] ?? [] }.sorted { requests[$0].offset < requests[$1].offset }
            }
            var position: [ArchiveMember: UInt64] = [:]
            do {
                try source.stream(Array(members.keys)) { member, chunk in
                    let start = position[member] ?? 0
                    let end = start + UInt64(chunk.count)
                    position[member] = end
                    for i in pending[member] ?? [] {
                        let r = requests[i]
                        let rEnd = r.offset + UInt64(r.count)
                        guard r.offset < end, rEnd > start else { continue }
                        let from = Int(max(r.offset, start) - start)
                        let to = Int(min(rEnd, end) - start)
                        results[i].append(contentsOf: chunk[from..<to])
                    }
                }
            } catch let error as ArchiveError {
                throw CheckpointError(error)
            } catch {
                throw CheckpointError(.archive, source: source.path, message: "\(error)")
            }
        }
        return results
    }
}
