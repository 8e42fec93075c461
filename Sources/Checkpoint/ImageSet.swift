public import CheckpointArchive
public import CRIUImages

/// One directory of CRIU images inside a source: the checkpoint's own, or a parent (pre-dump) set.
public struct ImageSet: Sendable {
    /// The source (archive or directory) the images live in.
    public let source: CheckpointSource
    /// The member path of the directory ("checkpoint", "pre-checkpoint", "" for a bare directory,
    /// or a path through `parent` links).
    public let directory: String
    /// How this set is named in messages (`checkpoint/`, `checkpoint/parent/`, the --previous archive...).
    public let label: String

    /// The image set at `directory` of `source`; `label` defaults to the directory, or the source's path
    /// for a bare images directory.
    public init(source: CheckpointSource, directory: String, label: String? = nil) {
        self.source = source
        self.directory = directory
        self.label = label ?? (directory.isEmpty ? source.path : directory)
    }

    /// The member path of an image of this set.
    public func path(of name: String) -> String {
        directory.isEmpty ? name : directory + "/" + name
    }

    /// The member of an image, if the set has it (links resolved inside the archive).
    public func member(_ name: String) throws(CheckpointError) -> ArchiveMember? {
        do {
            guard let member = try source.member(named: path(of: name)) else { return nil }
            return try source.resolve(member)
        } catch {
            throw CheckpointError(error)
        }
    }

    /// Reads an image's bytes, or nil when the set has no such image.
    public func read(_ name: String, maxBytes: Int = CheckpointSource.defaultReadLimit) throws(CheckpointError) -> [UInt8]? {
        guard let member = try member(name) else { return nil }
        do {
            return try source.read(member, maxBytes: maxBytes)
        } catch {
            throw CheckpointError(error)
        }
    }

    /// Frames and decodes every entry of an image as `T`; nil when the image is absent.
    public func decode<T: ImageMessage>(_ type: T.Type, _ name: String) throws(CheckpointError) -> [T]? {
        guard let bytes = try read(name) else { return nil }
        do {
            return try decodeEntries(type, from: bytes, fileName: name)
        } catch {
            throw CheckpointError(error, source: source.path, member: path(of: name))
        }
    }

    /// The first entry of a single-entry image; nil when the image is absent or holds no entry.
    public func decodeSingle<T: ImageMessage>(_ type: T.Type, _ name: String) throws(CheckpointError) -> T? {
        try decode(type, name)?.first
    }

    /// The names of the files directly inside this set's directory (not following into subdirectories).
    public func fileNames() -> [String] {
        let prefix = directory.isEmpty ? "" : directory + "/"
        var names: [String] = []
        for member in source.members where member.path.hasPrefix(prefix) {
            let rest = member.path.dropFirst(prefix.count)
            guard !rest.isEmpty, !rest.contains("/") else { continue }
            names.append(String(rest))
        }
        return names.sorted()
    }

    /// What this set's `parent` link leads to.
    public enum ParentLink: Sendable {
        /// The set has no `parent` link.
        case none
        /// The link leads to this image set, inside the same source.
        case resolved(ImageSet)
        /// The link exists but leads nowhere in the source (`checkpoint/parent -> ../pre-checkpoint`
        /// in an archive without `pre-checkpoint/`): its target, and why it does not resolve.
        case dangling(target: String, reason: String)
    }

    /// Follows the `parent` link: the parent set, a link that leads nowhere, or no link.
    public func parentLink() -> ParentLink {
        let name = path(of: "parent")
        let target = source.linkTarget(named: name).map(ArchiveMember.escape)
        do {
            guard let member = try source.member(named: name) else {
                if let target { return .dangling(target: target, reason: "leads nowhere in the \(source.kind == .directory ? "directory" : "archive")") }
                return .none
            }
            guard let resolved = try source.resolve(member), resolved.kind == .directory || member.kind == .symlink else {
                return .dangling(target: target ?? "?", reason: "does not lead to a directory")
            }
        } catch {
            return .dangling(target: target ?? "?", reason: error.message)
        }
        return .resolved(ImageSet(source: source, directory: name, label: label + "/parent"))
    }

    /// The parent image set (`parent` link), if this set has one that resolves inside the same source.
    public func parent() -> ImageSet? {
        if case .resolved(let set) = parentLink() { return set }
        return nil
    }
}
