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

    /// The parent image set (`parent` link), if this set has one inside the same source.
    public func parent() throws(CheckpointError) -> ImageSet? {
        guard let link = try? source.member(named: path(of: "parent")) else { return nil }
        do {
            guard let target = try source.resolve(link), target.kind == .directory || link.kind == .symlink else { return nil }
        } catch {
            throw CheckpointError(.missingParent, source: source.path, file: path(of: "parent"),
                                  message: "the parent link does not resolve inside the archive: \(error.message)")
        }
        return ImageSet(source: source, directory: path(of: "parent"), label: label + "/parent")
    }
}
