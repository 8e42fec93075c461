import CheckpointArchive
import Foundation

/// A checkpoint packed as an OCI image (`podman container checkpoint --create-image`, then
/// `podman save --format oci-archive`, or buildah from an archive): an image layout directory or an
/// `oci-archive` tar whose single layer holds the checkpoint archive's members.
struct OCICheckpointImage {
    /// The layer's source, opened in place.
    var layer: CheckpointSource
    /// Annotations of the manifest and of its index entry (`org.criu.checkpoint.*`, `io.podman.annotations.checkpoint.*`).
    var annotations: [String: String]

    /// Recognises an OCI layout (`oci-layout` + `index.json`) in `source`; nil when it is not one.
    static func open(_ source: CheckpointSource, options: CheckpointSource.Options) throws(CheckpointError) -> OCICheckpointImage? {
        func member(_ name: String) -> ArchiveMember? {
            guard let m = try? source.member(named: name), let target = try? source.resolve(m), target.kind == .file else { return nil }
            return target
        }
        guard member("oci-layout") != nil, let indexMember = member("index.json") else { return nil }
        func json(_ m: ArchiveMember, _ what: String) throws(CheckpointError) -> [String: Any] {
            let bytes: [UInt8]
            do { bytes = try source.read(m, maxBytes: 4 << 20) } catch { throw CheckpointError(error) }
            guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
                throw CheckpointError(.notACheckpoint, source: source.path, file: m.escapedName, message: "\(what) is not a JSON object")
            }
            return object
        }
        func blob(_ digest: String?) throws(CheckpointError) -> ArchiveMember {
            guard let digest, digest.hasPrefix("sha256:"), digest.dropFirst(7).allSatisfy(\.isHexDigit) else {
                throw CheckpointError(.notACheckpoint, source: source.path, file: "index.json", message: "unsupported or missing digest \(digest ?? "-")")
            }
            guard let m = member("blobs/sha256/" + digest.dropFirst(7)) else {
                throw CheckpointError(.missingImage, source: source.path, file: "blobs/sha256/" + digest.dropFirst(7), message: "blob is missing")
            }
            return m
        }
        let index = try json(indexMember, "index.json")
        guard let manifests = index["manifests"] as? [[String: Any]], !manifests.isEmpty else {
            throw CheckpointError(.notACheckpoint, source: source.path, file: "index.json", message: "no manifests")
        }
        // Prefer a manifest annotated as a checkpoint.
        let chosen = manifests.first { m in
            ((m["annotations"] as? [String: String]) ?? [:]).keys.contains { $0.hasPrefix("org.criu.checkpoint") || $0.hasPrefix("io.podman.annotations.checkpoint") }
        } ?? manifests[0]
        var annotations = chosen["annotations"] as? [String: String] ?? [:]
        let manifest = try json(try blob(chosen["digest"] as? String), "manifest")
        for (k, v) in manifest["annotations"] as? [String: String] ?? [:] { annotations[k] = v }
        guard let layers = manifest["layers"] as? [[String: Any]], let last = layers.last else {
            throw CheckpointError(.notACheckpoint, source: source.path, file: "manifest", message: "the image has no layers")
        }
        let layerMember = try blob(last["digest"] as? String)
        do {
            return OCICheckpointImage(layer: try source.openNested(layerMember, options: options), annotations: annotations)
        } catch {
            throw CheckpointError(error)
        }
    }
}
