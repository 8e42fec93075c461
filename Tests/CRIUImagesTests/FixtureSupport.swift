import Foundation
import Testing
@testable import CRIUImages

/// Locates the project's Fixtures/ directory from this file's path.
enum Fixtures {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static func bytes(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: root.appendingPathComponent(relative)))
    }

    /// The Podman archives, extracted once per test process with /usr/bin/tar into a temporary directory
    /// (the decoding tests exercise the decoder, not the archive layer).
    static let extractedPodman: URL = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-inspect-tests-\(getpid())")
        for archive in podmanArchives {
            let target = dir.appendingPathComponent(archive)
            try? FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
            p.arguments = ["-xf", path("podman/" + archive), "-C", target.path]
            try? p.run()
            p.waitUntilExit()
        }
        return dir
    }()

    static let podmanArchives = ["ck-basic.none.tar", "ck-basic.gzip.tar.gz", "ck-basic.zstd.tar.zst", "ck-vol.none.tar", "nfx-ck.none.tar"]

    /// Every crit JSON file with the image it was made from: (json path, image path, label).
    static func critPairs() -> [(json: String, image: String, label: String)] {
        let base = root.appendingPathComponent("crit-json")
        guard let walker = FileManager.default.enumerator(atPath: base.path) else { return [] }
        var pairs: [(String, String, String)] = []
        for case let rel as String in walker where rel.hasSuffix(".json") {
            let imageRel = String(rel.dropLast(5))
            let image: String
            if imageRel.hasPrefix("podman/") {
                image = extractedPodman.appendingPathComponent(String(imageRel.dropFirst(7))).path
            } else {
                image = path("raw/" + imageRel)
            }
            pairs.append((base.appendingPathComponent(rel).path, image, imageRel))
        }
        return pairs.sorted { $0.2 < $1.2 }
    }

    /// Every protobuf image file under raw/ and the extracted Podman archives.
    static func allImages() -> [String] {
        var files: [String] = []
        for dir in [root.appendingPathComponent("raw").path, extractedPodman.path] {
            guard let walker = FileManager.default.enumerator(atPath: dir) else { continue }
            for case let rel as String in walker {
                let name = (rel as NSString).lastPathComponent
                let full = (dir as NSString).appendingPathComponent(rel)
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue else { continue }
                if name.hasSuffix(".img") || name == "stats-dump" || name == "irmap-cache" {
                    if ImageKind.raw(forFileName: name) == nil { files.append(full) }
                }
            }
        }
        return files.sorted()
    }
}
