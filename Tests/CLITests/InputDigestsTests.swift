import Foundation
import Testing
@testable import ckpt_inspect

/// The report's file digests against sha256sum: an archive, and every file of a directory.
@Suite struct InputDigestsTests {
    @Test func fileMatchesSha256sum() throws {
        let path = CLI.fixture("podman/ck-basic.zstd.tar.zst")
        #expect(InputDigests.file(path) == (try CLI.sha256sum(path)))
        let dir = CLI.fixture("raw/incremental/dump")
        let inputs = InputDigests.inputs(dir, shown: "dump")
        // Every regular file, not the `parent` symbolic link.
        #expect(inputs.map(\.name) == (try FileManager.default.contentsOfDirectory(atPath: dir)).filter { $0 != "parent" }.sorted().map { "dump/" + $0 })
        for input in inputs { #expect(input.sha256 == (try CLI.sha256sum(dir + "/" + input.name.dropFirst(5))), "\(input.name)") }
    }
}
