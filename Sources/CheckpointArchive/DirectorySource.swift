extension CheckpointSource {
    /// The deepest directory level a walk descends to.
    static let maxDirectoryDepth = 64

    /// Opens a directory: an extracted archive or a bare CRIU images directory.
    static func openDirectory(path: String, options: Options) throws(ArchiveError) -> CheckpointSource {
        // A directory whose absolute path is not UTF-8 (the command line tool names it by
        // `/proc/self/fd/N`) is read by the path given, and is its own root: links out of it are
        // not followed.
        let base: String
        var ownRoot = false
        switch POSIX.realPath(path) {
        case .success(let p?): base = p
        case .success(nil): base = path; ownRoot = true
        case .failure(let f):
            throw ArchiveError(.io, source: path, message: "cannot resolve: \(POSIX.message(f.errorNumber))")
        }
        var members: [ArchiveMember] = []
        try walk(base: base, relative: [], depth: 0, into: &members, source: path, options: options)
        let isBare = !members.contains { $0.pathBytes == Array("checkpoint".utf8) }
            && members.contains { $0.pathBytes == Array("inventory.img".utf8) }
        let root: String
        if let explicit = options.root {
            switch POSIX.realPath(explicit) {
            case .success(let p?): root = p
            case .success(nil):
                throw ArchiveError(.invalidArgument, source: path, message: "root \(explicit) resolves to a path that is not UTF-8")
            case .failure(let f):
                throw ArchiveError(.invalidArgument, source: path, message: "cannot resolve root \(explicit): \(POSIX.message(f.errorNumber))")
            }
            guard base == root || base.hasPrefix(root == "/" ? "/" : root + "/") else {
                throw ArchiveError(.invalidArgument, source: path, message: "the directory is not inside root \(root)")
            }
        } else if isBare && !ownRoot {
            root = parentDirectory(of: base)
        } else {
            root = base
        }
        var index = Indexer.Result()
        index.members = members
        return CheckpointSource(path: path, kind: .directory, index: index, options: options, file: nil, root: root, base: base)
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    static func join(_ directory: String, _ components: [[UInt8]]) -> String {
        var result = directory
        for component in components {
            if !result.hasSuffix("/") { result += "/" }
            result += String(decoding: component, as: UTF8.self)
        }
        return result
    }

    /// Appends the entries under `base/relative`, sorted, depth first, without following links.
    private static func walk(
        base: String, relative: [[UInt8]], depth: Int, into members: inout [ArchiveMember],
        source: String, options: Options
    ) throws(ArchiveError) {
        let directory = join(base, relative)
        let names: [[UInt8]]
        switch POSIX.listDirectory(directory) {
        case .success(let n): names = n
        case .failure(let f):
            throw ArchiveError(.io, source: source, member: relative.isEmpty ? nil : ArchiveMember.escape(relative.joined(separator: [0x2f])),
                               message: "cannot list directory: \(POSIX.message(f.errorNumber))")
        }
        for name in names {
            let components = relative + [name]
            let rawName = Array(components.joined(separator: [UInt8(ascii: "/")]))
            let filePath = join(base, components)
            let status: POSIX.Status
            switch POSIX.lstatus(filePath) {
            case .success(.some(let s)): status = s
            case .success(.none): continue  // vanished while listing
            case .failure(let f):
                throw ArchiveError(.io, source: source, member: ArchiveMember.escape(rawName),
                                   message: "cannot stat: \(POSIX.message(f.errorNumber))")
            }
            if members.count >= options.maxMembers {
                throw ArchiveError(.tooLarge, source: source, message: "more than \(options.maxMembers) entries")
            }
            var target: [UInt8]?
            if status.kind == .symlink, case .success(let t) = POSIX.readLink(filePath) { target = t }
            members.append(ArchiveMember(
                index: members.count, rawName: rawName, kind: status.kind,
                size: status.kind == .file ? status.size : 0, mode: status.mode,
                modificationTime: status.modificationTime, linkTargetBytes: target,
                dataOffset: nil, filePath: filePath))
            if status.kind == .directory {
                if depth + 1 >= maxDirectoryDepth {
                    throw ArchiveError(.tooLarge, source: source, member: ArchiveMember.escape(rawName),
                                       message: "directories nested deeper than \(maxDirectoryDepth) levels")
                }
                try walk(base: base, relative: components, depth: depth + 1, into: &members, source: source, options: options)
            }
        }
    }
}
