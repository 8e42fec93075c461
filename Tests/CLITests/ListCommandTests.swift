import Foundation
import Testing

@Suite struct ListCommandTests {
    @Test func findsEveryArchiveAmongOtherFiles() throws {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("list-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: dir) }
        try fm.createDirectory(at: dir.appendingPathComponent("a/b"), withIntermediateDirectories: true)
        let archives = ["ck-basic.none.tar", "ck-basic.gzip.tar.gz", "ck-basic.zstd.tar.zst", "ck-vol.none.tar"]
        for (i, name) in archives.enumerated() {
            try fm.copyItem(atPath: CLI.fixture("podman/" + name), toPath: dir.appendingPathComponent(i % 2 == 0 ? name : "a/b/" + name).path)
        }
        // Noise: text, a JSON file, an unrelated tarball, an empty file, a symlink loop.
        try Data(repeating: 0x41, count: 4096).write(to: dir.appendingPathComponent("notes.txt"))
        try Data("{\"a\": 1}".utf8).write(to: dir.appendingPathComponent("a/config.json"))
        try Data().write(to: dir.appendingPathComponent("empty.tar"))
        try fm.createSymbolicLink(atPath: dir.appendingPathComponent("a/loop").path, withDestinationPath: "..")
        let other = dir.appendingPathComponent("other.tar").path
        _ = try? Process.run(URL(fileURLWithPath: "/usr/bin/tar"), arguments: ["-cf", other, "-C", dir.path, "notes.txt"]).waitUntilExit()
        try fm.copyItem(atPath: CLI.fixture("raw/proc-tree"), toPath: dir.appendingPathComponent("a/proc-tree").path)

        let result = try CLI.run(["list", "--format", "json", dir.path])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try JSON.parse(result.stdout)
        guard case .array(let items)? = rows["checkpoints"] else { Issue.record("not an array"); return }
        let paths = items.compactMap { if case .string(let p)? = $0["path"] { p } else { nil } }
        #expect(paths.count == 5)
        for name in archives { #expect(paths.contains { $0.hasSuffix(name) }, "\(name)") }
        #expect(paths.contains { $0.hasSuffix("a/proc-tree") })
        let text = try CLI.run(["list", dir.path])
        #expect(text.stdout.split(separator: "\n").count == 6)
        #expect(text.stdout.hasPrefix("PATH"))
    }
}
