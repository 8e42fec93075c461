import Foundation
import Testing

@Suite struct VersionTests {
    /// The image kinds of `ImageKind.all` and `ImageKind.rawKinds`, counted in the source of the table
    /// (an independent count of what `--version` derives from the table at run time).
    static func kindCounts() throws -> (withMagic: Int, raw: Int, legacy: Int) {
        let source = try String(contentsOf: CLI.projectRoot.appendingPathComponent("Sources/CRIUImages/ImageKind.swift"), encoding: .utf8)
        var withMagic = 0, raw = 0, legacy = 0
        for line in source.split(separator: "\n") {
            let line = line.trimmingCharacters(in: .whitespaces)
            guard line.hasPrefix(".init(\"") else { continue }
            if line.contains("\", 0, nil") { raw += 1 } else if line.contains("\", 0x") { withMagic += 1 } else { continue }
            if line.contains("legacy: true") { legacy += 1 }
        }
        return (withMagic, raw, legacy)
    }

    @Test func versionNamesTheToolAndWhatItReads() throws {
        let result = try CLI.run(["--version"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.count == 7, "\(result.stdout)")  // six lines and the final newline
        guard lines.count >= 6 else { return }

        let version = try #require(try Regex(#"^ckpt-inspect (\d+\.\d+\.\d+)$"#).wholeMatch(in: lines[0]))
        #expect(version.output[1].substring == "0.1.0")

        #expect(lines[1] == "CRIU images: format v1.1 (img_version 2; also 1 and pre-dump 0), images from CRIU 3.x and 4.x; tested with 4.2")

        let counts = try Self.kindCounts()
        #expect(counts.withMagic > 60 && counts.raw > 10)
        let total = counts.withMagic + counts.raw
        #expect(lines[2] == "magic table of CRIU 4.2: \(total) image kinds (\(counts.withMagic) with magic, \(counts.raw) raw; \(counts.legacy) only written by older CRIU)")

        #expect(lines[3] == "archives: Podman, CRI-O, containerd checkpoints, OCI checkpoint images, CRIU image directories")
        #expect(lines[4] == "compression: tar, gzip, zstd, bzip2, xz")
        #expect(lines[5] == "pod checkpoints (KEP-5823): 6 layouts: cri-o-manifest-v1, containerd-manifest-v2, containerd-manifest-v1, "
                + "cri-o-pod-archive, containerd-pod-archive, containerd-prototype")
    }

    @Test func helpOffersVersion() throws {
        let result = try CLI.run(["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("--version"))
    }
}
