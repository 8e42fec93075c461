import Checkpoint
import CheckpointYARA
import Foundation
import Testing
import TestSupport

/// The README's `import CheckpointYARA` example (section "YARA rules"), run on a zstd archive. The
/// lines between `// README example begin` and `// README example end` are the README's block line
/// for line (`readmeBlockIsTheCodeRunHere`); only the paths differ.
@Suite struct YARAReadmeExampleTests {
    @Test func libraryExampleRuns() throws {
        var printed: [String] = []
        func print(_ items: Any...) { printed.append(items.map { "\($0)" }.joined(separator: " ")) }
        let dir = try Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let rulesPath = dir.appendingPathComponent("rules.yar").path
        try "rule Env { strings: $e = \"CKPT-ENV-PODMAN\" condition: $e }\n".write(toFile: rulesPath, atomically: true, encoding: .utf8)
        let path = Fixture.path("podman/ck-basic.zstd.tar.zst")

        // README example begin
        let rules = try YARARules(compiling: [.init(path: rulesPath)])
        let scan = YARAStreamingScan(YARAScan(maxMatches: 100), rules: rules)
        let checkpoint = try Checkpoint.open(path, streaming: scan)
        for match in try scan.report(in: checkpoint).matches {
            print(match.rule, match.target, match.strings.map { "0x" + String($0.address, radix: 16) })
        }
        // README example end

        // notes/marker-hits.txt: CKPT-ENV-PODMAN on each process's stack.
        #expect(printed == [
            "Env pid 1 sh [\"0x7ffd5030dfc3\"]", "Env pid 7 marker [\"0x7ffd9be2efd6\"]",
            "Env pid 8 httpd [\"0x7ffc1cf1cfd3\"]", "Env pid 9 sleep [\"0x7ffd8b037fd3\"]",
        ])
    }

    @Test func readmeBlockIsTheCodeRunHere() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let block = try #require(ReadmeBlock.swiftBlock(in: readme, section: "## YARA rules", importing: "CheckpointYARA"))
        let test = try String(contentsOfFile: #filePath, encoding: .utf8)
        try ReadmeBlock.expectRunVerbatim(block, in: test, placeholders: ["\"checkpoint.tar.zst\"", "\"rules.yar\""])
    }
}
