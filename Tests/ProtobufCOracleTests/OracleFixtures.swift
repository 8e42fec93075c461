import Foundation
import CRIUImages

/// The fixture images the oracle runs over: every protobuf image under Fixtures/raw and inside
/// the Podman archives (extracted once per process with /usr/bin/tar into a temporary directory).
enum OracleFixtures {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static let packageRoot: URL = root.deletingLastPathComponent()

    static let podmanArchives = ["ck-basic.none.tar", "ck-basic.gzip.tar.gz", "ck-basic.zstd.tar.zst", "ck-vol.none.tar"]

    static let extractedPodman: URL = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-inspect-oracle-\(getpid())")
        for archive in podmanArchives {
            let target = dir.appendingPathComponent(archive)
            try? FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
            p.arguments = ["-xf", root.appendingPathComponent("podman/" + archive).path, "-C", target.path]
            try? p.run()
            p.waitUntilExit()
        }
        return dir
    }()

    /// Paths of every protobuf image (RAW images excluded): the extracted Podman archives' first,
    /// then `raw/`, each sorted by its path inside its directory, so the order (and the mutation
    /// corpus made from it) does not depend on where the repository or the temporary directory is.
    static func allImages() -> [String] {
        var files: [(key: String, path: String)] = []
        for (group, dir) in [("0", extractedPodman.path), ("1", root.appendingPathComponent("raw").path)] {
            guard let walker = FileManager.default.enumerator(atPath: dir) else { continue }
            for case let rel as String in walker {
                let name = (rel as NSString).lastPathComponent
                let full = (dir as NSString).appendingPathComponent(rel)
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue else { continue }
                if name.hasSuffix(".img") || name == "stats-dump" || name == "stats-restore" || name == "irmap-cache" {
                    if ImageKind.raw(forFileName: name) == nil { files.append((group + "/" + rel, full)) }
                }
            }
        }
        return files.sorted { $0.key < $1.key }.map(\.path)
    }

    /// One protobuf message taken from a fixture image.
    struct Entry: Hashable {
        var message: String
        var bytes: [UInt8]
        var origin: String
    }

    /// Every entry of every fixture image (framed with `ImageFile.parse`), plus the `ipc_msg`
    /// headers that follow SysV message queue entries. Images that do not frame are skipped
    /// (the fixture tests of CRIUImagesTests cover framing).
    static let entries: [Entry] = {
        var result: [Entry] = []
        let prefix = root.path
        for path in allImages() {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            let bytes = [UInt8](data)
            let name = (path as NSString).lastPathComponent
            guard let image = try? ImageFile.parse(bytes, fileName: name) else { continue }
            let label = path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count + 1)) : "podman/" + path.split(separator: "/").suffix(2).joined(separator: "/")
            for entry in image.entries {
                result.append(Entry(message: entry.message, bytes: Array(bytes[entry.range]), origin: "\(label)#\(entry.index)"))
                if case .messages(let records) = entry.extra {
                    for (i, record) in records.enumerated() {
                        result.append(Entry(message: "ipc_msg", bytes: Array(bytes[record.header]), origin: "\(label)#\(entry.index).msg\(i)"))
                    }
                }
            }
        }
        return result
    }()
}
