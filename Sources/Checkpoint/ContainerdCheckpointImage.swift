import CheckpointArchive
import CRIUImages
import Foundation

/// What containerd's own checkpoint image says: `ctr container checkpoint --task --rw --image`
/// (and the per-container archive of containerd's pod checkpoints, PODS.md §4), exported as an
/// OCI image layout.
///
/// Such an image is not one layer holding an archive: its checkpoint index lists the CRIU
/// images as an uncompressed tar (`application/vnd.containerd.container.criu.checkpoint.criu.tar`),
/// the container's OCI runtime spec inside a protobuf `Any`
/// (`…checkpoint.config.v1+proto`), runc's checkpoint options (`…checkpoint.options.v1+proto`),
/// the runtime options (`…checkpoint.runtime.options+proto`), the container's rw layer
/// (`application/vnd.oci.image.layer.v1.tar+gzip`) and the manifest of the image the container
/// ran. ``Checkpoint`` reads the CRIU images from the tar, the spec from the protobuf, the root
/// file system changes from the rw layer, and names the base image from that manifest.
public struct ContainerdCheckpointImage: Hashable, Sendable, Codable {
    /// One descriptor of the image layout.
    public struct Blob: Hashable, Sendable, Codable {
        /// The descriptor's media type.
        public var mediaType: String
        /// `sha256:<hex>`.
        public var digest: String
        /// The size the descriptor records.
        public var size: UInt64
        /// Where the descriptor is: `index.json/manifests[0]/manifests[3]`.
        public var reference: String
        /// The descriptor's annotations.
        public var annotations: [String: String]
    }

    /// runc's checkpoint options (`containerd.runc.v1.CheckpointOptions`), as the shim received them.
    public struct CheckpointOptions: Hashable, Sendable, Codable {
        /// Field 1 `exit`: the container was stopped after the dump (false: left running).
        public var exit: Bool = false
        /// Field 2 `open_tcp`: established TCP connections were dumped (CRIU `--tcp-established`).
        public var openTCP: Bool = false
        /// Field 3 `external_unix_sockets`: CRIU `--ext-unix-sk`.
        public var externalUnixSockets: Bool = false
        /// Field 4 `terminal`: CRIU `--shell-job`.
        public var terminal: Bool = false
        /// Field 5 `file_locks`: CRIU `--file-locks`.
        public var fileLocks: Bool = false
        /// Field 6 `empty_namespaces`: namespaces CRIU was told to leave empty.
        public var emptyNamespaces: [String] = []
        /// Field 7 `cgroups_mode` (`soft`, `full`, `strict`, `ignore`), empty when unset.
        public var cgroupsMode: String = ""
        /// Field 8 `image_path`, empty when unset.
        public var imagePath: String = ""
        /// Field 9 `work_path`, empty when unset.
        public var workPath: String = ""
    }

    /// `io.containerd.image.name` of the layout's `index.json` entry: the checkpoint image's own name
    /// (`checkpoint/nfx-ck:c1`).
    public var imageName: String?
    /// `org.opencontainers.image.ref.name` of that entry (`c1`).
    public var referenceName: String?
    /// The image the container ran (`localhost/nfxbb:latest`), from the annotations of the base
    /// image's manifest descriptor, else of the checkpoint index.
    public var baseImage: String?
    /// The digest of the base image's manifest, when the index names one.
    public var baseImageManifest: String?
    /// True when the base image's layers are in the layout too (`--image`).
    public var baseImageIncluded: Bool
    /// `io.containerd.checkpoint.runtime` (`io.containerd.runc.v2`).
    public var runtime: String?
    /// `io.containerd.checkpoint.snapshotter` (`overlayfs`).
    public var snapshotter: String?
    /// The type URL of the config blob's `Any` (`types.containerd.io/opencontainers/runtime-spec/1/Spec`).
    public var specType: String?
    /// The type URL of the runtime options' `Any` (`containerd.runc.v1.Options`).
    public var runtimeOptionsType: String?
    /// runc's checkpoint options; nil when the index has none (older `ctr task checkpoint` images).
    public var checkpointOptions: CheckpointOptions?
    /// The annotations of the checkpoint index.
    public var annotations: [String: String]
    /// Every descriptor, in the order they are listed.
    public var blobs: [Blob]
    /// Facts of the layout's `index.json` a reader checks: its `schemaVersion`, whether it has
    /// annotations, and how many manifests it lists.
    public var outerIndex: OuterIndex

    /// The layout's `index.json`.
    public struct OuterIndex: Hashable, Sendable, Codable {
        /// `schemaVersion`, when it is an integer.
        public var schemaVersion: Int?
        /// True when `index.json` itself has annotations.
        public var hasAnnotations: Bool
        /// The number of manifests listed.
        public var manifestCount: Int
    }

    /// Media types of containerd's checkpoint images (`core/images/mediatypes.go`).
    public enum MediaType {
        /// The CRIU image directory as an uncompressed tar.
        public static let criuTar = "application/vnd.containerd.container.criu.checkpoint.criu.tar"
        /// A protobuf `Any` holding the container's OCI runtime spec.
        public static let config = "application/vnd.containerd.container.checkpoint.config.v1+proto"
        /// runc's `CheckpointOptions` in a protobuf `Any`.
        public static let options = "application/vnd.containerd.container.checkpoint.options.v1+proto"
        /// The runtime's options in a protobuf `Any`.
        public static let runtimeOptions = "application/vnd.containerd.container.checkpoint.runtime.options+proto"
        /// The rw layer (also the base image's layers).
        public static let gzipLayer = "application/vnd.oci.image.layer.v1.tar+gzip"
        /// The layer media types whose first descriptor is the container's rw layer (its rootfs diff).
        static let layers: Set<String> = [gzipLayer, "application/vnd.oci.image.layer.v1.tar", "application/vnd.oci.image.layer.v1.tar+zstd"]
        /// An OCI image index.
        public static let index = "application/vnd.oci.image.index.v1+json"
        /// An OCI image manifest.
        public static let manifest = "application/vnd.oci.image.manifest.v1+json"
    }
}

/// The parts of a checkpoint that do not come from the source its CRIU images are in: containerd's
/// checkpoint image keeps the spec, the rw layer and the options in blobs of their own.
struct EngineParts {
    /// Engine files made from other records (`spec.dump` from the config blob).
    var files: [String: [UInt8]] = [:]
    /// The container's root file system changes and the source they are in.
    var rootfsDiff: (source: CheckpointSource, member: ArchiveMember)?
    /// The size of what the user opened, when the images source is only a part of it.
    var totalSize: UInt64?
    /// containerd's checkpoint image facts.
    var containerd: ContainerdCheckpointImage?
    /// The OCI layout the checkpoint was read from.
    var imageLayout: CheckpointSource?
    /// Problems met while reading the parts; the checkpoint opens without what they name.
    var warnings: [String] = []
}

extension ContainerdCheckpointImage {
    /// Reads a checkpoint index (`manifests` of `index`) of `layout`: the CRIU tar opened in place,
    /// the spec, the rw layer. `reference` is where the index is (`index.json/manifests[0]`).
    static func read(
        index: [String: Any], reference: String, outer: OuterIndex, entryAnnotations: [String: String],
        layout: CheckpointSource, options: CheckpointSource.Options,
        blob: (String?, String) throws(CheckpointError) -> ArchiveMember,
        json: (ArchiveMember, String) throws(CheckpointError) -> [String: Any]
    ) throws(CheckpointError) -> (images: CheckpointSource, parts: EngineParts) {
        let descriptors = index["manifests"] as? [[String: Any]] ?? []
        let indexAnnotations = (index["annotations"] as? [String: Any])?.compactMapValues { $0 as? String } ?? [:]
        var info = ContainerdCheckpointImage(
            imageName: entryAnnotations["io.containerd.image.name"], referenceName: entryAnnotations["org.opencontainers.image.ref.name"],
            baseImage: nil, baseImageManifest: nil, baseImageIncluded: false,
            runtime: indexAnnotations["io.containerd.checkpoint.runtime"], snapshotter: indexAnnotations["io.containerd.checkpoint.snapshotter"],
            specType: nil, runtimeOptionsType: nil, checkpointOptions: nil, annotations: indexAnnotations, blobs: [], outerIndex: outer)
        var parts = EngineParts()
        var criu: ArchiveMember?
        for (i, d) in descriptors.enumerated() {
            let mediaType = d["mediaType"] as? String ?? ""
            let digest = d["digest"] as? String ?? ""
            let size = (d["size"] as? NSNumber)?.uint64Value ?? 0
            let annotations = (d["annotations"] as? [String: Any])?.compactMapValues { $0 as? String } ?? [:]
            let at = "\(reference)/manifests[\(i)]"
            info.blobs.append(Blob(mediaType: mediaType, digest: digest, size: size, reference: at, annotations: annotations))
            switch mediaType {
            case MediaType.criuTar:
                if criu == nil { criu = try blob(digest, at) }
            case MediaType.config:
                let bytes = try readBlob(try blob(digest, at), in: layout)
                do {
                    let any = try ProtobufAny.decode(bytes)
                    info.specType = any.typeURL
                    if any.typeURL.hasSuffix("opencontainers/runtime-spec/1/Spec") {
                        parts.files["spec.dump"] = any.value
                    } else {
                        parts.warnings.append("\(at) (\(MediaType.config)): type \(any.typeURL) is not an OCI runtime spec; the spec is not read")
                    }
                } catch {
                    parts.warnings.append("\(at) (\(MediaType.config)): \(error.description)")
                }
            case MediaType.options:
                do {
                    let any = try ProtobufAny.decode(try readBlob(try blob(digest, at), in: layout))
                    info.checkpointOptions = try CheckpointOptions.decode(any.value)
                } catch let error as ImageError {
                    parts.warnings.append("\(at) (\(MediaType.options)): \(error.description)")
                } catch let error as CheckpointError {
                    throw error
                } catch {}
            case MediaType.runtimeOptions:
                do {
                    info.runtimeOptionsType = try ProtobufAny.decode(try readBlob(try blob(digest, at), in: layout)).typeURL
                } catch let error as ImageError {
                    parts.warnings.append("\(at) (\(MediaType.runtimeOptions)): \(error.description)")
                } catch let error as CheckpointError {
                    throw error
                } catch {}
            case _ where MediaType.layers.contains(mediaType):
                if parts.rootfsDiff == nil { parts.rootfsDiff = (layout, try blob(digest, at)) }
            case MediaType.manifest, "application/vnd.docker.distribution.manifest.v2+json":
                info.baseImageManifest = digest
                info.baseImage = annotations["org.opencontainers.image.ref.name"]
                // The base image's layers are in the layout when it was checkpointed with --image.
                if let manifest = try? json(try blob(digest, at), "\(at) (manifest)") {
                    let layers = manifest["layers"] as? [[String: Any]] ?? []
                    info.baseImageIncluded = !layers.isEmpty && layers.allSatisfy { layer in
                        guard let d = layer["digest"] as? String, d.hasPrefix("sha256:") else { return false }
                        return (try? layout.member(named: "blobs/sha256/" + d.dropFirst(7))) != nil
                    }
                }
            default:
                break
            }
        }
        info.baseImage = info.baseImage ?? indexAnnotations["org.opencontainers.image.ref.name"] ?? indexAnnotations["image.name"]
        guard let criu else {
            throw CheckpointError(.notACheckpoint, source: layout.path, file: reference, message: "the checkpoint index has no \(MediaType.criuTar) descriptor")
        }
        let images: CheckpointSource
        do {
            images = try layout.openNested(criu, options: options)
        } catch {
            throw CheckpointError(error)
        }
        parts.containerd = info
        parts.imageLayout = layout
        parts.totalSize = layout.archiveSize
        return (images, parts)
    }

    static func readBlob(_ member: ArchiveMember, in layout: CheckpointSource) throws(CheckpointError) -> [UInt8] {
        do {
            return try layout.read(member, maxBytes: 16 << 20)
        } catch {
            throw CheckpointError(error)
        }
    }
}

extension ContainerdCheckpointImage.CheckpointOptions {
    /// Decodes `containerd.runc.v1.CheckpointOptions`; unknown fields are skipped.
    static func decode(_ bytes: [UInt8]) throws(ImageError) -> Self {
        var options = Self()
        try ProtobufAny.walk(bytes) { (reader: inout WireReader, key: FieldKey) throws(ImageError) in
            switch key.number {
            case 1: options.exit = try reader.readVarintField(key) != 0
            case 2: options.openTCP = try reader.readVarintField(key) != 0
            case 3: options.externalUnixSockets = try reader.readVarintField(key) != 0
            case 4: options.terminal = try reader.readVarintField(key) != 0
            case 5: options.fileLocks = try reader.readVarintField(key) != 0
            case 6: try reader.expectLengthDelimited(key); options.emptyNamespaces.append(try reader.readString())
            case 7: try reader.expectLengthDelimited(key); options.cgroupsMode = try reader.readString()
            case 8: try reader.expectLengthDelimited(key); options.imagePath = try reader.readString()
            case 9: try reader.expectLengthDelimited(key); options.workPath = try reader.readString()
            default: try reader.skip(key.wireType)
            }
        }
        return options
    }
}

/// `google.protobuf.Any`: field 1 `type_url`, field 2 `value`, read with the project's wire reader.
enum ProtobufAny {
    struct Decoded {
        var typeURL: String
        var value: [UInt8]
    }

    static func decode(_ bytes: [UInt8]) throws(ImageError) -> Decoded {
        var result = Decoded(typeURL: "", value: [])
        try walk(bytes) { (reader: inout WireReader, key: FieldKey) throws(ImageError) in
            switch key.number {
            case 1: try reader.expectLengthDelimited(key); result.typeURL = try reader.readString()
            case 2: try reader.expectLengthDelimited(key); result.value = try reader.readBytes()
            default: try reader.skip(key.wireType)
            }
        }
        return result
    }

    /// Calls `body` for every field of the message in `bytes`.
    static func walk(_ bytes: [UInt8], _ body: (inout WireReader, FieldKey) throws(ImageError) -> Void) throws(ImageError) {
        let result: Result<Void, ImageError> = bytes.withUnsafeBytes { raw in
            var reader = WireReader(raw)
            do throws(ImageError) {
                while let key = try reader.nextKey() { try body(&reader, key) }
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }
}
