import CRIUImages
import Checkpoint
import CheckpointArchive

/// What `ckpt-inspect --version` prints: the tool's version, then what it can read. The counts come
/// from the tables the decoder uses (`ImageKind.all`, `ImageKind.rawKinds`, `Compression.allCases`),
/// so they cannot drift from the code.
enum VersionInfo {
    /// The CRIU release whose `magic.h` and image messages the tables mirror (CRIU-FORMAT.md), and the
    /// one that made the fixtures.
    static let criuRelease = "4.2"
    /// The newest inventory `img_version` understood (the loader warns above it).
    static let newestImageVersion = 2

    static func text(version: String) -> String {
        let withMagic = ImageKind.all.count
        let raw = ImageKind.rawKinds.count
        let legacy = (ImageKind.all + ImageKind.rawKinds).filter(\.isLegacy).count
        let engines = [Engine.podman, .crio, .containerd].map(engineName).joined(separator: ", ")
        let compressions = Compression.allCases.map(compressionName).joined(separator: ", ")
        return """
            ckpt-inspect \(version)
            CRIU images: format v1.1 (img_version \(newestImageVersion); also 1 and pre-dump 0), images from CRIU 3.x and 4.x; tested with \(criuRelease)
            magic table of CRIU \(criuRelease): \(withMagic + raw) image kinds (\(withMagic) with magic, \(raw) raw; \(legacy) only written by older CRIU)
            archives: \(engines) checkpoints, OCI checkpoint images, CRIU image directories
            compression: \(compressions)
            pod checkpoints (KEP-5823): \(PodCheckpoint.Variant.allCases.count) layouts: \(PodCheckpoint.Variant.allCases.map(\.rawValue).joined(separator: ", "))
            """
    }

    /// Exhaustive, so a new engine does not go unlisted.
    static func engineName(_ engine: Engine) -> String {
        switch engine {
        case .podman: "Podman"
        case .crio: "CRI-O"
        case .containerd: "containerd"
        case .criu: "CRIU"
        }
    }

    static func compressionName(_ compression: Compression) -> String {
        switch compression {
        case .none: "tar"
        case .gzip: "gzip"
        case .zstd: "zstd"
        case .bzip2: "bzip2"
        case .xz: "xz"
        }
    }
}
