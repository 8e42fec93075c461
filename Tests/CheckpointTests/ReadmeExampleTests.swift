import Checkpoint
import Foundation
import Testing
import TestSupport

/// The README's `import Checkpoint` example (section "The library"), compiled and run so it cannot rot.
/// The lines between `// README example begin` and `// README example end` are the README's code
/// block line for line (`readmeBlockIsTheCodeRunHere` checks it); only the archive path differs.
@Suite struct ReadmeExampleTests {
    @Test func libraryExampleRunsOnAPodmanCheckpoint() throws {
        // The example prints; collect what it prints instead.
        var printed: [String] = []
        func print(_ items: Any...) { printed.append(items.map { "\($0)" }.joined(separator: " ")) }
        let path = Fixture.path("podman/ck-basic.zstd.tar.zst")

        // README example begin
        let checkpoint = try Checkpoint.open(path)
        for process in checkpoint.processes {
            let argv = try checkpoint.commandLine(pid: process.pid) ?? []
            print(process.pid, process.command, argv.joined(separator: " "), process.files.count, "fds")
        }
        let hits = try MemorySearch(pattern: .bytes(Array("password=".utf8))).run(in: checkpoint)
        // README example end

        #expect(printed == [
            "1 sh /bin/sh -c echo CONTAINER-WRITTEN-FILE-MARKER > /data/written.txt; rm /data/image.txt; /bin/marker CKPT-MARKER-PODMAN /tmp/m.pid & httpd -f -p 127.0.0.1:8080 -h /www & while true; do sleep 1000; done 3 fds",
            "7 marker /bin/marker CKPT-MARKER-PODMAN /tmp/m.pid 3 fds",
            "8 httpd httpd -f -p 127.0.0.1:8080 -h /www 4 fds",
            "9 sleep sleep 1000 3 fds",
        ])
        #expect(hits.isEmpty)  // no password in this container's memory...
        // ...but the same search finds what is there: the marker's argument, in its memory.
        let marker = try MemorySearch(pattern: .bytes(Array("CKPT-MARKER-PODMAN".utf8))).run(in: checkpoint)
        #expect(marker.contains { $0.mappings.contains { $0.pid == 7 } })
    }

    @Test func readmeBlockIsTheCodeRunHere() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let block = try #require(ReadmeBlock.swiftBlock(in: readme, section: "## The library", importing: "Checkpoint"))
        let test = try String(contentsOfFile: #filePath, encoding: .utf8)
        try ReadmeBlock.expectRunVerbatim(block, in: test, placeholders: ["\"checkpoint.tar.zst\""])
    }
}
