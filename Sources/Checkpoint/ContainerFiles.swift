public import CheckpointArchive
import CRIUImages
import Foundation

/// A file the checkpoint holds of the container's file systems: in the root file system's changes
/// (`rootfs-diff.tar`), a tmpfs CRIU saved (`tmpfs-dev-<dev>.tar.gz.img`), `/dev/shm`
/// (`devshm-checkpoint.tar`), or a volume (`volumes/<name>.tar`), with its path as the container
/// saw it.
///
/// List them with ``Checkpoint/containerFiles()`` and read them, without extracting anything,
/// with ``Checkpoint/streamContainerFiles(layers:_:chunkSize:body:)``.
public struct ContainerFile: Hashable, Sendable {
    /// Where a file is kept.
    public enum Layer: Hashable, Sendable, CustomStringConvertible {
        /// The container's changes to its image (`rootfs-diff.tar`, mounted at `/`).
        case rootfsDiff
        /// A tmpfs mount CRIU saved (the image's name, `tmpfs-dev-45.tar.gz.img`).
        case tmpfs(String)
        /// The container's `/dev/shm` (`devshm-checkpoint.tar`).
        case devshm
        /// A named volume (`volumes/<name>.tar`).
        case volume(String)

        /// `rootfs-diff`, `tmpfs tmpfs-dev-45.tar.gz.img`, `devshm`, `volume vol1`.
        public var description: String {
            switch self {
            case .rootfsDiff: "rootfs-diff"
            case .tmpfs(let image): "tmpfs " + image
            case .devshm: "devshm"
            case .volume(let name): "volume " + name
            }
        }
    }

    /// The layer the file is in.
    public var layer: Layer
    /// The archive member holding the layer (`rootfs-diff.tar`, `checkpoint/tmpfs-dev-45.tar.gz.img`;
    /// `blobs/sha256/<digest>` for the rw layer of a containerd checkpoint image).
    public var layerMember: String
    /// Where the layer is mounted in the container (`/`, `/dev`, `/dev/shm`, `/vol`); nil when the
    /// checkpoint does not say (a volume without engine metadata, a tmpfs without a mount entry).
    public var mountPoint: String?
    /// The absolute path in the container as bytes (`/data/written.txt`); for a layer whose mount
    /// point is unknown, the path inside the layer, from `/`.
    public var pathBytes: [UInt8]
    /// ``pathBytes`` escaped for display (as ``ArchiveMember/escapedName``).
    public var path: String
    /// The name as stored in the layer's tar (`./m.pid`), escaped for display.
    public var memberName: String
    /// The entry type.
    public var kind: ArchiveMember.Kind
    /// The data size in bytes (0 for links and directories).
    public var size: UInt64
    /// The permission bits (`mode & 0o7777`), setuid (0o4000) and setgid (0o2000) included.
    public var mode: UInt32
    /// The modification time, seconds since the epoch.
    public var modificationTime: Int64
    /// The target of a symbolic link (as stored) or of a hard link (a path in the container), escaped for display.
    public var linkTarget: String?
    /// True when a mount deeper in the tree covers this path (a rootfs-diff file under `/dev`
    /// with `/dev` a saved tmpfs): the container did not see it there.
    public var isShadowed: Bool
    /// The position of the entry in its layer's tar (0-based), to tell entries with the same name apart.
    public var index: Int

    /// `true` for setuid or setgid regular files.
    public var isSetID: Bool { kind == .file && mode & 0o6000 != 0 }
}

extension Checkpoint {
    /// A layer of the container's files: the archive member, its label, and where it is mounted.
    struct FileLayer {
        var layer: ContainerFile.Layer
        var member: ArchiveMember
        var mountPoint: String?
        /// The source the member is in: the checkpoint's, or a containerd image layout's (its rw layer).
        var source: CheckpointSource
    }

    /// The layers the checkpoint holds, rootfs diff first.
    func fileLayers() -> [FileLayer] {
        func member(_ path: String) -> ArchiveMember? {
            guard let m = try? source.member(named: path), let target = try? source.resolve(m), target.kind == .file else { return nil }
            return target
        }
        var layers: [FileLayer] = []
        if let m = member("rootfs-diff.tar") {
            layers.append(.init(layer: .rootfsDiff, member: m, mountPoint: "/", source: source))
        } else if let layout = imageLayout, let blobs = engine.containerdImage?.blobs,
                  let rw = blobs.first(where: { ContainerdCheckpointImage.MediaType.layers.contains($0.mediaType) }), rw.digest.hasPrefix("sha256:"),
                  let m = try? layout.member(named: "blobs/sha256/" + rw.digest.dropFirst(7)), let t = try? layout.resolve(m), t.kind == .file {
            // containerd's checkpoint image: the rw layer is a blob of the image layout.
            layers.append(.init(layer: .rootfsDiff, member: t, mountPoint: "/", source: layout))
        }
        for name in images.fileNames() where name.hasPrefix("tmpfs-") && name.hasSuffix(".tar.gz.img") {
            guard let m = try? images.member(name), m.kind == .file else { continue }
            layers.append(.init(layer: .tmpfs(name), member: m, mountPoint: tmpfsMountPoint(name), source: source))
        }
        if let m = member("devshm-checkpoint.tar") { layers.append(.init(layer: .devshm, member: m, mountPoint: "/dev/shm", source: source)) }
        let destinations = volumeDestinations()
        for m in source.members where m.kind == .file && m.path.hasPrefix("volumes/") && m.path.hasSuffix(".tar") {
            let name = String(m.path.dropFirst("volumes/".count).dropLast(4))
            layers.append(.init(layer: .volume(name), member: m, mountPoint: destinations[name], source: source))
        }
        return layers
    }

    /// The mount point of a tmpfs image: `tmpfs-dev-<dev>` matches `mnt_entry.root_dev`, the legacy
    /// `tmpfs-<mnt_id>` the mount id.
    func tmpfsMountPoint(_ image: String) -> String? {
        let isDev = image.hasPrefix("tmpfs-dev-")
        guard let number = UInt32(image.dropFirst(isDev ? "tmpfs-dev-".count : "tmpfs-".count).dropLast(".tar.gz.img".count)) else { return nil }
        let candidates = mounts.keys.sorted().flatMap { mounts[$0] ?? [] }.filter { isDev ? $0.rootDevice == number : $0.id == number }
        // Bind mounts share the device: the shortest mount point is the tmpfs itself.
        return candidates.map(\.mountPoint.description).min { ($0.count, $0) < ($1.count, $1) }
    }

    /// Where each named volume is mounted: Podman's `config.dump` `namedVolumes`, else the spec's
    /// bind mount whose source is the volume's `_data` directory.
    func volumeDestinations() -> [String: String] {
        var out: [String: String] = [:]
        func json(_ name: String) -> [String: Any]? {
            guard let m = try? source.member(named: name), let t = try? source.resolve(m), t.kind == .file,
                  let bytes = try? source.read(t) else { return nil }
            return (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
        }
        if let config = json("config.dump"), let volumes = config["namedVolumes"] as? [[String: Any]] {
            for v in volumes {
                if let name = v["volumeName"] as? String, let dest = v["dest"] as? String { out[name] = dest }
            }
        }
        if let spec = json("spec.dump"), let mounts = spec["mounts"] as? [[String: Any]] {
            for m in mounts {
                guard let source = m["source"] as? String, let dest = m["destination"] as? String,
                      let range = source.range(of: "/volumes/"), source.hasSuffix("/_data") else { continue }
                let name = String(source[range.upperBound...].dropLast("/_data".count))
                if out[name] == nil, !name.isEmpty, !name.contains("/") { out[name] = dest }
            }
        }
        return out
    }

    /// Joins a member name of a layer to the layer's mount point.
    static func containerPath(_ rawName: [UInt8], mountPoint: String?) -> [UInt8] {
        let parts = rawName.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).filter { $0 != [UInt8(ascii: ".")] }
        var base = Array((mountPoint ?? "/").utf8)
        while base.count > 1, base.last == UInt8(ascii: "/") { base.removeLast() }
        var out = base
        for part in parts {
            if out.last != UInt8(ascii: "/") { out.append(UInt8(ascii: "/")) }
            out += part
        }
        return out
    }

    /// Every file of the container the checkpoint holds, layer by layer (rootfs diff, tmpfs images,
    /// `/dev/shm`, volumes), each in its tar's order. Reads the layers' headers, not their data.
    ///
    /// - Throws: ``CheckpointError`` naming the layer's member when a layer is not a readable tar.
    public func containerFiles() throws(CheckpointError) -> [ContainerFile] {
        var files: [ContainerFile] = []
        for layer in fileLayers() {
            let members: [ArchiveMember]
            do { members = try layer.source.listNestedArchive(layer.member) } catch { throw CheckpointError(error) }
            for (i, m) in members.enumerated() { files.append(Self.file(m, index: i, in: layer)) }
        }
        return Self.markShadowed(files)
    }

    static func file(_ m: ArchiveMember, index: Int, in layer: FileLayer) -> ContainerFile {
        let path = containerPath(m.rawName, mountPoint: layer.mountPoint)
        var target = m.linkTargetBytes.map { ArchiveMember.escape($0) }
        if m.kind == .hardlink, let bytes = m.linkTargetBytes {
            target = ArchiveMember.escape(containerPath(bytes, mountPoint: layer.mountPoint))
        }
        return ContainerFile(
            layer: layer.layer, layerMember: layer.member.escapedName, mountPoint: layer.mountPoint, pathBytes: path,
            path: ArchiveMember.escape(path), memberName: ArchiveMember.escape(m.rawName), kind: m.kind, size: m.size, mode: m.mode,
            modificationTime: m.modificationTime, linkTarget: target, isShadowed: false, index: index)
    }

    /// Marks files that a deeper mount point covers.
    static func markShadowed(_ files: [ContainerFile]) -> [ContainerFile] {
        let points = Array(Set(files.compactMap(\.mountPoint)))
        return files.map { f in
            var f = f
            f.isShadowed = isShadowed(f, mountPoints: points)
            return f
        }
    }

    /// Whether a mount point deeper than the file's own layer's covers its path (the mount point's
    /// own directory in the lower layer is covered by the upper layer's root).
    static func isShadowed(_ f: ContainerFile, mountPoints: [String]) -> Bool {
        guard let own = f.mountPoint.map({ Array($0.utf8) }) else { return false }
        func covers(_ point: [UInt8], _ path: [UInt8]) -> Bool {
            point == [UInt8(ascii: "/")] || path == point
                || (path.count > point.count && path.starts(with: point) && path[point.count] == UInt8(ascii: "/"))
        }
        return mountPoints.map { Array($0.utf8) }.contains { p in p.count > own.count && covers(own, p) && covers(p, f.pathBytes) }
    }

    /// Streams the data of the container's files that `include` selects, one layer at a time, in
    /// each layer's tar order, without extracting anything: `body` is called once with an empty
    /// buffer when a selected file starts (every kind, so directories and links are seen), then
    /// once per chunk of its data (at most `chunkSize` bytes, valid only during the call).
    ///
    /// Each nested tar is read in place in a plain tar or a directory, from memory inside a
    /// compressed archive (up to ``CheckpointSource/nestedInMemoryLimit``); `layers` (nil: all)
    /// limits which are read.
    ///
    /// - Throws: ``CheckpointError`` naming the layer's member, or whatever `body` throws.
    public func streamContainerFiles(
        layers wanted: Set<ContainerFile.Layer>? = nil, _ include: (ContainerFile) -> Bool, chunkSize: Int = 1 << 20,
        body: (ContainerFile, UnsafeRawBufferPointer) throws -> Void
    ) throws {
        let layers = fileLayers()
        let points = Array(Set(layers.compactMap(\.mountPoint)))
        for layer in layers where wanted?.contains(layer.layer) ?? true {
            var index = 0
            var current: ContainerFile?
            do {
                try layer.source.streamNestedArchive(layer.member, chunkSize: chunkSize) { m, chunk in
                    if chunk.isEmpty {
                        // A member starts.
                        var f = Self.file(m, index: index, in: layer)
                        index += 1
                        f.isShadowed = Self.isShadowed(f, mountPoints: points)
                        current = include(f) ? f : nil
                        if let f = current { try body(f, chunk) }
                    } else if let f = current {
                        try body(f, chunk)
                    }
                }
            } catch let error as ArchiveError {
                throw CheckpointError(error)
            }
        }
    }
}
