import CheckpointArchive

extension Checkpoint {
    /// The bytes of an engine file of the checkpoint (`spec.dump`, `config.dump`, `network.status`),
    /// as ``engine`` was parsed from: a member of the archive, or, for a containerd checkpoint image,
    /// the OCI runtime spec carried in its config blob (as `spec.dump`). Nil when there is none.
    public func engineFile(_ name: String) -> [UInt8]? {
        if let m = try? source.member(named: name), let t = try? source.resolve(m), t.kind == .file, let bytes = try? source.read(t) {
            return bytes
        }
        guard name == "spec.dump", let layout = imageLayout,
              let config = engine.containerdImage?.blobs.first(where: { $0.mediaType == ContainerdCheckpointImage.MediaType.config }),
              config.digest.hasPrefix("sha256:"),
              let m = try? layout.member(named: "blobs/sha256/" + config.digest.dropFirst(7)), let t = try? layout.resolve(m),
              let bytes = try? layout.read(t, maxBytes: 16 << 20),
              let any = try? ProtobufAny.decode(bytes), any.typeURL.hasSuffix("opencontainers/runtime-spec/1/Spec") else { return nil }
        return any.value
    }
}
