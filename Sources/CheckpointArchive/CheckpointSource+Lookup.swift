extension CheckpointSource {
    /// The most links one lookup follows before giving up with ``ArchiveError/Code/tooManyLinks``
    /// (Linux's `MAXSYMLINKS`).
    public static let maxLinkHops = 40

    /// Finds a member by path, following links only inside the source.
    ///
    /// `checkpoint/inventory.img` matches a member stored as `checkpoint/inventory.img` or
    /// `./checkpoint/inventory.img`, with or without a `checkpoint/` directory entry. In a bare
    /// images directory (``imagesDirectory`` is `""`), a leading `checkpoint/` is dropped if the
    /// name is not found as given. Symbolic links (`checkpoint/parent -> ../pre-checkpoint`) and
    /// hard links are followed, in every component and at the end, but only inside the archive;
    /// for a directory only inside ``root``.
    ///
    /// A member whose own name contains `..` is found by that exact name but never resolved.
    ///
    /// - Returns: the member (for a link, what it points at), or `nil` if there is none.
    /// - Throws: ``ArchiveError`` `.linkOutsideArchive` when a link points outside (an absolute
    ///   target or too many `..`), `.tooManyLinks` on a cycle, `.io` on a host error.
    public func member(named name: String) throws(ArchiveError) -> ArchiveMember? {
        try member(named: Array(name.utf8))
    }

    /// Finds a member by its name as bytes (for names that are not UTF-8). See `member(named:)`.
    public func member(named name: [UInt8]) throws(ArchiveError) -> ArchiveMember? {
        if let found = try lookup(name) { return found }
        let parts = ArchiveMember.components(name)
        if imagesDirectory.isEmpty, parts.count > 1, Array(parts[0]) == Array("checkpoint".utf8) {
            return try lookup(Array(parts.dropFirst().joined(separator: [UInt8(ascii: "/")])))
        }
        return nil
    }

    /// Finds a CRIU image by file name (`inventory.img`) in ``imagesDirectory``.
    public func image(named name: String) throws(ArchiveError) -> ArchiveMember? {
        try member(named: imagesDirectory.isEmpty ? name : imagesDirectory + "/" + name)
    }

    /// The target of the link `name` names, without following it (the link's own target, as
    /// stored): nil when `name` is not a link. Directories: read from the host with `readlink`,
    /// only inside ``root``.
    public func linkTarget(named name: String) -> [UInt8]? {
        if kind == .directory {
            guard let root, let base else { return nil }
            let parts = ArchiveMember.components(Array(name.utf8)).map { Array($0) }
            let baseParts = ArchiveMember.components(Array(base.dropFirst(root.count).utf8)).map { Array($0) }
            guard !parts.contains(Self.dotDot) else { return nil }
            guard case .success(let target) = POSIX.readLink(Self.join(root, baseParts + parts)) else { return nil }
            return target
        }
        guard let i = byPath[ArchiveMember.normalize(Array(name.utf8))] else { return nil }
        let member = members[i]
        return member.kind == .symlink || member.kind == .hardlink ? member.linkTargetBytes : nil
    }

    /// Follows a link member to what it points at, inside the source; other members are
    /// returned as they are.
    ///
    /// - Returns: the target, or `nil` if the link dangles.
    /// - Throws: as `member(named:)`.
    public func resolve(_ member: ArchiveMember) throws(ArchiveError) -> ArchiveMember? {
        switch member.kind {
        case .symlink, .hardlink: try lookup(member.pathBytes, exact: false)
        default: member
        }
    }

    private func lookup(_ name: [UInt8], exact: Bool = true) throws(ArchiveError) -> ArchiveMember? {
        if kind != .directory, exact, let i = byPath[ArchiveMember.normalize(name)] {
            switch members[i].kind {
            case .symlink, .hardlink: break
            default: return members[i]
            }
        }
        let parts = ArchiveMember.components(name).map { Array($0) }
        if kind == .directory { return try lookupOnDisk(parts) }
        return try lookupInIndex(parts)
    }

    private func outside(_ link: ArchiveMember, _ target: [UInt8]) -> ArchiveError {
        ArchiveError(
            .linkOutsideArchive, source: path, member: link.escapedName,
            message: "link target \(ArchiveMember.escape(target)) leaves the \(kind == .directory ? "root directory" : "archive")")
    }

    private func tooMany(_ name: [[UInt8]]) -> ArchiveError {
        ArchiveError(.tooManyLinks, source: path, member: ArchiveMember.escape(name.joined(separator: [0x2f])),
                     message: "more than \(Self.maxLinkHops) links (a cycle?)")
    }

    private static let dotDot: [UInt8] = [0x2e, 0x2e]

    private func lookupInIndex(_ parts: [[UInt8]]) throws(ArchiveError) -> ArchiveMember? {
        var current: [[UInt8]] = []
        var pending = Array(parts.reversed())
        var hops = 0
        var lastLink: ArchiveMember?
        while let part = pending.popLast() {
            if part == Self.dotDot {
                if current.isEmpty {
                    if let lastLink { throw outside(lastLink, lastLink.linkTargetBytes ?? []) }
                    return nil
                }
                current.removeLast()
                continue
            }
            current.append(part)
            let key = Array(current.joined(separator: [0x2f]))
            if let i = byPath[key] {
                let found = members[i]
                switch found.kind {
                case .symlink, .hardlink:
                    hops += 1
                    if hops > Self.maxLinkHops { throw tooMany(parts) }
                    guard let target = found.linkTargetBytes, !target.isEmpty else { return nil }
                    if target.first == UInt8(ascii: "/") { throw outside(found, target) }
                    lastLink = found
                    if found.kind == .symlink { current.removeLast() } else { current = [] }
                    pending.append(contentsOf: ArchiveMember.components(target).map { Array($0) }.reversed())
                case .directory:
                    continue
                default:
                    if !pending.isEmpty { return nil }
                }
            } else if implicitDirectories.contains(key) {
                continue
            } else {
                return nil
            }
        }
        if current.isEmpty { return nil }
        let key = Array(current.joined(separator: [0x2f]))
        if let i = byPath[key] { return members[i] }
        // A directory that only exists as the prefix of other members.
        return ArchiveMember(
            index: nil, rawName: key, kind: .directory, size: 0, mode: 0o755, modificationTime: 0,
            linkTargetBytes: nil, dataOffset: nil, filePath: nil)
    }

    private func lookupOnDisk(_ parts: [[UInt8]]) throws(ArchiveError) -> ArchiveMember? {
        guard let root, let base else { return nil }
        let baseParts = ArchiveMember.components(Array(base.dropFirst(root.count).utf8)).map { Array($0) }
        var current = baseParts
        var pending = Array(parts.reversed())
        var hops = 0
        var lastLink: ArchiveMember?
        var status: POSIX.Status?
        func stat(_ parts: [[UInt8]]) throws(ArchiveError) -> POSIX.Status? {
            // The root itself is where the walk starts, and may be reached through a link (the
            // `/proc/self/fd/N` name of a directory whose path is not UTF-8); below it, no link is
            // followed unchecked.
            switch parts.isEmpty ? POSIX.status(root) : POSIX.lstatus(Self.join(root, parts)) {
            case .success(let s): return s
            case .failure(let f):
                throw ArchiveError(.io, source: path, member: ArchiveMember.escape(parts.joined(separator: [0x2f])),
                                   message: "cannot stat: \(POSIX.message(f.errorNumber))")
            }
        }
        status = try stat(current)
        while let part = pending.popLast() {
            if part == Self.dotDot {
                if current.isEmpty {
                    if let lastLink { throw outside(lastLink, lastLink.linkTargetBytes ?? []) }
                    return nil
                }
                current.removeLast()
                status = try stat(current)
                continue
            }
            guard status?.kind == .directory else { return nil }
            current.append(part)
            guard let found = try stat(current) else { return nil }
            status = found
            if found.kind == .symlink {
                hops += 1
                if hops > Self.maxLinkHops { throw tooMany(parts) }
                let target: [UInt8]
                switch POSIX.readLink(Self.join(root, current)) {
                case .success(let t): target = t
                case .failure(let f):
                    throw ArchiveError(.io, source: path, member: ArchiveMember.escape(current.joined(separator: [0x2f])),
                                       message: "cannot read link: \(POSIX.message(f.errorNumber))")
                }
                let link = ArchiveMember(
                    index: nil, rawName: relative(current, to: baseParts), kind: .symlink, size: 0, mode: found.mode,
                    modificationTime: found.modificationTime, linkTargetBytes: target, dataOffset: nil,
                    filePath: Self.join(root, current))
                if target.first == UInt8(ascii: "/") || target.isEmpty { throw outside(link, target) }
                lastLink = link
                current.removeLast()
                status = try stat(current)
                pending.append(contentsOf: ArchiveMember.components(target).map { Array($0) }.reversed())
            }
        }
        guard let status else { return nil }
        let name = relative(current, to: baseParts)
        if current.starts(with: baseParts), let i = byPath[ArchiveMember.normalize(name)] {
            return members[i]
        }
        var target: [UInt8]?
        if status.kind == .symlink, case .success(let t) = POSIX.readLink(Self.join(root, current)) { target = t }
        return ArchiveMember(
            index: nil, rawName: name, kind: status.kind, size: status.size, mode: status.mode,
            modificationTime: status.modificationTime, linkTargetBytes: target, dataOffset: nil,
            filePath: Self.join(root, current))
    }

    /// `parts` relative to `base`, both relative to the root: `../pre2/pages-1.img`.
    private func relative(_ parts: [[UInt8]], to base: [[UInt8]]) -> [UInt8] {
        var common = 0
        while common < parts.count, common < base.count, parts[common] == base[common] { common += 1 }
        let ups = Array(repeating: Self.dotDot, count: base.count - common)
        return Array((ups + parts[common...]).joined(separator: [0x2f]))
    }
}
