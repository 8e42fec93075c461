import CheckpointArchive
import CRIUImages
import Foundation
import Testing
import TestSupport
@testable import Checkpoint

@Suite("Loader")
struct LoaderTests {
    @Test("per-process images decoded on two workers are those one worker decodes, in the tree's order")
    func parallelDecodeMatchesSequential() throws {
        let source = try CheckpointSource.open(path: Fixture.path("raw/forensic"))
        let images = ImageSet(source: source, directory: source.imagesDirectory)
        let tree = try #require(try images.decode(ProcessTreeEntry.self, "pstree.img")).map(Loader.TreeEntry.init)
        #expect(tree.count == 7)
        let parallel = Loader.decodeProcessImages(tree, in: images, preDump: false, parallelFrom: 0)
        let sequential = Loader.decodeProcessImages(tree, in: images, preDump: false, parallelFrom: .max)
        #expect(parallel == sequential)
        // Every process has its mm image and its fdinfo, each from the right file.
        let checkpoint = try Checkpoint.open(Fixture.path("raw/forensic"))
        for (k, entry) in tree.enumerated() {
            let mm = try #require(try parallel[k].mm.get()?.first)
            #expect(mm == checkpoint.processes.first { $0.pid == entry.pid }?.memory)
            #expect(try parallel[k].fdinfo.get() != nil)
        }
    }
}
