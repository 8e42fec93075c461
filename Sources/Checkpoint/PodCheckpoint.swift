public import CheckpointArchive
package import CRIUImages

/// A Kubernetes pod checkpoint (KEP-5823, CRI `CheckpointPod`): the pod's facts and, for each
/// container, its CRI config and its full ``Checkpoint``.
///
/// The CRI leaves the layout to the runtime, and every writer known lays it out differently
/// (`../shared/docs/PODS.md`); ``Variant`` names them. ``open(_:options:)`` takes a pod checkpoint
/// directory, or a tar of one (plain or compressed, with or without the directory's own name as
/// the first path component), and tells the variant from the content, never from a name. Each
/// container is opened through the same code as a single-container archive: its archive is read
/// in place (``CheckpointSource/openNested(_:options:)``), its directory as a part of the pod's
/// source (``CheckpointSource/subtree(_:)``); nothing is extracted.
///
/// ```swift
/// let pod = try PodCheckpoint.open("/var/lib/kubelet/pod-checkpoints/checkpoint-web_default-2026-08-01T10:00:00Z")
/// print(pod.variant, pod.pod.name ?? "-", pod.pod.namespace ?? "-")
/// for container in pod.containers {
///     print(container.name, container.checkpoint?.processes.count ?? 0, container.error?.description ?? "")
/// }
/// ```
///
/// What cannot be read is reported rather than guessed: a container whose archive is damaged
/// keeps its ``Container/error`` and the others still open; the hard limits of ``Limits`` and an
/// unknown layout refuse the whole pod.
public struct PodCheckpoint: Sendable {
    /// The pod checkpoint layouts read, each as one writer writes it (PODS.md §1).
    public enum Variant: String, Hashable, Sendable, Codable, CaseIterable {
        /// A: CRI-O PR #10313: `checkpoint-manifest.json` version 1 with `runtime: "cri-o"` and a
        /// `sha256` per container, `pod-config.json`, `containers/<sha256(id)>.tar` (CRI-O archives).
        case crioManifest = "cri-o-manifest-v1"
        /// B: containerd PR #13822: `checkpoint-manifest.json` version 2 (no `runtime`),
        /// `pod-config.json`, `container-<sha256(id)>.tar`, each an OCI image layout with containerd's
        /// checkpoint media types.
        case containerdManifest = "containerd-manifest-v2"
        /// B0: the earlier revision of containerd PR #13822: version 1, containers `{name, id, archive}`,
        /// each `container-<sha256(id)>.tar` a containerd CRI archive.
        case containerdManifestV1 = "containerd-manifest-v1"
        /// C: CRI-O PR #9758: one tar (`./` names) with `pod.options` and a `<id>-<name>/` directory per
        /// container in CRI-O's layout.
        case crioPodArchive = "cri-o-pod-archive"
        /// D: containerd PR #12932: one tar with `pod.options`, `pod.dump` and a `<id>-<name>/` directory
        /// per container in containerd's CRI layout.
        case containerdPodArchive = "containerd-pod-archive"
        /// P: the prototypes (rst0git/containerd, pod-snapshot-controller): `checkpoint-manifest.json`
        /// `{sandboxId, containers: [names]}`, `pod-config.json`, `container-<name>.tar` (containerd CRI archives).
        case prototype = "containerd-prototype"

        /// The writer whose output this variant is, and the section of PODS.md that describes it.
        public var writer: String {
            switch self {
            case .crioManifest: "CRI-O PR #10313 (PODS.md §3)"
            case .containerdManifest: "containerd PR #13822 (PODS.md §4)"
            case .containerdManifestV1: "containerd PR #13822, earlier revision (PODS.md §4, B0)"
            case .crioPodArchive: "CRI-O PR #9758 (PODS.md §5, C)"
            case .containerdPodArchive: "containerd PR #12932 (PODS.md §5, D)"
            case .prototype: "rst0git/containerd and pod-snapshot-controller prototypes (PODS.md §1, P)"
            }
        }

        /// The runtime that writes this variant.
        public var runtime: String {
            switch self {
            case .crioManifest, .crioPodArchive: "cri-o"
            case .containerdManifest, .containerdManifestV1, .containerdPodArchive, .prototype: "containerd"
            }
        }

        /// True for the variants whose per-container parts are archives (the others hold directories).
        public var hasContainerArchives: Bool {
            switch self {
            case .crioPodArchive, .containerdPodArchive: false
            default: true
            }
        }
    }

    /// Hard limits: beyond them the pod (or the container) is refused before anything is
    /// allocated. The defaults are the writers' readers' (PODS.md §4, §8).
    public struct Limits: Hashable, Sendable {
        /// `checkpoint-manifest.json`: 16 MiB (containerd's `maxPodCheckpointManifestSize`).
        public var manifestBytes: UInt64 = 16 << 20
        /// Other JSON files (`pod-config.json`, `pod.options`, `pod.dump`): 4 MiB.
        public var jsonFileBytes: UInt64 = 4 << 20
        /// Containers: 1,024 (`maxPodCheckpointContainers`).
        public var containers = 1024
        /// One container's archive: 1 TiB (`maxCheckpointArchiveSize`).
        public var archiveBytes: UInt64 = 1 << 40
        /// Entries of one container's OCI layout tar (variant B): 100,000 (`maxCheckpointArchiveEntries`).
        public var archiveEntries = 100_000

        /// The writers' limits.
        public init() {}
    }

    /// Options for ``open(_:options:)``.
    public struct Options: Sendable {
        /// How each container's checkpoint is opened (and the pod's source: limits, progress).
        public var checkpoint: Checkpoint.Options
        /// The hard limits.
        public var limits: Limits

        /// Options; by default the checkpoint defaults and the writers' limits.
        public init(checkpoint: Checkpoint.Options = .init(), limits: Limits = .init()) {
            self.checkpoint = checkpoint
            self.limits = limits
        }
    }

    /// What the pod checkpoint says about the pod.
    public struct Pod: Hashable, Sendable {
        /// The pod's name (`PodSandboxConfig.metadata.name`, or the `org.criu.checkpoint.pod.name` annotation).
        public var name: String?
        /// The pod's namespace.
        public var namespace: String?
        /// The pod's uid.
        public var uid: String?
        /// The CRI sandbox id of the checkpointed pod (`sandboxId`, or `org.criu.checkpoint.pod.id`).
        public var sandboxID: String?
        /// `cri-o` or `containerd`: the runtime whose layout this is.
        public var runtime: String
        /// The runtime handler (variant A's `runtimeHandler`).
        public var runtimeHandler: String?
        /// The format version the manifest or `pod.options` records (none for the prototypes).
        public var formatVersion: Int64?
        /// The sandbox config (`pod-config.json`, `pod.dump`), when the checkpoint has one.
        public var config: CRIPodSandboxConfig?
        /// `pod.options` annotations (`org.criu.checkpoint.*`: engine, CRIU version, host...).
        public var annotations: [String: String]
    }

    /// One container of the pod.
    public struct Container: Sendable {
        /// The container's CRI name (`ContainerMetadata.name`: `web`).
        public var name: String
        /// The container's id, when recorded.
        public var id: String?
        /// The runtime's full name of the container (`k8s_web_pod_ns_uid_0`), in variants C and D.
        public var fullName: String?
        /// Where the container is inside the pod checkpoint: its archive (`containers/<hex>.tar`) or
        /// its directory (`<id>-<name>`).
        public var location: String
        /// The archive's SHA-256 as the manifest records it (variant A).
        public var recordedSHA256: String?
        /// The container's index in the manifest's `containers` (`pod.options` order for C and D).
        public var index: Int
        /// The CRI config the container was created with (variants A and B).
        public var config: CRIContainerConfig?
        /// The CRI status at checkpoint time (variant B's manifest; containerd's `status.dump`).
        public var status: CRIContainerStatus?
        /// The container's checkpoint; nil when it could not be opened (see ``error``).
        public var checkpoint: Checkpoint?
        /// Why the checkpoint could not be opened.
        public var error: CheckpointError?
    }

    /// The path the pod checkpoint was opened from.
    public let path: String
    /// The pod checkpoint's directory or tar as opened (``root`` is where the pod's files are in it).
    public let source: CheckpointSource
    /// The directory inside ``source`` that holds the pod's files: `""`, or the directory's own name
    /// in a tar made of it (`checkpoint-web_default-.../`).
    public let root: String
    /// The layout.
    public let variant: Variant
    /// The pod's facts.
    public let pod: Pod
    /// The containers, in the manifest's order.
    public let containers: [Container]
    /// Things that are missing or odd but do not stop the report.
    public let warnings: [String]
    /// The JSON files read (manifest, pod config, options), for ``Verifier``.
    package let documents: [PodDocument]

    /// The container with this CRI name.
    public func container(named name: String) -> Container? {
        containers.first { $0.name == name }
    }

    /// The path of a pod file inside ``source``.
    public func memberPath(_ name: String) -> String {
        root.isEmpty ? name : root + "/" + name
    }

    /// Whether `source` holds a pod checkpoint (a manifest or `pod.options` at its top, or in its
    /// only top-level directory), without reading it.
    public static func isPodCheckpoint(_ source: CheckpointSource) -> Bool {
        locate(source) != nil
    }

    /// Opens a pod checkpoint directory or a tar of one (see the type's documentation). `-` reads stdin.
    ///
    /// - Throws: ``CheckpointError``: `.archive` when the source cannot be read, `.notACheckpoint`
    ///   when it is no pod checkpoint or an unknown variant (the message names what was found),
    ///   `.limitExceeded` beyond ``Limits``, `.malformed` when the manifest or `pod.options` cannot
    ///   be read as its writer writes it.
    public static func open(_ path: String, options: Options = Options()) throws(CheckpointError) -> PodCheckpoint {
        let source: CheckpointSource
        do {
            source = try CheckpointSource.open(path: path, options: options.checkpoint.source)
        } catch {
            throw CheckpointError(error)
        }
        return try open(source: source, options: options)
    }

    /// Opens the pod checkpoint in an already opened source.
    public static func open(source: CheckpointSource, options: Options = Options()) throws(CheckpointError) -> PodCheckpoint {
        guard let (root, marker) = locate(source) else {
            throw CheckpointError(.notACheckpoint, source: source.path,
                                  message: "not a pod checkpoint: no checkpoint-manifest.json or pod.options at its top")
        }
        var reader = PodReader(source: source, root: root, options: options)
        return try reader.read(marker: marker)
    }

    /// Where a pod's files are: at the top, or in the only top-level directory; and which file marks it.
    static func locate(_ source: CheckpointSource) -> (root: String, marker: String)? {
        func marker(_ prefix: String) -> String? {
            for name in ["checkpoint-manifest.json", "pod.options"] {
                if let m = try? source.member(named: prefix + name), m.kind == .file || m.kind == .symlink { return name }
            }
            return nil
        }
        if let found = marker("") { return ("", found) }
        var tops = Set<String>()
        for member in source.members {
            guard let first = member.path.split(separator: "/", omittingEmptySubsequences: true).first else { continue }
            tops.insert(String(first))
            if tops.count > 1 { return nil }
        }
        guard let only = tops.first, source.members.contains(where: { $0.path == only && $0.kind == .directory } ),
              let found = marker(only + "/") else { return nil }
        return (only, found)
    }

    init(path: String, source: CheckpointSource, root: String, variant: Variant, pod: Pod, containers: [Container],
         warnings: [String], documents: [PodDocument]) {
        self.path = path
        self.source = source
        self.root = root
        self.variant = variant
        self.pod = pod
        self.containers = containers
        self.warnings = warnings
        self.documents = documents
    }
}

/// A JSON file of a pod checkpoint as read: for ``Verifier`` to check what the writers' readers check.
package struct PodDocument: Sendable {
    /// Its name in the pod (`checkpoint-manifest.json`).
    package var name: String
    /// Its size in bytes.
    package var size: UInt64
    /// The value (nil when it could not be parsed: see ``failure``).
    package var value: JSONValue?
    /// What is wrong but was read anyway.
    package var issues: [StrictJSON.Issue]
    /// Why it could not be parsed.
    package var failure: StrictJSON.Failure?
}
