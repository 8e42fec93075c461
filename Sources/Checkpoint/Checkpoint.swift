public import CheckpointArchive
public import CRIUImages
import Foundation

/// A container checkpoint, opened from an archive (tar, tar.gz, tar.zst, tar.bz2, tar.xz), an extracted
/// archive directory, a bare CRIU image directory, or stdin, and linked into one typed model.
///
/// ```swift
/// let checkpoint = try Checkpoint.open("checkpoint.tar.zst")
/// for process in checkpoint.processes {
///     print(process.pid, process.command, process.files.count)
/// }
/// ```
public struct Checkpoint: Sendable {
    /// Options for ``open(_:options:)``.
    public struct Options: Sendable {
        /// A separate archive or directory holding the parent (pre-dump) images, as Podman exports a
        /// pre-checkpoint next to the final checkpoint (`--import-previous`).
        public var previous: String?
        /// Options passed to the archive layer (memory limits, decompression bound), for the
        /// checkpoint and its `previous` archive. Its ``CheckpointSource/Options/progress`` reporter
        /// is told how far each archive has been read: while ``Checkpoint/open(_:options:)`` indexes
        /// it, and by every later pass over a compressed archive (memory reads, search, diff).
        public var source: CheckpointSource.Options
        /// List nested tarballs (rootfs diff, /dev/shm, volumes, tmpfs images).
        public var listNestedArchives: Bool

        /// Options; by default no separate parent archive, the archive layer's default limits, and nested tarballs listed.
        public init(previous: String? = nil, source: CheckpointSource.Options = .init(), listNestedArchives: Bool = true) {
            self.previous = previous
            self.source = source
            self.listNestedArchives = listNestedArchives
        }
    }

    /// Sizes of the archive's parts, in bytes.
    public struct Sizes: Hashable, Sendable, Codable {
        /// The archive file (compressed size for compressed archives), or the sum of files for a directory.
        public var total: UInt64
        /// CRIU's protobuf images.
        public var images: UInt64
        /// `pages-*.img`.
        public var pages: UInt64
        /// GPU plugin page images (`amdgpu-pages-*`).
        public var gpuPages: UInt64
        /// `rootfs-diff.tar`: the container's changes to its image's file system.
        public var rootfsDiff: UInt64
        /// `volumes/*.tar`: exported volume contents.
        public var volumes: UInt64
        /// `devshm-checkpoint.tar`: the container's `/dev/shm`.
        public var devshm: UInt64
        /// tmpfs tarballs CRIU wrote (`tmpfs-dev-*.tar.gz.img`).
        public var tmpfs: UInt64
    }

    /// A listed member of a nested tarball (`rootfs-diff.tar` and friends).
    public struct NestedFile: Hashable, Sendable, Codable {
        /// The member's path, escaped for display (as `ArchiveMember.escapedName`).
        public var path: String
        /// `file`, `dir`, `symlink`, `hardlink` or `other`.
        public var type: String
        /// The data size in bytes (0 for links and directories).
        public var size: UInt64
        /// The permission bits (`mode & 0o7777`).
        public var mode: UInt32
        /// The modification time, seconds since the epoch.
        public var modificationTime: Int64
        /// The target of a symbolic or hard link, escaped for display.
        public var linkTarget: String?
    }

    /// A network namespace: `netns-<id>.img` and `netdev-<id>.img`.
    public struct NetworkNamespaceInfo: Hashable, Sendable {
        /// The namespace id (the N of `netns-N.img`).
        public var id: UInt32
        /// `netns-<id>.img`, when present.
        public var namespace: NetNamespace?
        /// `netdev-<id>.img`: the namespace's network devices.
        public var devices: [NetDevice]
        /// Addresses, routes, rules and firewall rules, from the raw images (empty for an external namespace).
        public var configuration = NetworkConfiguration()
        /// True when the engine created the namespace and CRIU dumped it as external (only `ext_key`).
        public var isExternal: Bool { namespace?.externalKey != nil }
    }

    /// What the checkpoint says about how it was made.
    public struct Facts: Hashable, Sendable, Codable {
        /// CRIU's version from `dump.log`, or the lowest version whose images look like these (`>= 4.2`).
        public var criuVersion: String?
        /// How ``criuVersion`` was found: `dump.log` (exact), or the image field that decided the
        /// estimate (`core-1.img: tc.membarrier_registration_mask (CRIU >= 3.19)`).
        public var criuVersionSource: String?
        /// True when ``criuVersion`` is a lower bound estimated from the fields present, not read from a log.
        public var criuVersionIsEstimate: Bool
        /// Architecture of the dumped tasks (`core_entry.mtype`).
        public var architecture: String?
        /// The checkpoint's page size: AT_PAGESZ from the saved auxv, else the architecture default.
        public var pageSize: UInt64
        /// Where the page size came from (`auxv`, `architecture default`).
        public var pageSizeSource: String
        /// `inventory.img_version` (2 = current, 0 = pre-dump directory, 1 = ancient).
        public var imageVersion: UInt32?
        /// True for a pre-dump image set (no process tree).
        public var isPreDump: Bool
        /// Labels of the parent image sets, nearest first.
        public var parentChain: [String]
    }

    /// The path the checkpoint was opened from.
    public let path: String
    /// The archive or directory the checkpoint's members are in (for an OCI checkpoint image, the
    /// layer Podman packed the archive in, or containerd's CRIU tar).
    public let source: CheckpointSource
    /// The OCI image layout the checkpoint was read from, when it was one (``source`` is then a
    /// blob of it).
    public let imageLayout: CheckpointSource?
    /// The checkpoint's own images.
    public let images: ImageSet
    /// What the engine recorded (`config.dump`, `spec.dump`, `network.status`); engine ``Engine/criu`` for a
    /// bare image directory.
    public let engine: EngineMetadata
    /// `inventory.img`; nil when the image set has none (an incomplete directory).
    public let inventory: Inventory?
    /// Processes in tree order (depth-first, root first, as `pstree.img`).
    public let processes: [CheckpointProcess]
    /// files.img, by id.
    public let files: [UInt32: FileEntry]
    /// memfd.img inodes, by inode id (names and shared-memory ids of memfd and shared anonymous mappings).
    public let memfdInodes: [UInt32: MemFDInode]
    /// Mount namespaces: `mountpoints-<id>.img` by namespace id, each mount list in image order.
    public let mounts: [UInt32: [Mount]]
    /// Network namespaces by id: the namespace image and its devices.
    public let networkNamespaces: [UInt32: NetworkNamespaceInfo]
    /// UTS namespaces by id.
    public let utsNamespaces: [UInt32: UTSNamespace]
    /// `cgroup.img`.
    public let cgroups: Cgroups?
    /// `seccomp.img`.
    public let seccomp: Seccomp?
    /// CRIU's dump statistics (`stats-dump`).
    public let dumpStats: DumpStats?
    /// CRIU's restore statistics (`stats-restore`), when present.
    public let restoreStats: RestoreStats?
    /// `dump.log` and `restore.log`, when the archive has them.
    public let dumpLog: String?
    /// `restore.log`, when the archive has it.
    public let restoreLog: String?
    /// `deleted.files`.
    public let deletedFiles: [String]
    /// `descriptors.json`: what fds 0-2 of the container were connected to.
    public let descriptors: [String]
    /// The members of `rootfs-diff.tar` (empty when absent or not listed).
    public let rootfsDiff: [NestedFile]
    /// The members of `devshm-checkpoint.tar` (empty when absent or not listed).
    public let devshm: [NestedFile]
    /// `volumes/<name>.tar` contents, by volume name.
    public let volumes: [String: [NestedFile]]
    /// `tmpfs-dev-<dev>.tar.gz.img` contents, by file name.
    public let tmpfs: [String: [NestedFile]]
    /// Sizes of the archive's parts.
    public let sizes: Sizes
    /// How the checkpoint was made: CRIU version, architecture, page size, parent chain.
    public let facts: Facts
    /// Things that are missing or odd but do not stop the report.
    public let warnings: [String]
    /// The parent image sets (nearest first): `checkpoint/parent`, or the `--previous` archive.
    public let parents: [ImageSet]
    /// The image sets from the checkpoint's own to the oldest parent (``images`` then ``parents``).
    public let imageSets: [ImageSet]
    /// Parent image sets that the checkpoint's pages need (PE_PARENT) and that are not there: no
    /// `parent` link and no `previous` archive, a link that leads nowhere, a parent without the
    /// pagemap. Those pages read as ``MemoryHole/missingParent`` holes; everything else is read.
    public internal(set) var missingParents: [MissingParent] = []
    /// Where the archive stops being readable (a truncated or damaged archive); everything before
    /// it was read.
    public var damage: ArchiveDamage? { source.damage }
    /// Images that are present but could not be read, by member path, with the located error.
    public let unreadableImages: [String: String]
    /// Where ``processes`` came from.
    public let processTree: ProcessTreeSource
    /// Built by a pass still running (``PageStreamConsumer``): pages files not reached yet are not
    /// in the source, so page indexes are built from the pagemaps alone.
    package var isProvisional = false
    /// Address spaces built so far (``addressSpace(_:)``).
    let spaces = AddressSpaceCache()

    /// Where the process list of a checkpoint came from.
    public enum ProcessTreeSource: String, Hashable, Sendable, Codable {
        /// `pstree.img`, as CRIU wrote it.
        case pstree
        /// `pstree.img` is missing or unreadable: one process per `core-<pid>.img` that has an
        /// `mm-<pid>.img` or `ids-<pid>.img` (parents, groups, sessions and threads are unknown).
        case reconstructed
        /// A pre-dump: no process tree, no VMAs; one process per `pagemap-<pid>.img`, memory only.
        case preDump = "pre-dump"
    }

    /// A parent image set that pages of the checkpoint are in and that is not available.
    public struct MissingParent: Hashable, Sendable, Codable, CustomStringConvertible {
        /// The image set whose parent is missing (`checkpoint`, `checkpoint/parent`, ...).
        public var imageSet: String
        /// The `parent` link's target when the set has a link that leads nowhere.
        public var link: String?
        /// Why the parent is not available.
        public var reason: String
        /// Pages (PE_PARENT) that are therefore not readable.
        public var pages: UInt64
        /// Processes whose memory has such pages.
        public var pids: [UInt32]
        /// Shared-memory objects with such pages.
        public var sharedMemory: [UInt64]

        /// `N pages of pid P are in the parent pre-checkpoint of checkpoint, which is not available: REASON`.
        public var description: String {
            var whose = pids.map { "pid \($0)" }
            whose += sharedMemory.map { "shmem \($0)" }
            return "\(pages) page\(pages == 1 ? "" : "s") of \(whose.joined(separator: ", ")) \(pages == 1 ? "is" : "are") in a parent pre-checkpoint that is not available (\(reason))"
        }
    }

    /// Opens any checkpoint; see the type's documentation for what `path` may be. `-` reads stdin.
    public static func open(_ path: String, options: Options = Options()) throws(CheckpointError) -> Checkpoint {
        let source: CheckpointSource
        do {
            source = try CheckpointSource.open(path: path, options: options.source)
        } catch {
            throw CheckpointError(error)
        }
        return try open(source: source, options: options)
    }

    /// Opens the checkpoint in an already opened source: an archive, a directory, an OCI image
    /// layout, or a part of another source (a container of a pod checkpoint:
    /// ``CheckpointSource/openNested(_:options:)``, ``CheckpointSource/subtree(_:)``). The
    /// checkpoint's ``path`` is the source's.
    public static func open(source: CheckpointSource, options: Options = Options()) throws(CheckpointError) -> Checkpoint {
        try open(source: source, options: options, streaming: nil)
    }

    /// Opens the checkpoint in `source` (opened with `session`'s visitor) and delivers the pieces
    /// `session`'s consumer asks for that the opening pass did not (see ``PageStreamConsumer``).
    public static func open(source: CheckpointSource, options: Options = Options(), streaming session: PageStreamSession?) throws(CheckpointError) -> Checkpoint {
        var images = source
        var parts = EngineParts()
        var ociAnnotations: [String: String]?
        switch try OCICheckpointImage.open(source, options: options.source) {
        case .podman(let layer, let annotations)?:
            images = layer
            ociAnnotations = annotations
            parts.imageLayout = source
        case .containerd(let criu, let containerd)?:
            images = criu
            parts = containerd
        case nil:
            break
        }
        // The visitor saw an image layout's blobs, not the checkpoint's members: its pass served nothing.
        if images.path != source.path || images.members.count != source.members.count { session?.invalidate() }
        var previous: CheckpointSource?
        if let p = options.previous {
            do {
                previous = try CheckpointSource.open(path: p, options: options.source, visitor: session?.visitorFor(images))
            } catch {
                throw CheckpointError(error)
            }
        }
        session?.passesEnded()
        var loader = Loader(path: source.path, source: images, previous: previous, options: options)
        loader.ociAnnotations = ociAnnotations
        loader.parts = parts
        let checkpoint = try loader.load()
        try session?.finish(checkpoint)
        return checkpoint
    }

    init(path: String, source: CheckpointSource, images: ImageSet, engine: EngineMetadata, inventory: Inventory?,
         processes: [CheckpointProcess], files: [UInt32: FileEntry], memfdInodes: [UInt32: MemFDInode], mounts: [UInt32: [Mount]],
         networkNamespaces: [UInt32: NetworkNamespaceInfo], utsNamespaces: [UInt32: UTSNamespace],
         cgroups: Cgroups?, seccomp: Seccomp?, dumpStats: DumpStats?, restoreStats: RestoreStats?,
         dumpLog: String?, restoreLog: String?, deletedFiles: [String], descriptors: [String],
         rootfsDiff: [NestedFile], devshm: [NestedFile], volumes: [String: [NestedFile]], tmpfs: [String: [NestedFile]],
         sizes: Sizes, facts: Facts, warnings: [String], parents: [ImageSet], unreadableImages: [String: String],
         processTree: ProcessTreeSource, imageLayout: CheckpointSource?) {
        self.unreadableImages = unreadableImages
        self.processTree = processTree
        self.path = path
        self.source = source
        self.imageLayout = imageLayout
        self.images = images
        self.engine = engine
        self.inventory = inventory
        self.processes = processes
        self.files = files
        self.memfdInodes = memfdInodes
        self.mounts = mounts
        self.networkNamespaces = networkNamespaces
        self.utsNamespaces = utsNamespaces
        self.cgroups = cgroups
        self.seccomp = seccomp
        self.dumpStats = dumpStats
        self.restoreStats = restoreStats
        self.dumpLog = dumpLog
        self.restoreLog = restoreLog
        self.deletedFiles = deletedFiles
        self.descriptors = descriptors
        self.rootfsDiff = rootfsDiff
        self.devshm = devshm
        self.volumes = volumes
        self.tmpfs = tmpfs
        self.sizes = sizes
        self.facts = facts
        self.warnings = warnings
        self.parents = parents
        imageSets = [images] + parents
    }

    /// The process with this pid.
    public func process(_ pid: UInt32) -> CheckpointProcess? {
        processes.first { $0.pid == pid }
    }

    /// The children of a process, in tree order.
    public func children(of pid: UInt32) -> [CheckpointProcess] {
        processes.filter { $0.ppid == pid && $0.pid != pid }
    }

    /// The number of threads of all processes.
    public var threadCount: Int { processes.reduce(0) { $0 + $1.threads.count } }
}
