import CheckpointArchive
import Foundation

/// The SHA-256 of the files a report read (``SHA256`` of CheckpointArchive), for the HTML report's
/// header: a write-up can say exactly which evidence it describes. Files are read 1 MiB at a time.
enum InputDigests {
    /// The digest of a file as 64 lowercase hex digits; nil when it cannot be read.
    static func file(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var hash = SHA256()
        while true {
            guard let data = try? handle.read(upToCount: 1 << 20), !data.isEmpty else { break }
            data.withUnsafeBytes { hash.update($0) }
        }
        return hash.finalizeHex()
    }

    /// The input files behind a path the user gave: the file itself, or every regular file under a
    /// directory (sorted, relative names), not following symbolic links (a `parent` link is listed
    /// by its own path, separately).
    static func inputs(_ path: String, shown: String) -> [(name: String, sha256: String?)] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return [(shown, nil)] }
        guard isDirectory.boolValue else { return [(shown, file(path))] }
        var out: [(String, String?)] = []
        let names = (FileManager.default.enumerator(atPath: path)?.compactMap { $0 as? String } ?? []).sorted()
        for name in names {
            let full = (path as NSString).appendingPathComponent(name)
            var st = stat()
            guard lstat(full, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { continue }
            out.append(((shown as NSString).appendingPathComponent(name), file(full)))
        }
        return out
    }
}
