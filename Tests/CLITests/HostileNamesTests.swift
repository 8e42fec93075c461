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

    /// Error messages escape the path; a gap is pinned as a known issue so that fixing it makes
    /// the test fail until the `withKnownIssue` is removed.
    @Test func pathsInErrorsAndListings() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-gaps-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // An error names the path the user gave as it is: ESC[2J reaches stderr raw.
        let junk = dir.appendingPathComponent("e\u{1B}[2Jf.tar")
        try Data("not an archive".utf8).write(to: junk)
        let error = try CLI.run(["show", junk.path])
        #expect(error.status != 0)
        #expect(error.stderr.contains("no tar or compression magic"))
        #expect(!error.stderr.contains("\u{1B}"), "\(error.stderr)")
        #expect(error.stderr.contains(#"e\x1b[2Jf.tar"#), "\(error.stderr)")
        // A checkpoint whose file name is not UTF-8 is not listed (nor can it be named on the
        // command line: arguments are decoded as UTF-8, so 0xFF arrives as U+FFFD).
        let archive = [UInt8](try Data(contentsOf: URL(fileURLWithPath: CLI.fixture("podman/ck-basic.none.tar"))))
        let name: [UInt8] = Array(dir.path.utf8) + Array("/c".utf8) + [0xFF] + Array("d.tar".utf8) + [0]
        let fd = name.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT | O_EXCL, 0o644) } }
        #expect(fd >= 0)
        #expect(archive.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == archive.count)
        close(fd)
        defer { _ = name.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { unlink($0.baseAddress!) } } }
        let list = try CLI.run(["list", dir.path])
        withKnownIssue("list skips file names that are not UTF-8") {
            #expect(list.stdout.contains("ck-basic"), "\(list.stdout) \(list.stderr)")
        }
    }
}
