import Foundation
import Testing
import TestSupport

/// The README's `import CRIUImages` example must be the code `ReadmeExampleTests` runs, so an edit to
/// one without the other fails. (Tests/CheckpointTests/ReadmeExampleTests.swift does the same for the
/// `import Checkpoint` example; both use `ReadmeBlock` from Tests/TestSupport.)
@Suite struct ReadmeExampleTextTests {
    @Test func readmeBlockIsTheCodeRunInReadmeExampleTests() throws {
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        let root = here.deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let block = try #require(ReadmeBlock.swiftBlock(in: readme, section: "## The library", importing: "CRIUImages"))
        let test = try String(contentsOf: here.appendingPathComponent("ReadmeExampleTests.swift"), encoding: .utf8)
        try ReadmeBlock.expectRunVerbatim(block, in: test, placeholders: ["..."])
    }
}
