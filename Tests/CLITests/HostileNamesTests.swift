import Foundation
import Testing

/// Names crafted to drive a terminal (`ESC[2J` clears the screen) or to break UTF-8 reach the
/// output escaped, in text and in JSON (issue #7). The archive layer's side (member names kept
/// as bytes, `escapedName`) is pinned by CheckpointArchiveTests' `dotDotAndNonUTF8NamesAreKeptAsBytes`.
@Suite struct HostileNamesTests {
    static let clearScreen: [UInt8] = [0x1B, 0x5B, 0x32, 0x4A]  // ESC [ 2 J

    /// A copy of the marker-static fixture whose task comm (`marker`, field 6 of task_core_entry)
    /// is overwritten, length kept, by ESC[2J and two bytes that are not UTF-8.
    static func hostileCheckpoint() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: CLI.fixture("raw/marker-static")), to: dir)
        let core = dir.appendingPathComponent("core-28716.img")
        var bytes = [UInt8](try Data(contentsOf: core))
        let field: [UInt8] = [0x32, 0x06] + Array("marker".utf8)
        let at = try #require((0...bytes.count - field.count).first { bytes[$0..<$0 + field.count].elementsEqual(field) })
        bytes.replaceSubrange(at + 2..<at + 8, with: clearScreen + [0xFF, 0xFE])
        try Data(bytes).write(to: core)
        return dir
    }

    @Test func controlSequencesAndInvalidUTF8InImagesAreEscaped() throws {
        let dir = try Self.hostileCheckpoint()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = try CLI.run(["ps", dir.path])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(!text.stdout.contains("\u{1B}"))
        let row = try #require(text.stdout.split(separator: "\n").first { $0.hasPrefix("28716") })
        #expect(row.contains(#"\x1b[2J\u{fffd}\u{fffd}"#), "\(row)")

        let json = try CLI.run(["ps", "--format", "json", dir.path])
        #expect(json.status == 0, "\(json.stderr)")
        #expect(!json.stdout.contains("\u{1B}"))
        #expect(json.stdout.contains(#""comm": "\u001b[2J\ufffd\ufffd""#))
        // Valid JSON that decodes back to the name (its invalid bytes as U+FFFD).
        struct PS: Decodable {
            struct Process: Decodable { var pid: Int; var comm: String }
            var processes: [Process]
        }
        let ps = try JSONDecoder().decode(PS.self, from: Data(json.stdout.utf8))
        #expect(ps.processes.first { $0.pid == 28716 }?.comm == "\u{1B}[2J\u{FFFD}\u{FFFD}")
    }

    @Test func controlSequencesInFileNamesAreEscapedByList() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-list-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let name = "a\u{1B}[2Jb.tar"
        try FileManager.default.copyItem(
            at: URL(fileURLWithPath: CLI.fixture("podman/ck-basic.none.tar")), to: dir.appendingPathComponent(name))
        let result = try CLI.run(["list", dir.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stdout.contains("\u{1B}"))
        #expect(result.stdout.contains(#"a\x1b[2Jb.tar"#), "\(result.stdout)")
    }

    /// Error messages escape the path.
    @Test func pathsInErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-gaps-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // An error names the path the user gave, ESC[2J escaped.
        let junk = dir.appendingPathComponent("e\u{1B}[2Jf.tar")
        try Data("not an archive".utf8).write(to: junk)
        let error = try CLI.run(["show", junk.path])
        #expect(error.status != 0)
        #expect(error.stderr.contains("no tar or compression magic"))
        #expect(!error.stderr.contains("\u{1B}"), "\(error.stderr)")
        #expect(error.stderr.contains(#"e\x1b[2Jf.tar"#), "\(error.stderr)")
    }

    /// A file name that is not UTF-8 (byte 0xFF) is listed, opened when named on the command line
    /// (as bytes: `sh` passes them through), and shown as `c\xffd.tar` in text, JSON and errors;
    /// an argument of such bytes naming nothing is refused rather than repaired into U+FFFD.
    @Test func namesThatAreNotUTF8() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-bytes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // dir/c<FF>d.tar: the Podman archive; dir/s<FE>/: an empty directory with such a name.
        try Self.create(dir.path, [0x63, 0xFF] + Array("d.tar".utf8), contents: try Data(contentsOf: URL(fileURLWithPath: CLI.fixture("podman/ck-basic.none.tar"))))
        try Self.create(dir.path, [0x73, 0xFE], directory: true)
        let shown = dir.path + #"/c\xffd.tar"#

        let list = try CLI.run(["list", dir.path])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains(shown), "\(list.stdout) \(list.stderr)")
        #expect(list.stdout.contains("ck-basic"), "\(list.stdout)")
        let listJSON = try CLI.run(["list", dir.path, "--format", "json"])
        let items = try #require((try JSONSerialization.jsonObject(with: Data(listJSON.stdout.utf8)) as? [String: Any])?["checkpoints"] as? [[String: Any]])
        #expect(items.map { $0["path"] as? String } == [shown])

        // Named on the command line, by its bytes.
        let ps = try Self.shell(#"exec "$0" ps --format json "$1/c$(printf '\377')d.tar""#, dir.path)
        #expect(ps.status == 0, "\(ps.stderr)")
        #expect(ps.stdout == (try CLI.run(["ps", "--format", "json", CLI.fixture("podman/ck-basic.none.tar")])).stdout)
        let show = try Self.shell(#"exec "$0" show --format json "$1/c$(printf '\377')d.tar""#, dir.path)
        #expect(show.status == 0, "\(show.stderr)")
        #expect(show.stdout.contains(#"c\\xffd.tar"#), "\(show.stdout)")  // JSON escapes the backslash
        // An error inside names the display form, not the alias it was opened through.
        let missing = try Self.shell(#"exec "$0" maps "$1/c$(printf '\377')d.tar" --pid 999999"#, dir.path)
        #expect(missing.status != 0)
        #expect(missing.stderr.contains(shown), "\(missing.stderr)")
        #expect(!missing.stderr.contains("/proc/self/fd"), "\(missing.stderr)")
        // A CRIU image directory with such a name, and diff's sides named as given.
        try FileManager.default.copyItem(atPath: CLI.fixture("raw/marker-static"), toPath: dir.path + "/m-copy")
        try Self.rename(dir.path + "/m-copy", to: [0x6D, 0xFD])
        let raw = try Self.shell(#"exec "$0" ps "$1/m$(printf '\375')""#, dir.path)
        #expect(raw.status == 0, "\(raw.stderr)")
        #expect(raw.stdout.contains("28716"), "\(raw.stdout)")
        let diff = try Self.shell(#"exec "$0" diff --format json "$1/c$(printf '\377')d.tar" "$1/c$(printf '\377')d.tar""#, dir.path)
        #expect(diff.stdout.contains(#"c\\xffd.tar"#), "\(diff.stdout) \(diff.stderr)")
        #expect(!diff.stdout.contains("/proc/self/fd"))
        // Output is never written under a display form: that would be another file.
        let out = try Self.shell(#"exec "$0" mem dump "$1/m$(printf '\375')" --pid 28716 -o "$1/s$(printf '\376')""#, dir.path)
        #expect(out.status == 2)
        #expect(out.stderr.contains("output paths must be UTF-8"), "\(out.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path + #"/s\xfe"#))
        // A display form given beside the name it stands for: two files would go by one name.
        let twice = try Self.shell(#"exec "$0" diff "$1/c$(printf '\377')d.tar" "$1/c\\xffd.tar""#, dir.path)
        #expect(twice.status == 2)
        #expect(twice.stderr.contains("display form of argument"), "\(twice.stderr)")
        // A symbolic link with such a name is not followed by list (it points at the fixtures).
        try Self.symlink(dir.path, [0x6C, 0xFF], to: CLI.fixture("podman"))
        let linked = try CLI.run(["list", dir.path, "--format", "json"])
        let linkedItems = try #require((try JSONSerialization.jsonObject(with: Data(linked.stdout.utf8)) as? [String: Any])?["checkpoints"] as? [[String: Any]])
        #expect(Set(linkedItems.compactMap { $0["path"] as? String }) == [shown, dir.path + #"/m\xfd"#], "\(linked.stdout)")

        // Bytes naming nothing: refused (exit 2), not turned into another name.
        let nothing = try Self.shell(#"exec "$0" show "$1/n$(printf '\377')""#, dir.path)
        #expect(nothing.status == 2)
        #expect(nothing.stderr.contains(#"n\xff is not UTF-8 and names no existing file"#), "\(nothing.stderr)")
    }

    /// Creates `name` (bytes) in `directory`: a file with `contents` or a directory.
    static func create(_ directory: String, _ name: [UInt8], contents: Data? = nil, directory isDirectory: Bool = false) throws {
        let path = Array(directory.utf8) + [0x2F] + name + [0]
        try path.withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) { p in
                if isDirectory {
                    #expect(mkdir(p.baseAddress!, 0o755) == 0)
                    return
                }
                let fd = open(p.baseAddress!, O_WRONLY | O_CREAT | O_EXCL, 0o644)
                try #require(fd >= 0)
                defer { close(fd) }
                let data = contents ?? Data()
                #expect(data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == data.count)
            }
        }
    }

    /// Renames `path` to `name` (bytes) in the same directory.
    static func rename(_ path: String, to name: [UInt8]) throws {
        let target = Array((path as NSString).deletingLastPathComponent.utf8) + [0x2F] + name + [0]
        let status = target.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { Foundation.rename(path, $0.baseAddress!) }
        }
        try #require(status == 0)
    }

    /// Creates a symbolic link `name` (bytes) in `directory` pointing at `target`.
    static func symlink(_ directory: String, _ name: [UInt8], to target: String) throws {
        let path = Array(directory.utf8) + [0x2F] + name + [0]
        let status = path.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { Foundation.symlink(target, $0.baseAddress!) }
        }
        try #require(status == 0)
    }

    /// Runs `script` with `sh -c`, `$0` the binary and `$1` the argument.
    static func shell(_ script: String, _ argument: String) throws -> CLI.Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script, CLI.binary.path, argument]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLI.Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                          stderr: String(decoding: errData, as: UTF8.self))
    }
}
