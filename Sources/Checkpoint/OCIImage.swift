import CheckpointArchive
import Foundation

/// A checkpoint packed as an OCI image, an image layout directory or an `oci-archive` tar of one:
/// - Podman's (`podman container checkpoint --create-image`, then `podman save --format oci-archive`,
///   or buildah from an archive): the single layer of the manifest holds the checkpoint archive's members;
/// - containerd's (`ctr container checkpoint --task --rw --image`, and the per-container archive of
///   containerd's pod checkpoints): an index of separate blobs, see ``ContainerdCheckpointImage``.
enum OCICheckpointImage {
    /// Podman's layout: the layer's source, opened in place, and the annotations of the manifest
    /// and of its index entry (`org.criu.checkpoint.*`, `io.podman.annotations.checkpoint.*`).
    case podman(layer: CheckpointSource, annotations: [String: String])
    /// containerd's layout: the CRIU tar's source, opened in place, and the other parts.
    case containerd(images: CheckpointSource, parts: EngineParts)

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
        func blob(_ digest: String?, _ reference: String) throws(CheckpointError) -> ArchiveMember {
            guard let digest, digest.hasPrefix("sha256:"), digest.count == 71, digest.dropFirst(7).allSatisfy(\.isHexDigit) else {
                throw CheckpointError(.notACheckpoint, source: source.path, file: reference, message: "unsupported or missing digest \(digest ?? "-")")
            }
            guard let m = member("blobs/sha256/" + digest.dropFirst(7)) else {
                throw CheckpointError(.missingImage, source: source.path, file: "blobs/sha256/" + digest.dropFirst(7),
                                      message: "blob is missing (named by \(reference))")
            }
            return m
        }
        let index = try json(indexMember, "index.json")
        guard let manifests = index["manifests"] as? [[String: Any]], !manifests.isEmpty else {
            throw CheckpointError(.notACheckpoint, source: source.path, file: "index.json", message: "no manifests")
        }
        let outer = ContainerdCheckpointImage.OuterIndex(
            schemaVersion: (index["schemaVersion"] as? NSNumber)?.intValue, hasAnnotations: index["annotations"] != nil,
            manifestCount: manifests.count)
        func isContainerd(_ descriptors: Any?) -> Bool {
            (descriptors as? [[String: Any]] ?? []).contains { $0["mediaType"] as? String == ContainerdCheckpointImage.MediaType.criuTar }
        }
        // index.json may itself be containerd's checkpoint index.
        if isContainerd(manifests) {
            let (images, parts) = try ContainerdCheckpointImage.read(
                index: index, reference: "index.json", outer: outer, entryAnnotations: [:], layout: source, options: options, blob: blob, json: json)
            return .containerd(images: images, parts: parts)
        }
        // Prefer a manifest annotated as a checkpoint, then containerd's checkpoint index.
        let annotated = manifests.firstIndex { m in
            ((m["annotations"] as? [String: String]) ?? [:]).keys.contains { $0.hasPrefix("org.criu.checkpoint") || $0.hasPrefix("io.podman.annotations.checkpoint") }
        }
        for (i, m) in manifests.enumerated() where annotated == nil && m["mediaType"] as? String == ContainerdCheckpointImage.MediaType.index {
            let reference = "index.json/manifests[\(i)]"
            let inner = try json(try blob(m["digest"] as? String, reference), "\(reference) (image index)")
            guard isContainerd(inner["manifests"]) else { continue }
            let (images, parts) = try ContainerdCheckpointImage.read(
                index: inner, reference: reference, outer: outer, entryAnnotations: m["annotations"] as? [String: String] ?? [:],
                layout: source, options: options, blob: blob, json: json)
            return .containerd(images: images, parts: parts)
        }
        let chosen = manifests[annotated ?? 0]
        var annotations = chosen["annotations"] as? [String: String] ?? [:]
        let manifest = try json(try blob(chosen["digest"] as? String, "index.json/manifests[\(annotated ?? 0)]"), "manifest")
        for (k, v) in manifest["annotations"] as? [String: String] ?? [:] { annotations[k] = v }
        guard let layers = manifest["layers"] as? [[String: Any]], let last = layers.last else {
            let kind = (manifest["manifests"] != nil) ? "an image index without containerd's checkpoint descriptors" : "an image without layers"
            throw CheckpointError(.notACheckpoint, source: source.path, file: "index.json/manifests[\(annotated ?? 0)]",
                                  message: "\(kind): not a checkpoint image (Podman's has one layer holding the archive, containerd's an index with \(ContainerdCheckpointImage.MediaType.criuTar))")
        }
        let layerMember = try blob(last["digest"] as? String, "manifest layers[\(layers.count - 1)]")
        do {
            return .podman(layer: try source.openNested(layerMember, options: options), annotations: annotations)
        } catch {
            throw CheckpointError(error)
        }
    }
}
