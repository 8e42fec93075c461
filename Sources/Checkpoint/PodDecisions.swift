extension PodCheckpoint {
    /// The questions the pod checkpoint formats leave open (PODS.md §9), decided here and nowhere
    /// else. README.md ("Pod checkpoints") lists the same decisions.
    public enum Decisions {
        /// §9.4: variant A and B0 both write `version: 1` under the same file names. A manifest with a
        /// `runtime` key is A (and must say `cri-o`); one without is B0. A `containers` list of
        /// strings is the prototypes' (P), with or without a version. Version 2 without `runtime` is B.
        /// Anything else is refused, naming the version and runtime found.
        public static func manifestVariant(version: Int64?, runtime: String?, hasRuntimeKey: Bool, containersAreNames: Bool) -> Variant? {
            if hasRuntimeKey { return runtime == "cri-o" && version == 1 ? .crioManifest : nil }
            if containersAreNames { return .prototype }
            switch version {
            case 2: return .containerdManifest
            case 1: return .containerdManifestV1
            default: return nil
            }
        }

        /// §5 and §6 of PODS.md: a tar with `pod.options` is C (CRI-O) without `pod.dump` and D (containerd)
        /// with it; `pod.options` must say `version: 1`.
        public static func podOptionsVariant(version: Int64?, hasPodDump: Bool) -> Variant? {
            guard version == 1 else { return nil }
            return hasPodDump ? .containerdPodArchive : .crioPodArchive
        }

        /// §9.6: `pod.options.containers` maps a key to the container's directory (`<id>-<name>`), whatever
        /// checkpointctl's comment says. The key is the container's CRI name in C and containerd's full
        /// name `<name>_<pod>_<namespace>_<uid>_<attempt>` in D: the CRI name is the part before the first
        /// `_` (a Kubernetes container name is a DNS label and has none). The id is the directory name up
        /// to its first `-` (container ids are hex).
        public static func podOptionsContainer(key: String, directory: String, variant: Variant) -> (name: String, id: String?, fullName: String?) {
            let dash = directory.firstIndex(of: "-")
            let id = dash.map { String(directory[..<$0]) }
            let rest = dash.map { String(directory[directory.index(after: $0)...]) }
            switch variant {
            case .containerdPodArchive:
                let name = key.split(separator: "_", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? key
                return (name, id, key)
            default:
                return (key, id, rest)
            }
        }

        /// §9.7: `KeyValue.value` became `bytes` in cri-api (2026-05-19), so an environment value is base64
        /// in writers built on the newer cri-api (containerd's B) and a plain string in the others (CRI-O's
        /// A). Both are accepted: where base64 is expected, a value that is canonical base64 of valid
        /// UTF-8 without control characters is decoded; any other value is kept as the string it is.
        /// ``CRIKeyValue/encoding`` says which was taken, so nothing is hidden.
        public static func environmentValue(key: String, value: String, base64Values: Bool) -> CRIKeyValue {
            if base64Values, let decoded = canonicalBase64(value), let text = String(validating: decoded, as: UTF8.self),
               !text.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" || $0.value == 0x7f }) {
                return CRIKeyValue(key: key, value: text, encoding: .base64)
            }
            return CRIKeyValue(key: key, value: value, encoding: .plain)
        }

        /// §9.1: kubelet's directory names come only from the KEP's example, so nothing depends on a name:
        /// pod checkpoints are found and told apart by their content. These are the places looked in by
        /// default: KEP-5823's root, the prototypes' root, and KEP-2008's container checkpoints.
        public static let kubeletDirectories = ["/var/lib/kubelet/checkpoints", "/var/lib/kubelet/pod-checkpoints", "/var/lib/kubelet/pod-snapshots"]

        /// §9.1 (whether kubelet writes files of its own into the directory is not stated): files the
        /// variant does not define are reported as warnings, never as errors.
        public static let unknownFilesAreWarnings = true

        /// §9.3 (A's per-container archive is taken to be CRI-O's usual export, which was not seen): every
        /// per-container archive or directory is opened by ``Checkpoint/open(source:options:)``, which tells
        /// its layout from its content, so another layout still opens.
        public static let containerLayoutByContent = true

        /// §9.9 (no writer compresses): a compressed tar of a pod checkpoint is still read, in one
        /// decompression pass that keeps each container archive of at most the source's in-memory limit
        /// (16 MiB by default) in memory; a bigger one is refused with an error that names it and says
        /// to decompress the tar first (CheckpointSource.openNested). Container directories (C, D) are
        /// read in the same pass, as any compressed archive's members.
        public static let compressedPodTarsKeepArchivesInMemory = true

        /// Standard base64 with padding and nothing else; nil for any other text.
        static func canonicalBase64(_ text: String) -> [UInt8]? {
            let bytes = Array(text.utf8)
            guard !bytes.isEmpty, bytes.count % 4 == 0 else { return nil }
            func value(_ c: UInt8) -> UInt32? {
                switch c {
                case 0x41...0x5a: UInt32(c - 0x41)
                case 0x61...0x7a: UInt32(c - 0x61 + 26)
                case 0x30...0x39: UInt32(c - 0x30 + 52)
                case 0x2b: 62
                case 0x2f: 63
                default: nil
                }
            }
            var out: [UInt8] = []
            var i = 0
            while i < bytes.count {
                let last = i + 4 == bytes.count
                let pad = last ? (bytes[i + 3] == 0x3d ? (bytes[i + 2] == 0x3d ? 2 : 1) : 0) : 0
                guard let a = value(bytes[i]), let b = value(bytes[i + 1]) else { return nil }
                let c = pad >= 2 ? 0 : value(bytes[i + 2])
                let d = pad >= 1 ? 0 : value(bytes[i + 3])
                guard let c, let d else { return nil }
                let n = a << 18 | b << 12 | c << 6 | d
                out.append(UInt8(n >> 16))
                if pad < 2 { out.append(UInt8((n >> 8) & 0xff)) }
                if pad < 1 { out.append(UInt8(n & 0xff)) }
                // Canonical: the bits dropped by padding are zero.
                if pad == 1 && d != 0 || pad == 1 && c & 0x3 != 0 { return nil }
                if pad == 2 && b & 0xf != 0 { return nil }
                i += 4
            }
            return out
        }
    }
}
