import Checkpoint
import Foundation
import Testing

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

/// Finds a README code block and checks that a test file runs exactly that code.
enum ReadmeBlock {
    /// The lines of the first ```swift block under `section` whose first line is `import <module>`.
    static func swiftBlock(in readme: String, section: String, importing module: String) -> [String]? {
        let lines = readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard var i = lines.firstIndex(of: section) else { return nil }
        i += 1
        while i < lines.count, !lines[i].hasPrefix("## ") {
            if lines[i] == "```swift" {
                let end = lines[(i + 1)...].firstIndex(of: "```") ?? lines.count
                let block = Array(lines[(i + 1)..<end])
                if block.first == "import \(module)" { return block }
                i = end
            }
            i += 1
        }
        return nil
    }

    /// Expects `source` to import what the block imports and to hold, between `// README example begin`
    /// and `// README example end`, the rest of the block line for line (indentation of the begin
    /// marker removed). A block line holding a placeholder (an example path, `...`) matches a source
    /// line that starts with the text before the placeholder.
    static func expectRunVerbatim(_ block: [String], in source: String, placeholders: [String],
                                  sourceLocation: SourceLocation = #_sourceLocation) throws {
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let imports = block.prefix { $0.hasPrefix("import ") }
        for line in imports {
            #expect(lines.contains(line), "the test does not `\(line)`", sourceLocation: sourceLocation)
        }
        let code = Array(block.dropFirst(imports.count).drop { $0.isEmpty })
        let begin = try #require(lines.firstIndex { $0.trimmingCharacters(in: .whitespaces) == "// README example begin" },
                                 sourceLocation: sourceLocation)
        let end = try #require(lines[begin...].firstIndex { $0.trimmingCharacters(in: .whitespaces) == "// README example end" },
                               sourceLocation: sourceLocation)
        let indent = String(lines[begin].prefix { $0 == " " })
        let run = lines[(begin + 1)..<end].map { $0.hasPrefix(indent) ? String($0.dropFirst(indent.count)) : $0 }
        #expect(run.count == code.count, "the README block has \(code.count) lines, the test runs \(run.count)",
                sourceLocation: sourceLocation)
        for (readmeLine, testLine) in zip(code, run) {
            if let placeholder = placeholders.first(where: { readmeLine.contains($0) }),
               let range = readmeLine.range(of: placeholder) {
                let before = String(readmeLine[..<range.lowerBound])
                #expect(testLine.hasPrefix(before), "README: \(readmeLine)\n  test: \(testLine)", sourceLocation: sourceLocation)
            } else {
                #expect(testLine == readmeLine, "README: \(readmeLine)\n  test: \(testLine)", sourceLocation: sourceLocation)
            }
        }
    }
}
